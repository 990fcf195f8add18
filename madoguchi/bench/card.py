"""`madoguchi bench card`: APDUs and time of the two card operations the kiosk does, through the
real pcscd + vpcd and the card simulator.

- kenhojo read: tries left + VERIFY + read basic-4 (target: <= 8 APDUs, <= 20 ms median);
- JPKI auth: read the auth certificate + tries left + VERIFY + SIGN over a SHA-256 digest.
Each run opens a fresh exclusive connection (not timed: `connect_ms_median` reports it) and
closes it with a card reset, so every run starts from a cold card like a new resident.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path

import click

from madoguchi.bench import emit, percentile, progress

NAME = "card"


def _run(runs: int, profile: str) -> dict:
    from madoguchi.rig import PcscRig

    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-card-") as tmp:
        rig = PcscRig(Path(tmp)).start()
        try:
            rig.apply_env()  # before this process's first PC/SC context
            from devices.card import CardReader
            from devices.card.simulator import SimulatedCard

            reader_name = rig.reader_name(0)
            with SimulatedCard(profile, port=rig.vpcd_port, reader_name=reader_name) as sim:
                pin = sim.sim.profile.kenhojo_pin
                auth_pin = sim.sim.profile.jpki_auth_pin
                reader = CardReader(reader_name)
                connect_ms, ken_ms, jpki_ms = [], [], []
                ken_apdus = jpki_apdus = 0
                digest = hashlib.sha256(b"madoguchi bench challenge").digest()
                progress(f"bench card: {runs} runs of each operation (profile {profile})")
                for _ in range(runs):
                    t0 = time.perf_counter()
                    card = reader.connect()
                    connect_ms.append((time.perf_counter() - t0) * 1000)
                    with card:
                        n0 = card.apdu_count
                        t0 = time.perf_counter()
                        card.kenhojo_tries_left()
                        card.verify_kenhojo_pin(pin)
                        basic4 = card.read_basic4()
                        ken_ms.append((time.perf_counter() - t0) * 1000)
                        ken_apdus = card.apdu_count - n0
                        basic4.wipe()
                    with reader.connect() as card:
                        n0 = card.apdu_count
                        t0 = time.perf_counter()
                        card.read_auth_certificate()
                        card.jpki_auth_tries_left()
                        card.verify_jpki_auth_pin(auth_pin)
                        card.sign_sha256_digest(digest)
                        jpki_ms.append((time.perf_counter() - t0) * 1000)
                        jpki_apdus = card.apdu_count - n0
        finally:
            rig.stop()
    return {
        "kenhojo_read_apdus": ken_apdus,
        "kenhojo_read_ms_median": round(percentile(ken_ms, 50), 3),
        "kenhojo_read_ms_p95": round(percentile(ken_ms, 95), 3),
        "jpki_auth_apdus": jpki_apdus,
        "jpki_auth_ms_median": round(percentile(jpki_ms, 50), 3),
        "jpki_auth_ms_p95": round(percentile(jpki_ms, 95), 3),
        "connect_ms_median": round(percentile(connect_ms, 50), 3),
        "runs": runs,
    }


@click.command(NAME)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the bench contract).")
@click.option(
    "--runs",
    default=50,
    show_default=True,
    type=click.IntRange(1, 10000),
    help="Runs of each operation; medians are reported.",
)
@click.option(
    "--profile",
    default="ordinary",
    show_default=True,
    help="Simulated card profile (e.g. long-address for the longest basic-4).",
)
def command(as_json: bool, runs: int, profile: str) -> None:
    """APDU count and median time of the kenhojo read and the JPKI authentication."""
    metrics = _run(runs, profile)
    ratios = {
        "kenhojo_read_apdus_vs_target_8": round(metrics["kenhojo_read_apdus"] / 8, 3),
        "kenhojo_read_ms_vs_target_20": round(metrics["kenhojo_read_ms_median"] / 20, 3),
    }
    emit(NAME, metrics, ratios, as_json=as_json)
