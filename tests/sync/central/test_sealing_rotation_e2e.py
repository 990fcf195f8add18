"""A central sealing-key rotation end to end over real sockets on 127.0.0.1: keys from
`init_central`, a terminal from `enroll_device`, the real receiver (ZAP allowlist = registry)
offering `<bundles>/` through `directory_bundle_source`, the real agent applying bundles into a
`BundleStore` the way `madoguchi sync-agent run` wires it, and the kiosk's outbox sealing through
`AnnouncedSealingKey`. Rotate → publish-config → the connected agent applies it (no reconnect)
→ the next append is sealed to the new key id → processing opens records of both keys. Then a
hostile downlink (tampered, foreign key, rollback, expired, malformed key) is refused over the
wire and sealing continues with the announced key."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from provisioning import (
    Registry,
    enroll_device,
    init_central,
    load_central_keys,
    load_device_bundle,
    publish_config,
    rotate_sealing,
)
from sync.bundles import BundleStore, sealing_entry, sign_bundle
from sync.central.processing import Processor
from sync.central.receiver import Receiver, ReceiverConfig
from sync.central.receiver_bundles import directory_bundle_source
from sync.central.stores import open_store
from sync.outbox import AnnouncedSealingKey, Outbox, OutboxConfig
from tests.support.sync import committed, enrolled_agent, wait_until

DAY = timedelta(days=1)


class Site:
    """Central (keys, bundles dir, receiver) + one terminal (kiosk outbox, agent, bundle store)."""

    def __init__(self, tmp_path, bundle_source=None):
        self.tmp = tmp_path
        self.keys = init_central(tmp_path / "central")
        self.bundles = tmp_path / "central-bundles"
        self.bundles.mkdir()
        self.catalog = sign_bundle(
            "catalog",
            3,
            {"procedures": []},
            expires_at=datetime.now(UTC) + 30 * DAY,
            signing_key=self.keys.catalog_signing_key,
        )
        (self.bundles / "catalog.bundle").write_bytes(self.catalog)
        self.db = str(tmp_path / "central.db")
        self.receiver = Receiver(
            ReceiverConfig(bind="tcp://127.0.0.1:0", bundle_recheck_s=0.2),
            lambda: open_store(self.db),
            Registry(self.keys.registry_path),
            self.keys.curve_public,
            self.keys.curve_secret,
            bundle_source=bundle_source
            or directory_bundle_source(self.bundles, self.keys.catalog_public),
        ).start()
        enroll_device(
            self.keys.directory,
            tmp_path / "device",
            device_id="kita-01",
            center="北",
            endpoint=self.receiver.endpoint,
        )
        self.device = device = load_device_bundle(tmp_path / "device")
        outbox_path = tmp_path / "var" / "outbox.sqlite3"
        outbox_path.parent.mkdir()
        # the kiosk process: seals, reading the agent's bundles dir beside the outbox
        self.outbox = Outbox(
            OutboxConfig(outbox_path, reserve_bytes=0),
            device.device_id,
            device.sealing_public,
            device.sealing_key_id,
            key_source=AnnouncedSealingKey(outbox_path.parent / "bundles", device.catalog_public),
        ).open()
        # the agent process: its own outbox handle without the sealing key, its bundle store
        self.agent_outbox = Outbox(
            OutboxConfig(outbox_path), device.device_id, None, device.sealing_key_id
        ).open()
        self.store = BundleStore(outbox_path.parent / "bundles", device.catalog_public)
        self.agent = enrolled_agent(device, self.agent_outbox, self.store).start()

    def append(self, n: int) -> list[str]:
        first = self.outbox.head()[0] + 1
        for i in range(n):
            self.outbox.append("survey", {"score": i % 11})
        return [r.header.key_id for r in self.outbox.records_from(first, n, 1 << 20)]

    def committed(self) -> int:
        return committed(self.db, "kita-01")

    def close(self):
        self.agent.stop()
        self.receiver.stop()
        self.outbox.close()
        self.agent_outbox.close()


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.close()


def test_rotation_reaches_the_kiosk_and_both_keys_open(site):
    old_key_id = site.device.sealing_key_id
    assert wait_until(lambda: site.agent.status.connected, 20)
    assert wait_until(lambda: site.store.versions()["catalog"] == 3, 20)
    assert site.append(3) == [old_key_id] * 3
    assert wait_until(lambda: site.committed() == 3, 20)
    # the processing stage as it runs before the rotation, told how to reload the keys
    processor = Processor(
        lambda: open_store(site.db),
        site.keys.sealing_keys,
        key_loader=lambda: load_central_keys(site.keys.directory).sealing_keys,
    )
    try:
        assert processor.drain() == 3
        new_key_id = rotate_sealing(site.keys.directory).sealing_key_id
        publish_config(site.keys.directory, site.bundles, expires_at=datetime.now(UTC) + 90 * DAY)
        # the connected agent gets it without reconnecting
        assert wait_until(lambda: site.store.versions()["config"] == 1, 20)
        assert site.agent.status.reconnects == 0
        assert site.agent.status.catalog_version == 3  # a config bundle is not a catalog
        assert site.append(3) == [new_key_id] * 3
        assert wait_until(lambda: site.committed() == 6, 20)
        assert processor.drain() == 3
        store = open_store(site.db)
        try:
            assert store.count("surveys", "kita-01") == 6
            assert store.count("quarantine", "kita-01") == 0
        finally:
            store.close()
        assert site.receiver.stats["bundles_refused"] == 0
    finally:
        processor.store.close()


def _hostile(keys, good_version):
    """Bundles a compromised link or central host without the catalog key could send."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from provisioning import sealing_key_id

    now = datetime.now(UTC)
    attacker = X25519PrivateKey.generate().public_key()
    sealing = sealing_entry(attacker, sealing_key_id(attacker))

    def sign(version, payload, *, key=keys.catalog_signing_key, expires=now + DAY):
        return sign_bundle(
            "config", version, payload, expires_at=expires, signing_key=key, issued_at=now - DAY
        )

    good = sign(good_version + 1, {"sealing": sealing})
    env = json.loads(good)
    env["signed"] = base64.b64encode(
        base64.b64decode(env["signed"]).replace(b'"version":', b'"version":1')
    ).decode()
    return {
        "tampered": json.dumps(env).encode(),
        "foreign key": sign(good_version + 1, {"sealing": sealing}, key=Ed25519PrivateKey.generate()),
        "rollback": sign(good_version - 1, {"sealing": sealing}),
        "expired": sign(good_version + 1, {"sealing": sealing}, expires=now - timedelta(seconds=1)),
        "malformed key": sign(good_version + 1, {"sealing": {**sealing, "key_id": "0" * 16}}),
    }  # fmt: skip


def test_a_hostile_downlink_is_refused_and_sealing_keeps_the_announced_key(tmp_path):
    offered = {"bundles": []}
    site = Site(tmp_path, bundle_source=lambda device_id, catalog_version: offered["bundles"])
    try:
        assert wait_until(lambda: site.agent.status.connected, 20)
        new_key_id = rotate_sealing(site.keys.directory).sealing_key_id
        publish_config(site.keys.directory, site.bundles, expires_at=datetime.now(UTC) + 9 * DAY)
        publish_config(site.keys.directory, site.bundles, expires_at=datetime.now(UTC) + 9 * DAY)
        offered["bundles"] = [(site.bundles / "config.bundle").read_bytes()]  # version 2
        assert wait_until(lambda: site.store.versions()["config"] == 2, 20)
        assert site.append(1) == [new_key_id]
        hostile = _hostile(site.keys, good_version=2)
        offered["bundles"] = list(hostile.values())
        assert wait_until(lambda: site.receiver.stats["bundles_refused"] == len(hostile), 20)
        assert site.store.versions()["config"] == 2
        assert site.append(2) == [new_key_id] * 2
        assert wait_until(lambda: site.committed() == 3, 20)
        assert site.agent.status.connected  # refusals do not cost the session
    finally:
        site.close()
