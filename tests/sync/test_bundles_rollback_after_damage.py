"""Issue 15 item 5: the highest version applied per bundle type lives apart from the bundle file
(`applied-versions.json`), so damaging, deleting or replacing the applied file never lets an
older, validly signed, unexpired bundle in again. Real files in a real directory."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.bundles import (
    VERSIONS_FILE,
    BundleEqualVersionError,
    BundleExpiredError,
    BundleRollbackError,
    BundleStore,
    sign_bundle,
)

NOW = datetime(2027, 4, 1, 9, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()


def _bundle(version, kind="catalog", payload=None, expires=NOW + timedelta(days=30)):
    return sign_bundle(
        kind,
        version,
        payload if payload is not None else {"n": version},
        expires_at=expires,
        signing_key=KEY,
        issued_at=NOW - timedelta(hours=1),
    )


DAMAGE = {
    "deleted": lambda p: p.unlink(),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:-30]),
    "emptied": lambda p: p.write_bytes(b""),
    "older copied over": lambda p: p.write_bytes(_bundle(3)),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
@pytest.mark.timeout(30)
def test_older_bundle_is_refused_after_the_applied_file_is_damaged(tmp_path, damage):
    store = BundleStore(tmp_path / "b", KEY.public_key(), clock=lambda: NOW)
    assert store.apply(_bundle(3)).changed
    assert store.apply(_bundle(5)).changed
    damage(tmp_path / "b" / "catalog.bundle")
    # readers see no usable bundle (the packaged default), and HELLO asks for a re-send
    assert store.current("catalog") is None
    assert store.versions()["catalog"] == 0
    assert store.floor()["catalog"] == 5
    for older in (_bundle(3), _bundle(4), _bundle(1)):
        with pytest.raises(BundleRollbackError) as e:
            store.apply(older)
        assert e.value.current_version == 5
    # a different bundle reusing version 5 is refused too
    with pytest.raises(BundleEqualVersionError):
        store.apply(_bundle(5, payload={"other": True}))
    # a fresh BundleStore on the same directory (a restart) keeps the floor
    again = BundleStore(tmp_path / "b", KEY.public_key(), clock=lambda: NOW)
    with pytest.raises(BundleRollbackError):
        again.apply(_bundle(4))
    # the very bundle applied last repairs the file; newer ones go on as usual
    assert again.apply(_bundle(5)).changed
    assert again.current("catalog").version == 5
    assert again.apply(_bundle(5)).changed is False
    assert again.apply(_bundle(6)).version == 6


@pytest.mark.timeout(30)
def test_floor_file_is_separate_durable_and_per_type(tmp_path):
    store = BundleStore(tmp_path / "b", KEY.public_key(), clock=lambda: NOW)
    store.apply(_bundle(7))
    store.apply(_bundle(2, kind="config"))
    floor_file = tmp_path / "b" / VERSIONS_FILE
    doc = json.loads(floor_file.read_text())
    assert doc["applied"]["catalog"]["version"] == 7
    assert doc["applied"]["config"]["version"] == 2
    assert floor_file.stat().st_mode & 0o777 == 0o644  # the kiosk's readers check it too
    (tmp_path / "b" / "catalog.bundle").unlink()
    (tmp_path / "b" / "config.bundle").unlink()
    assert store.floor() == {"catalog": 7, "config": 2}
    with pytest.raises(BundleRollbackError):
        store.apply(_bundle(1, kind="config"))
    assert store.apply(_bundle(3, kind="config")).version == 3  # the catalog floor is its own


@pytest.mark.timeout(30)
def test_restoring_the_last_bundle_is_refused_once_it_expired(tmp_path):
    clock = [NOW]
    store = BundleStore(tmp_path / "b", KEY.public_key(), clock=lambda: clock[0])
    store.apply(_bundle(4, expires=NOW + timedelta(days=1)))
    (tmp_path / "b" / "catalog.bundle").unlink()
    clock[0] = NOW + timedelta(days=2)
    with pytest.raises(BundleExpiredError):
        store.apply(_bundle(4, expires=NOW + timedelta(days=1)))
    assert store.current("catalog") is None


@pytest.mark.timeout(30)
def test_a_damaged_floor_file_falls_back_to_the_bundle_files(tmp_path):
    store = BundleStore(tmp_path / "b", KEY.public_key(), clock=lambda: NOW)
    store.apply(_bundle(5))
    (tmp_path / "b" / VERSIONS_FILE).write_bytes(b"{not json")
    # the bundle file still holds the floor; the next apply rewrites the floor file
    with pytest.raises(BundleRollbackError):
        store.apply(_bundle(4))
    six = _bundle(6)
    assert store.apply(six).changed
    entry = json.loads((tmp_path / "b" / VERSIONS_FILE).read_text())["applied"]["catalog"]
    assert entry == {"version": 6, "sha256": hashlib.sha256(six).hexdigest()}
