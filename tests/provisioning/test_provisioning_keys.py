"""Central keys and device bundles: files 0600 in 0700 dirs, keys interoperate with zmq CURVE,
sealing rotation keeps old keys, loaders refuse broken input (table-driven). The z85 tests
moved with the module to tests/sync/keyfiles/test_keyfiles_z85.py."""

import stat

import pytest
import zmq

from provisioning import (
    CentralKeysError,
    DeviceBundleError,
    DuplicateDeviceError,
    enroll_device,
    init_central,
    load_central_keys,
    load_device_bundle,
    load_device_config,
    rotate_sealing,
)


def _enroll(central, out, device_id="kita-01"):
    return enroll_device(
        central,
        out,
        device_id=device_id,
        center="北センター",
        endpoint="tcp://127.0.0.1:1",
        city="市",
    )


def _modes(root):
    for path in [root, *root.rglob("*")]:
        if path.name.endswith(".lock"):
            continue
        yield path, stat.S_IMODE(path.stat().st_mode)


def test_init_central_files_are_private(tmp_path):
    keys = init_central(tmp_path / "central")
    for path, mode in _modes(tmp_path / "central"):
        assert mode == (0o700 if path.is_dir() else 0o600), path
    assert zmq.curve_public(keys.curve_secret) == keys.curve_public
    assert "secret" not in repr(keys) and keys.curve_secret.decode() not in repr(keys)


def test_init_central_refuses_to_overwrite(tmp_path):
    init_central(tmp_path / "c")
    with pytest.raises(CentralKeysError):
        init_central(tmp_path / "c")


def test_device_bundle_round_trip_and_curve_interop(tmp_path):
    central = init_central(tmp_path / "c")
    bundle = _enroll(tmp_path / "c", tmp_path / "dev")
    for path, mode in _modes(tmp_path / "dev"):
        assert mode == (0o700 if path.is_dir() else 0o600), path
    loaded = load_device_bundle(tmp_path / "dev")
    assert loaded.device_id == "kita-01" and loaded.center == "北センター"
    assert loaded.central_curve_public == central.curve_public
    assert loaded.sealing_key_id == central.sealing_key_id
    assert zmq.curve_public(loaded.curve_secret) == loaded.curve_public == bundle.curve_public
    # the bundle holds no central secret
    blob = b"".join(p.read_bytes() for p in (tmp_path / "dev").iterdir())
    assert central.curve_secret not in blob


def test_sealing_rotation_keeps_old_keys(tmp_path):
    first = init_central(tmp_path / "c")
    second = rotate_sealing(tmp_path / "c")
    assert second.sealing_key_id != first.sealing_key_id
    old = second.sealing_private_for(first.sealing_key_id)
    assert old.private_bytes_raw() == first.sealing_private.private_bytes_raw()
    with pytest.raises(CentralKeysError):
        second.sealing_private_for("0000000000000000")
    assert load_central_keys(tmp_path / "c").sealing_key_id == second.sealing_key_id


def test_duplicate_device_id_is_refused(tmp_path):
    init_central(tmp_path / "c")
    _enroll(tmp_path / "c", tmp_path / "a")
    with pytest.raises((DeviceBundleError, DuplicateDeviceError)):
        _enroll(tmp_path / "c", tmp_path / "b")


@pytest.mark.parametrize("device_id", ["", "../x", "a b", "x" * 65, "名前", "-lead"])
def test_bad_device_ids(tmp_path, device_id):
    init_central(tmp_path / "c")
    with pytest.raises(Exception) as info:
        _enroll(tmp_path / "c", tmp_path / "d", device_id=device_id)
    assert "device id" in str(info.value)


_BREAKAGES = {
    "missing secret": lambda d: (d / "curve_client.secret").unlink(),
    "short secret": lambda d: (d / "curve_client.secret").write_text("abc"),
    "not pem": lambda d: (d / "signing.pem").write_text("nope"),
    "not toml": lambda d: (d / "device.toml").write_text("= = ="),
    "wrong format": lambda d: (d / "device.toml").write_text(
        (d / "device.toml").read_text().replace("format = 1", "format = 9")
    ),
    "key id mismatch": lambda d: (d / "device.toml").write_text(
        _replace_line(d / "device.toml", "sealing_key_id", '"ffffffffffffffff"')
    ),
    "bad catalog key": lambda d: (d / "device.toml").write_text(
        _replace_line(d / "device.toml", "catalog_public", '"AAAA"')
    ),
}


def _replace_line(path, key, value):
    lines = path.read_text().splitlines()
    return "\n".join(f"{key} = {value}" if ln.startswith(key + " ") else ln for ln in lines)


@pytest.mark.parametrize("breakage", sorted(_BREAKAGES))
def test_broken_bundles_are_refused(tmp_path, breakage):
    init_central(tmp_path / "c")
    _enroll(tmp_path / "c", tmp_path / "dev")
    _BREAKAGES[breakage](tmp_path / "dev")
    with pytest.raises(DeviceBundleError):
        load_device_bundle(tmp_path / "dev")


@pytest.mark.parametrize(
    "breakage", ["catalog_signing.pem", "curve_server.secret", "sealing/current"]
)
def test_broken_central_dir_is_refused(tmp_path, breakage):
    init_central(tmp_path / "c")
    (tmp_path / "c" / breakage).unlink()
    with pytest.raises(CentralKeysError):
        load_central_keys(tmp_path / "c")


@pytest.mark.parametrize("name", ["curve_client.secret", "signing.pem"])
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_device_secrets_open_to_others_are_refused(tmp_path, name, mode):
    init_central(tmp_path / "c")
    _enroll(tmp_path / "c", tmp_path / "dev")
    (tmp_path / "dev" / name).chmod(mode)
    with pytest.raises(DeviceBundleError):
        load_device_bundle(tmp_path / "dev")


@pytest.mark.parametrize("name", ["curve_server.secret", "catalog_signing.pem"])
def test_central_secrets_open_to_others_are_refused(tmp_path, name):
    init_central(tmp_path / "c")
    (tmp_path / "c" / name).chmod(0o644)
    with pytest.raises(CentralKeysError):
        load_central_keys(tmp_path / "c")


def test_device_config_is_the_public_part(tmp_path):
    central = init_central(tmp_path / "c")
    _enroll(tmp_path / "c", tmp_path / "dev")
    (tmp_path / "dev" / "curve_client.secret").unlink()  # the kiosk cannot read secrets anyway
    (tmp_path / "dev" / "signing.pem").unlink()
    config = load_device_config(tmp_path / "dev")
    assert config.device_id == "kita-01" and config.sealing_key_id == central.sealing_key_id
    assert not hasattr(config, "curve_secret") and not hasattr(config, "signing_key")
    with pytest.raises(DeviceBundleError):
        load_device_bundle(tmp_path / "dev")
