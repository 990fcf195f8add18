"""`madoguchi bench sync`: outbox drain through the real agent and receiver, side by side with a
raw pyzmq baseline and a naive HTTP baseline; `--devices D` adds a fan-in run; `--hostile` drains
honest devices alone and then while one enrolled device attacks (`_sync_hostile`). The
measuring engines are `_sync_engine` and `_sync_hostile` (tools on top of sync); this is their command.
"""

from __future__ import annotations

import click

NAME = "sync"


@click.command(NAME)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@click.option(
    "--records",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Records to drain (per device with --devices).",
)
@click.option(
    "--devices",
    default=0,
    show_default=True,
    type=int,
    help="Run the fan-in with this many agents instead of the drain.",
)
@click.option(
    "--hostile",
    is_flag=True,
    help="Honest devices (--devices, default 4) drain --records in all, alone and then while "
    "one enrolled device sends hostile frames as fast as its limits allow.",
)
@click.option(
    "--rounds",
    default=2,
    show_default=True,
    type=int,
    help="With --hostile: alone/attacked runs interleaved this many times (best of each).",
)
@click.option(
    "--http-records",
    default=3000,
    show_default=True,
    type=int,
    help="Most records for the HTTP baseline (it is time-boxed too).",
)
@click.option(
    "--http-seconds",
    default=10.0,
    show_default=True,
    type=float,
    help="Time box of the HTTP baseline.",
)
def command(
    as_json: bool,
    records: int,
    devices: int,
    hostile: bool,
    rounds: int,
    http_records: int,
    http_seconds: float,
) -> None:
    """Drain N sealed records through agent → receiver vs raw pyzmq and per-record HTTP;
    with --devices D, D agents reconnecting at once (--records each); with --hostile, honest
    throughput under attack vs alone."""
    import tempfile
    from pathlib import Path

    from madoguchi.bench import emit, progress
    from madoguchi.bench._sync_engine import drain, fanin, http, raw

    metrics: dict = {}
    ratios: dict = {}
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-sync-") as tmp_name:
        tmp = Path(tmp_name)
        if hostile:
            from madoguchi.bench._sync_hostile import hostile as run_hostile

            honest = devices or 4
            metrics.update(run_hostile(tmp, honest, max(1, records // honest), progress, rounds))
            ratios["honest_under_attack_ratio"] = metrics["honest_under_attack_ratio"]
        elif devices:
            (tmp / "fanin").mkdir()
            metrics.update(fanin(tmp / "fanin", devices, records, progress))
        else:
            rate, sealed = drain(tmp, records, progress)
            progress(f"bench sync: {rate:.0f} records/s; raw pyzmq baseline")
            raw_rate = raw(tmp, sealed)
            progress(f"bench sync: raw {raw_rate:.0f} records/s; HTTP baseline")
            http_rate = http(tmp, sealed, http_records, http_seconds)
            metrics.update(
                records=records,
                record_bytes=round(
                    sum(len(r.header_bytes) + len(r.ciphertext) for r in sealed) / len(sealed)
                ),
                records_per_s=round(rate, 1),
                raw_records_per_s=round(raw_rate, 1),
                http_records_per_s=round(http_rate, 1),
            )
            ratios.update(vs_raw=round(rate / raw_rate, 3), vs_http=round(rate / http_rate, 1))
    emit(NAME, metrics, ratios, as_json=as_json)
