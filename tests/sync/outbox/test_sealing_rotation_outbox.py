"""The outbox seals NEW records to the key a signed config bundle announces (`AnnouncedSealingKey`
over the bundle store the agent writes), and to nothing else: real sealing, real SQLite outbox,
real bundle store. A bundle that is tampered, signed by another key, rolled back, expired or
carries a malformed key is refused, and sealing continues with the previous key; records already
sealed stay as they are and open with the key their header names."""

import base64
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import sync.outbox._keys as keys_module
from madoguchi.core.durable import write_atomic
from provisioning import sealing_key_id
from sync.bundles import (
    BundleExpiredError,
    BundleFormatError,
    BundleRollbackError,
    BundleSignatureError,
    BundleStore,
    sealing_entry,
    sign_bundle,
)
from sync.errors import OpenError
from sync.outbox import AnnouncedSealingKey, Outbox, OutboxConfig
from sync.sealing import open_record
from tests.support.sync import kill_while_writing, write_private_pem

CATALOG = Ed25519PrivateKey.generate()
K1, K2, K3 = (X25519PrivateKey.generate() for _ in range(3))  # enrolled, then two rotations
KID = {sealing_key_id(k.public_key()): k for k in (K1, K2, K3)}


def kid(key: X25519PrivateKey) -> str:
    return sealing_key_id(key.public_key())


def entry(key: X25519PrivateKey) -> dict:
    return sealing_entry(key.public_key(), kid(key))


def config(version, key=None, *, signer=CATALOG, expires=None, sealing=None, **extra):
    payload = dict(extra)
    if key is not None or sealing is not None:
        payload["sealing"] = sealing if sealing is not None else entry(key)
    now = datetime.now(UTC)
    return sign_bundle(
        "config",
        version,
        payload,
        expires_at=expires or now + timedelta(days=30),
        signing_key=signer,
        issued_at=now - timedelta(days=60),
    )


@pytest.fixture
def device(tmp_path):
    """(agent's bundle store, kiosk outbox sealing through an AnnouncedSealingKey)."""
    store = BundleStore(tmp_path / "bundles", CATALOG.public_key())
    source = AnnouncedSealingKey(tmp_path / "bundles", CATALOG.public_key())
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.sqlite3", reserve_bytes=0),
        "kita-01",
        K1.public_key(),
        kid(K1),
        key_source=source,
    ).open()
    yield store, outbox
    outbox.close()


def last_record(outbox):
    seq, _ = outbox.head()
    (record,) = outbox.records_from(seq, 1, 1 << 20)
    return record


def append_kid(outbox, n=0) -> str:
    outbox.append("survey", {"score": n})
    record = last_record(outbox)
    # the header names the key, and that key (and only it) opens the body
    assert open_record(record, KID[record.header.key_id]) == {"score": n}
    return record.header.key_id


def test_new_records_seal_to_the_announced_key_old_ones_stay(device):
    store, outbox = device
    assert append_kid(outbox, 1) == kid(K1)  # nothing announced: the enrolled key
    store.apply(config(1, K2, notice="rotation"))
    assert outbox.key_id == kid(K2)
    assert append_kid(outbox, 2) == kid(K2)
    first, second = outbox.records_from(1, 2, 1 << 20)
    assert first.header.key_id == kid(K1) and open_record(first, K1) == {"score": 1}
    with pytest.raises(OpenError):
        open_record(second, K1)  # the old key cannot read what was sealed to the new one
    assert outbox.verify()[0] == 2  # one unbroken chain across the rotation


def test_a_replaced_bundle_is_noticed_and_a_config_without_key_keeps_it(device):
    store, outbox = device
    store.apply(config(1, K2))
    assert append_kid(outbox) == kid(K2)
    store.apply(config(2, K3))
    assert append_kid(outbox) == kid(K3)
    store.apply(config(3, notice="no key in this one"))
    assert append_kid(outbox) == kid(K3)
    store.apply(config(4, K2))  # the central side may name an older key again: signed, newer
    assert append_kid(outbox) == kid(K2)


def _low_order():
    return {"public": base64.b64encode(bytes(32)).decode(), "key_id": kid_of_raw(bytes(32))}


def kid_of_raw(raw: bytes) -> str:
    import hashlib

    return hashlib.sha256(raw).hexdigest()[:16]


def _tampered():
    data = bytearray(config(5, K3))
    i = data.index(b'"signed":"') + 20
    data[i] = ord("A") if data[i] != ord("A") else ord("B")
    return bytes(data)


_short = base64.b64encode(b"short").decode()
REFUSED = [
    ("tampered", _tampered, BundleSignatureError),
    ("wrong signer", lambda: config(5, K3, signer=Ed25519PrivateKey.generate()), BundleSignatureError),
    ("rollback", lambda: config(1, K3), BundleRollbackError),
    ("expired", lambda: config(5, K3, expires=datetime.now(UTC) - timedelta(days=1)), BundleExpiredError),
    ("key id of another key", lambda: config(5, sealing={**entry(K3), "key_id": kid(K1)}), BundleFormatError),
    ("low-order key", lambda: config(5, sealing=_low_order()), BundleFormatError),
    ("short key", lambda: config(5, sealing={"public": _short, "key_id": "0" * 16}), BundleFormatError),
    ("not base64", lambda: config(5, sealing={"public": "%%", "key_id": "0" * 16}), BundleFormatError),
    ("no key id", lambda: config(5, sealing={"public": entry(K3)["public"]}), BundleFormatError),
    ("not a table", lambda: config(5, sealing=[1]), BundleFormatError),
]  # fmt: skip


@pytest.mark.parametrize("make, error", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_bundles_keep_the_previous_key(device, make, error):
    store, outbox = device
    store.apply(config(2, K2))
    assert append_kid(outbox) == kid(K2)
    bad = make()
    # the agent's path: the store refuses it and keeps the applied bundle
    with pytest.raises(error):
        store.apply(bad)
    assert store.versions()["config"] == 2
    assert append_kid(outbox) == kid(K2)
    if error is BundleExpiredError:
        return  # expiry is checked where bundles enter the device (see the next test)
    # written straight into the store's file (bypassing the agent): still not taken
    write_atomic(store.directory / "config.bundle", bad, mode=0o644)
    assert append_kid(outbox) == kid(K2)
    assert append_kid(outbox) == kid(K2)


def test_an_applied_bundle_that_expires_later_stays_in_force(tmp_path):
    """Expiry guards what the agent takes in; once applied, the bundle is still the newest word
    from the central side, and the enrolled key is older still."""
    soon = datetime.now(UTC) + timedelta(seconds=30)
    store = BundleStore(tmp_path / "b", CATALOG.public_key())
    store.apply(config(1, K2, expires=soon))
    later = BundleStore(tmp_path / "b", CATALOG.public_key(), clock=lambda: soon + timedelta(1))
    assert later.status()["config"]["expired"] is True
    assert AnnouncedSealingKey(tmp_path / "b", CATALOG.public_key()).current().key_id == kid(K2)


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"x" * 100, None],
    ids=["empty", "not json", "garbage", "catalog bundle under the config name"],
)
def test_an_unusable_file_at_start_means_the_enrolled_key(device, content):
    store, outbox = device
    if content is None:
        now = datetime.now(UTC)
        content = sign_bundle(
            "catalog", 9, {}, expires_at=now + timedelta(days=1), signing_key=CATALOG
        )
    store.directory.mkdir(exist_ok=True)
    (store.directory / "config.bundle").write_bytes(content)
    assert append_kid(outbox) == kid(K1)


def test_without_a_pinned_catalog_key_nothing_is_announced(tmp_path):
    BundleStore(tmp_path / "b", CATALOG.public_key()).apply(config(1, K2))
    assert AnnouncedSealingKey(tmp_path / "b", None).current() is None


def test_a_vanished_bundle_keeps_the_key(device):
    store, outbox = device
    store.apply(config(1, K2))
    assert append_kid(outbox) == kid(K2)
    (store.directory / "config.bundle").unlink()
    assert append_kid(outbox) == kid(K2)


def test_the_signature_is_checked_only_when_the_file_changes(device, monkeypatch):
    store, outbox = device
    calls = []
    real = keys_module.load_trusted
    monkeypatch.setattr(keys_module, "load_trusted", lambda *a: calls.append(1) or real(*a))
    store.apply(config(1, K2))
    outbox.append_many([("survey", {"i": i}) for i in range(5)])
    for i in range(50):
        outbox.append("survey", {"i": i})
    assert len(calls) == 1
    store.apply(config(2, K3))
    outbox.append("survey", {})
    assert len(calls) == 2 and last_record(outbox).header.key_id == kid(K3)


def test_append_many_seals_every_record_to_one_key(device):
    store, outbox = device
    store.apply(config(1, K2))
    outbox.append_many([("survey", {"i": i}) for i in range(3)])
    assert {r.header.key_id for r in outbox.records_from(1, 10, 1 << 20)} == {kid(K2)}


def test_the_agent_side_outbox_holds_no_key(device, tmp_path):
    store, outbox = device
    store.apply(config(1, K2))
    agent_side = Outbox(
        OutboxConfig(tmp_path / "outbox.sqlite3"),
        "kita-01",
        None,
        kid(K1),
        key_source=AnnouncedSealingKey(store.directory, CATALOG.public_key()),
    ).open()
    try:
        assert agent_side.sealing_key() is None
    finally:
        agent_side.close()


_WRITER = textwrap.dedent(
    """
    import base64, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from sync.bundles import BundleStore, sign_bundle

    catalog = load_pem_private_key(Path(sys.argv[2]).read_bytes(), None)
    entries = [line.split() for line in Path(sys.argv[3]).read_text().splitlines()]
    store = BundleStore(sys.argv[1], catalog.public_key())
    expires = datetime.now(UTC) + timedelta(days=1)
    version = store.versions()["config"]
    print("ready", flush=True)
    while True:
        version += 1
        public, key_id = entries[version % len(entries)]
        payload = {"sealing": {"public": public, "key_id": key_id}, "pad": "x" * 300_000}
        store.apply(sign_bundle("config", version, payload, expires_at=expires, signing_key=catalog))
    """
)


def test_a_kill_while_the_agent_writes_the_bundle_leaves_the_old_or_new_key(device, tmp_path):
    """SIGKILL a process applying config bundles (alternating K2/K3, padded to widen the write
    window) at arbitrary instants: the next append seals to K2 or K3 with the matching key id,
    never to a mix, and a fresh reader agrees with the long-lived one."""
    store, outbox = device
    key_file = write_private_pem(tmp_path / "catalog.pem", CATALOG)
    entries = tmp_path / "entries"
    entries.write_text("".join(f"{entry(k)['public']} {kid(k)}\n" for k in (K2, K3)))
    writer = [sys.executable, "-c", _WRITER, str(store.directory), str(key_file), str(entries)]
    seen = set()
    for i in range(6):
        kill_while_writing(writer, 0.05 + 0.04 * i)
        got = append_kid(outbox, i)  # opens with the key its header names, or fails here
        fresh = AnnouncedSealingKey(store.directory, CATALOG.public_key()).current()
        assert got in (kid(K1), kid(K2), kid(K3))
        if fresh is not None:
            assert fresh.key_id == got
            assert fresh.public.public_bytes_raw() == KID[got].public_key().public_bytes_raw()
        seen.add(got)
    assert seen & {kid(K2), kid(K3)}, "the writer never applied a bundle"
    assert outbox.verify()[0] == 6
