"""The thin CLI layers: `sync-agent status --json` reads the agent's status file (one line of
error and exit 1 without one); `central serve` (a real process with provisioning's key files)
stores and opens what an agent sends, and stops cleanly on SIGTERM."""

import json
import signal
import subprocess
import sys

from click.testing import CliRunner

from madoguchi.cli import cli
from madoguchi.rig import free_port
from provisioning import enroll_device, init_central, load_central_keys
from sync.agent import AgentStatus, write_status
from sync.central import open_store
from sync.outbox import Outbox, OutboxConfig
from tests.support.sync import CentralKit, DeviceKit, agent_for, wait_until


def test_status_json_reads_the_status_file(tmp_path):
    path = tmp_path / "agent.json"
    write_status(
        path, AgentStatus(device_id="kiosk-9", state="connected", connected=True, backlog=3)
    )
    result = CliRunner().invoke(cli, ["sync-agent", "status", "--json", "--status", str(path)])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["device_id"] == "kiosk-9" and data["backlog"] == 3 and data["connected"] is True
    result = CliRunner().invoke(cli, ["sync-agent", "status", "--status", str(path)])
    assert result.exit_code == 0 and "backlog" in result.stdout


def test_status_without_a_file_is_one_line_error(tmp_path):
    result = CliRunner().invoke(
        cli, ["sync-agent", "status", "--json", "--status", str(tmp_path / "none.json")]
    )
    assert result.exit_code == 1
    assert (
        result.stderr.strip().startswith("error:") and len(result.stderr.strip().splitlines()) == 1
    )


def _central_and_device(tmp_path, device_id: str):
    """Central keys and one enrolled device speaking to a free loopback port."""
    port = free_port(host="127.0.0.1")
    keys_dir = tmp_path / "central"
    init_central(keys_dir)
    device = enroll_device(
        keys_dir,
        tmp_path / "dev",
        device_id=device_id,
        center="c",
        endpoint=f"tcp://127.0.0.1:{port}",
    )
    return port, keys_dir, device, load_central_keys(keys_dir)


def test_central_serve_stores_and_opens_records(tmp_path):
    port, keys_dir, device, keys = _central_and_device(tmp_path, "kiosk-042")
    db = str(tmp_path / "central.db")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "madoguchi.cli",
            "central",
            "serve",
            "--keys",
            str(keys_dir),
            "--db",
            db,
            "--bind",
            f"tcp://127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0),
        device.device_id,
        device.sealing_public,
        device.sealing_key_id,
    ).open()
    try:
        outbox.append_many([("application", {"procedure": "moving-in", "n": i}) for i in range(5)])
        kit = DeviceKit(
            device.device_id, device.curve_public, device.curve_secret, device.signing_key, outbox
        )
        central = CentralKit(keys.curve_public, keys.curve_secret, None)
        agent = agent_for(kit, central, f"tcp://127.0.0.1:{port}", hello_timeout_s=1.0).start()
        try:
            assert wait_until(lambda: agent.acked_seq == 5, 30)
        finally:
            agent.stop()

        def opened() -> int:
            store = open_store(db)
            try:
                return store.count("applications")
            finally:
                store.close()

        assert wait_until(lambda: opened() == 5, 20)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        outbox.close()


def test_signed_catalog_travels_down_to_the_agent_process(tmp_path):
    """central serve --bundles-dir → BUNDLE after HELLO → sync-agent run applies it with
    sync.bundles.BundleStore (verify, version must grow) and reports BUNDLE_ACK; the config
    bundle announcing a rotated sealing key travels the same way."""
    from datetime import UTC, datetime, timedelta

    from sync.bundles import BundleStore, sign_bundle

    port, keys_dir, device, keys = _central_and_device(tmp_path, "kiosk-043")
    offered = tmp_path / "offered"
    offered.mkdir()
    (offered / "catalog.bundle").write_bytes(
        sign_bundle(
            "catalog",
            3,
            {"procedures": []},
            signing_key=keys.catalog_signing_key,
            expires_at=datetime.now(UTC) + timedelta(days=30),
        )
    )
    # and the config bundle announcing the current sealing key (`provision publish-config`)
    from provisioning import publish_config, rotate_sealing

    new_key_id = rotate_sealing(keys_dir).sealing_key_id
    publish_config(keys_dir, offered, expires_at=datetime.now(UTC) + timedelta(days=30))
    Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0),
        device.device_id,
        device.sealing_public,
        device.sealing_key_id,
    ).open().close()
    applied = tmp_path / "applied"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "madoguchi.cli",
                "central",
                "serve",
                "--keys",
                str(keys_dir),
                "--db",
                str(tmp_path / "c.db"),
                "--bind",
                f"tcp://127.0.0.1:{port}",
                "--bundles-dir",
                str(offered),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "madoguchi.cli",
                "sync-agent",
                "run",
                "--bundle",
                str(tmp_path / "dev"),
                "--outbox",
                str(tmp_path / "outbox.db"),
                "--bundles-dir",
                str(applied),
                "--status",
                str(tmp_path / "st.json"),
                "--request-socket",
                "",
                "--backoff-cap",
                "0.5",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        store = BundleStore(applied, device.catalog_public)
        assert wait_until(lambda: store.versions()["catalog"] == 3, 30)
        assert wait_until(lambda: store.versions().get("config", 0) >= 1, 30)
        config = store.current("config")
        assert config is not None and config.payload["sealing"]["key_id"] == new_key_id
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        assert [proc.wait(20) for proc in procs] == [0, 0]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
