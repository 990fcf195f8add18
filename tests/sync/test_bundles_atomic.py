"""Partial-write safety: a process applying bundles is SIGKILLed at arbitrary instants; the
store always holds a complete, verifiable bundle and its version never goes down. Stray temp
files from a killed writer do not disturb the next apply."""

import os
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.bundles import BundleStore, sign_bundle
from tests.support.sync import kill_while_writing, write_private_pem

_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from sync.bundles import BundleStore, sign_bundle

    key = load_pem_private_key(Path(sys.argv[2]).read_bytes(), None)
    store = BundleStore(sys.argv[1], key.public_key())
    expires = datetime.now(UTC) + timedelta(days=1)
    payload = {"blob": "x" * 200_000}
    version = store.versions()["catalog"]
    print("ready", flush=True)
    while True:
        version += 1
        store.apply(sign_bundle("catalog", version, payload, expires_at=expires, signing_key=key))
    """
)


def _check(store, last):
    bundle = store.current("catalog")
    if bundle is None:
        return last
    assert bundle.version >= last
    assert bundle.payload["blob"] == "x" * 200_000
    return bundle.version


@pytest.mark.parametrize("rounds", [6, pytest.param(40, marks=pytest.mark.slow)])
def test_kill_during_apply_never_leaves_a_partial_bundle(tmp_path, rounds):
    key = Ed25519PrivateKey.generate()
    key_file = write_private_pem(tmp_path / "key.pem", key)
    store = BundleStore(tmp_path / "bundles", key.public_key())
    last = 0
    for i in range(rounds):
        writer = [sys.executable, "-c", _WRITER, str(tmp_path / "bundles"), str(key_file)]
        kill_while_writing(writer, 0.05 + 0.03 * (i % 8))
        last = _check(store, last)
    assert last > 0, "the writer never applied a bundle"
    # a leftover temp file from a killed writer does not disturb the next apply
    (tmp_path / "bundles" / f".catalog.bundle.{os.getpid()}.tmp").write_bytes(b"half")
    expires = datetime.now(UTC) + timedelta(days=1)
    data = sign_bundle(
        "catalog", last + 1, {"blob": "x" * 200_000}, expires_at=expires, signing_key=key
    )
    assert store.apply(data).version == last + 1
    assert _check(store, last) == last + 1
