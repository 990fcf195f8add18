"""sync.bundles: the pure verifier refuses rollback, expired (freeze), wrong key, tampered and
malformed bundles (table-driven), and accepts a good one; the store applies atomically."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.bundles import (
    BundleEqualVersionError,
    BundleExpiredError,
    BundleFormatError,
    BundleRollbackError,
    BundleSignatureError,
    BundleStore,
    sign_bundle,
    verify_bundle,
)

NOW = datetime(2027, 4, 1, 9, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
PUB = KEY.public_key()


def _bundle(version=2, expires=NOW + timedelta(days=30), kind="catalog", payload=None, key=KEY):
    return sign_bundle(
        kind,
        version,
        payload if payload is not None else {"procedures": ["転入届"]},
        expires_at=expires,
        signing_key=key,
        issued_at=NOW - timedelta(hours=1),
    )


def test_good_bundle_verifies():
    b = verify_bundle(_bundle(), PUB, 1, NOW)
    assert (b.type, b.version, b.payload) == ("catalog", 2, {"procedures": ["転入届"]})
    assert verify_bundle(_bundle(kind="config"), PUB, {"catalog": 9}, NOW).type == "config"


def test_rollback_is_refused():
    with pytest.raises(BundleRollbackError) as info:
        verify_bundle(_bundle(version=2), PUB, 5, NOW)
    assert (info.value.version, info.value.current_version) == (2, 5)
    with pytest.raises(BundleEqualVersionError):
        verify_bundle(_bundle(version=5), PUB, {"catalog": 5}, NOW)


def test_expired_is_refused():
    with pytest.raises(BundleExpiredError) as info:
        verify_bundle(_bundle(expires=NOW), PUB, 0, NOW)
    assert info.value.expires_at == NOW


def test_wrong_key_is_refused():
    with pytest.raises(BundleSignatureError):
        verify_bundle(_bundle(key=Ed25519PrivateKey.generate()), PUB, 0, NOW)


def _envelope(data):
    return json.loads(data)


def _with(data, **changes):
    env = _envelope(data)
    env.update(changes)
    return json.dumps(env).encode()


def _flip_signed(data):
    env = _envelope(data)
    signed = bytearray(base64.b64decode(env["signed"]))
    signed[signed.index(b"2")] = ord("9")  # version 2 -> 9
    env["signed"] = base64.b64encode(bytes(signed)).decode()
    return json.dumps(env).encode()


def _flip_sig(data):
    env = _envelope(data)
    sig = bytearray(base64.b64decode(env["sig"]))
    sig[0] ^= 1
    env["sig"] = base64.b64encode(bytes(sig)).decode()
    return json.dumps(env).encode()


def _resign(signed: dict):
    raw = json.dumps(signed).encode()
    env = _envelope(_bundle())
    env["signed"] = base64.b64encode(raw).decode()
    env["sig"] = base64.b64encode(KEY.sign(b"madoguchi/bundle/v1\x00" + raw)).decode()
    return json.dumps(env).encode()


_GOOD_SIGNED = {
    "type": "catalog",
    "version": 2,
    "issued_at": "2027-03-01T00:00:00Z",
    "expires_at": "2027-05-01T00:00:00Z",
    "payload": {},
}

BAD = [
    ("tampered signed bytes", lambda: _flip_signed(_bundle()), BundleSignatureError),
    ("tampered signature", lambda: _flip_sig(_bundle()), BundleSignatureError),
    ("foreign key id", lambda: _with(_bundle(), keyid="0" * 16), BundleSignatureError),
    ("not json", lambda: b"\x00\x01garbage", BundleFormatError),
    ("json list", lambda: b"[]", BundleFormatError),
    ("empty", lambda: b"", BundleFormatError),
    ("extra field", lambda: _with(_bundle(), extra=1), BundleFormatError),
    ("unknown format", lambda: _with(_bundle(), format="tuf"), BundleFormatError),
    ("version true", lambda: _with(_bundle(), v=True), BundleFormatError),
    ("sig not b64", lambda: _with(_bundle(), sig="%%%"), BundleFormatError),
    ("signed not b64", lambda: _with(_bundle(), signed=12), BundleFormatError),
    ("oversize", lambda: b" " * (8 * 1024 * 1024 + 1), BundleFormatError),
    ("unknown type", lambda: _resign({**_GOOD_SIGNED, "type": "firmware"}), BundleFormatError),
    ("version str", lambda: _resign({**_GOOD_SIGNED, "version": "3"}), BundleFormatError),
    ("version zero", lambda: _resign({**_GOOD_SIGNED, "version": 0}), BundleFormatError),
    ("payload list", lambda: _resign({**_GOOD_SIGNED, "payload": []}), BundleFormatError),
    (
        "naive time",
        lambda: _resign({**_GOOD_SIGNED, "expires_at": "2027-05-01"}),
        BundleFormatError,
    ),
    (
        "missing field",
        lambda: _resign({k: v for k, v in _GOOD_SIGNED.items() if k != "payload"}),
        BundleFormatError,
    ),
    (
        "expires before issued",
        lambda: _resign({**_GOOD_SIGNED, "expires_at": "2027-01-01T00:00:00Z"}),
        BundleFormatError,
    ),
]


@pytest.mark.parametrize(("name", "make", "error"), BAD, ids=[b[0] for b in BAD])
def test_bad_bundles(name, make, error):
    with pytest.raises(error):
        verify_bundle(make(), PUB, 0, NOW)


def test_resigned_good_control():
    assert verify_bundle(_resign(_GOOD_SIGNED), PUB, 0, NOW).version == 2


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"version": 0}, BundleFormatError),
        ({"kind": "x"}, BundleFormatError),
        ({"payload": {"x": float("nan")}}, BundleFormatError),
        ({"expires": NOW - timedelta(days=1)}, BundleFormatError),
    ],
)
def test_sign_refuses_bad_input(kwargs, error):
    with pytest.raises(error):
        _bundle(**kwargs)


def test_store_apply_sequence(tmp_path):
    clock = [NOW]
    store = BundleStore(tmp_path / "b", PUB, clock=lambda: clock[0])
    assert store.versions() == {"catalog": 0, "config": 0}
    first = _bundle(version=1)
    assert store.apply(first).changed
    assert store.apply(first).changed is False  # re-delivery is fine
    with pytest.raises(BundleEqualVersionError):
        store.apply(_bundle(version=1, payload={"other": 1}))
    assert store.apply(_bundle(version=4)).version == 4
    for bad, error in [
        (_bundle(version=3), BundleRollbackError),
        (_flip_sig(_bundle(version=6)), BundleSignatureError),
        (_bundle(version=7, key=Ed25519PrivateKey.generate()), BundleSignatureError),
    ]:
        with pytest.raises(error):
            store.apply(bad)
        assert store.current("catalog").version == 4
    clock[0] = NOW + timedelta(days=31)
    with pytest.raises(BundleExpiredError):
        store.apply(_bundle(version=8))
    assert store.current("catalog").version == 4
    assert store.status()["catalog"]["expired"] is True
    assert store.apply(_bundle(version=2, kind="config", expires=NOW + timedelta(days=60)))
    assert store.versions() == {"catalog": 4, "config": 2}


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[:-20]),
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(_bundle(version=9, key=Ed25519PrivateKey.generate())),
    ],
    ids=["truncated", "empty", "foreign signature"],
)
def test_damaged_applied_bundle_counts_as_absent_and_is_repaired(tmp_path, damage):
    store = BundleStore(tmp_path / "b", PUB, clock=lambda: NOW)
    store.apply(_bundle(version=5))
    damage(tmp_path / "b" / "catalog.bundle")
    assert store.current("catalog") is None  # readers fall back to the packaged catalog
    assert store.versions()["catalog"] == 0
    assert store.apply(_bundle(version=6)).changed
    assert store.current("catalog").version == 6
