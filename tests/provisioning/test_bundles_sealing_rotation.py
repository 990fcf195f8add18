"""After `provision rotate --sealing`, a config bundle signed with `--with-sealing-key`
announces the new sealing key to devices; `sealing_key_of` reads it back checked (key id
derived from the key), and the central side still holds every older key."""

import base64
import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from madoguchi.cli import cli
from provisioning import load_central_keys
from sync.bundles import Bundle, BundleFormatError, BundleStore, sealing_key_of


def _run(*args):
    result = CliRunner().invoke(cli, ["provision", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def test_rotated_sealing_key_travels_in_a_config_bundle(tmp_path):
    central = tmp_path / "central"
    _run("init-central", central)
    old_id = load_central_keys(central).sealing_key_id
    _run("rotate", "--central", central, "--sealing")
    keys = load_central_keys(central)
    assert keys.sealing_key_id != old_id and old_id in keys.sealing_keys
    (tmp_path / "config.json").write_text(json.dumps({"notice": "新しい鍵"}))
    _run(
        "sign-catalog",
        tmp_path / "config.json",
        "--central",
        central,
        "--type",
        "config",
        "--version",
        "1",
        "--expires",
        "30d",
        "--with-sealing-key",
        "--out",
        tmp_path / "c.b",
    )
    store = BundleStore(tmp_path / "bundles", keys.catalog_public)
    store.apply((tmp_path / "c.b").read_bytes())
    key, key_id = sealing_key_of(store.current("config"))
    assert key_id == keys.sealing_key_id
    assert key.public_bytes_raw() == keys.sealing_public.public_bytes_raw()
    assert sealing_key_of(store.current("catalog")) is None


def test_with_sealing_key_is_for_config_bundles(tmp_path):
    _run("init-central", tmp_path / "central")
    (tmp_path / "c.json").write_text("{}")
    result = CliRunner().invoke(
        cli,
        [
            "provision",
            "sign-catalog",
            str(tmp_path / "c.json"),
            "--central",
            str(tmp_path / "central"),
            "--version",
            "1",
            "--expires",
            "1d",
            "--with-sealing-key",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1


def _config(entry):
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return Bundle("config", 1, now, now, {"sealing": entry}, b"")


_RAW = X25519PrivateKey.generate().public_key().public_bytes_raw()
_B64 = base64.b64encode(_RAW).decode()


@pytest.mark.parametrize(
    "entry",
    [
        "x",
        {"public": _B64},
        {"public": _B64, "key_id": "0" * 16},
        {"public": "%%", "key_id": "0" * 16},
        {"public": base64.b64encode(b"short").decode(), "key_id": "0" * 16},
        {"public": 5, "key_id": "0" * 16},
    ],
    ids=["not a table", "no key id", "wrong key id", "not base64", "short key", "not text"],
)
def test_bad_sealing_entries(entry):
    with pytest.raises(BundleFormatError):
        sealing_key_of(_config(entry))
