"""Provisioning end to end over real sockets: keys from `init_central`, a terminal enrolled with
`enroll_device`, the receiver's allowlist = the `Registry`, the issuer's `default_handlers`, a
signed catalog bundle pushed down and applied by the device's `BundleStore`, applications from
the device's outbox opened centrally and forwarded to a real local HTTP back-office; then a
revocation written by another process ends the device's session."""

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from provisioning import Registry, enroll_device, init_central, load_device_bundle
from sync.bundles import BundleStore, sign_bundle
from sync.central.config_files import default_handlers
from sync.central.forwarder import ForwarderConfig, store_forwarder
from sync.central.processing import Processor
from sync.central.receiver import Receiver, ReceiverConfig
from sync.central.receiver_bundles import directory_bundle_source
from sync.central.stores import open_store
from sync.kiosk_challenge import auth_message
from sync.outbox import Outbox, OutboxConfig
from tests.support.backoffice import BackOffice
from tests.support.sync import enrolled_agent
from tests.support.sync import wait_until as _wait


@pytest.fixture
def card():
    from devices.card.simulator.ca import default_test_ca, issue_card_credentials

    ca = default_test_ca()
    return ca, issue_card_credentials(ca, "e2e")


def test_enrolled_terminal_end_to_end(tmp_path, card):
    ca, creds = card
    keys = init_central(tmp_path / "central")
    (keys.directory / "jpki-ca").mkdir()
    (keys.directory / "jpki-ca" / "test.pem").write_bytes(
        ca.certificate.public_bytes(serialization.Encoding.PEM)
    )
    (keys.directory / "slots.json").write_text(
        json.dumps([{"id": "tax_9", "topic": "tax", "start": "2999-01-01T10:00", "minutes": 30}])
    )
    central_bundles = tmp_path / "central-bundles"
    central_bundles.mkdir()
    catalog = sign_bundle(
        "catalog",
        3,
        {"procedures": ["転入届"]},
        expires_at=datetime.now(UTC) + timedelta(days=30),
        signing_key=keys.catalog_signing_key,
    )
    (central_bundles / "catalog.bundle").write_bytes(catalog)

    db = str(tmp_path / "central.db")
    receiver = Receiver(
        ReceiverConfig(bind="tcp://127.0.0.1:0", allowlist_recheck_s=0.2),
        lambda: open_store(db),
        Registry(keys.registry_path),
        keys.curve_public,
        keys.curve_secret,
        handlers=default_handlers(keys, db),
        bundle_source=directory_bundle_source(central_bundles, keys.catalog_public),
    ).start()

    device = enroll_device(
        keys.directory,
        tmp_path / "kita-01",
        device_id="kita-01",
        center="北",
        endpoint=receiver.endpoint,
    )
    device = load_device_bundle(tmp_path / "kita-01")
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.sqlite3", reserve_bytes=0),
        device.device_id,
        device.sealing_public,
        device.sealing_key_id,
    ).open()
    for i in range(5):
        outbox.append("application", {"form": "転入届", "n": i})
    device_bundles = BundleStore(tmp_path / "device-bundles", device.catalog_public)
    agent = enrolled_agent(device, outbox, device_bundles, heartbeat_timeout_s=2.0).start()
    office = BackOffice().__enter__()
    try:
        assert _wait(lambda: agent.status.connected)
        # downlink: the signed catalog arrives and is applied on the device
        assert _wait(lambda: device_bundles.versions()["catalog"] == 3)
        assert device_bundles.current("catalog").payload == {"procedures": ["転入届"]}
        # online requests reach the issuer
        minted = agent.request(
            "certificate.challenge", {"certificate": "resident_record", "copies": 1}, timeout=10
        )
        challenge = base64.b64decode(minted["challenge"])
        message = auth_message(
            device_id=device.device_id, certificate="resident_record", copies=1, challenge=challenge
        )
        signature = creds.key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        reply = agent.request(
            "certificate.issue",
            {
                "certificate": "resident_record",
                "copies": 1,
                "auth_certificate": base64.b64encode(creds.certificate_der).decode(),
                "challenge": base64.b64encode(challenge).decode(),
                "signature": base64.b64encode(signature).decode(),
            },
            timeout=10,
        )
        assert reply["ok"] is True and reply["type"] == "resident_record", reply
        slots = agent.request("consultation.slots", {"topic": "tax"}, timeout=10)
        assert [s["id"] for s in slots["slots"]] == ["tax_9"]
        # uplink: every application stored, opened, forwarded once with its record id as key
        store = open_store(db)
        assert _wait(lambda: store.device_state("kita-01").committed_seq == 5)
        processor = Processor(lambda: open_store(db), keys.sealing_keys)
        while processor.run_once():
            pass
        forwarder, source = store_forwarder(ForwarderConfig(url=office.url), store)
        assert forwarder.drain() == 5
        forwarder.stop()
        assert len(office.stored) == 5
        assert sorted(b[0]["body"]["n"] for b in office.stored.values()) == list(range(5))
        assert all(k == b[0]["record_id"] for k, b in office.stored.items())
        source.close()
        store.close()
        # revocation by `madoguchi provision revoke` in another process ends the session
        subprocess.run(
            [
                sys.executable,
                "-m",
                "madoguchi.cli",
                "provision",
                "revoke",
                "--central",
                str(keys.directory),
                "kita-01",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        assert _wait(lambda: not agent.status.connected, 15)
    finally:
        office.__exit__(None, None, None)
        agent.stop()
        receiver.stop()
        outbox.close()
