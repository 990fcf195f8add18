"""Central side of a sealing-key rotation: `provision rotate --sealing` then `provision
publish-config` places a config bundle announcing the current key (version = previous + 1, other
config kept) where `central serve --bundles-dir` offers it, and `directory_bundle_source` offers
only bundles that verify (catalog when the device is behind, config to every session)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from madoguchi.cli import cli
from provisioning import PublishError, init_central, load_central_keys, publish_config
from sync.bundles import BundleStore, load_trusted, sealing_key_of, sign_bundle
from sync.central.receiver_bundles import SessionOffers, directory_bundle_source


def _run(*args, ok=True):
    result = CliRunner().invoke(cli, ["provision", *map(str, args)])
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def _announced(path, keys):
    bundle = load_trusted(path.read_bytes(), keys.catalog_public)
    key, key_id = sealing_key_of(bundle)
    return bundle, key_id


def test_rotate_then_publish_config(tmp_path):
    central, bundles = tmp_path / "central", tmp_path / "bundles"
    _run("init-central", central)
    first = load_central_keys(central).sealing_key_id
    out = _run("publish-config", "--central", central, "--bundles-dir", bundles, "--json")
    assert json.loads(out)["version"] == 1 and json.loads(out)["sealing_key_id"] == first
    assert "publish-config" in _run("rotate", "--central", central, "--sealing")
    keys = load_central_keys(central)
    assert keys.sealing_key_id != first and first in keys.sealing_keys  # the old key stays
    (tmp_path / "c.json").write_text(json.dumps({"notice": "お知らせ", "sealing": "replaced"}))
    _run(
        "publish-config",
        "--central",
        central,
        "--bundles-dir",
        bundles,
        "--config",
        tmp_path / "c.json",
    )
    bundle, key_id = _announced(bundles / "config.bundle", keys)
    assert (bundle.version, key_id) == (2, keys.sealing_key_id)
    assert bundle.payload["notice"] == "お知らせ"
    # publishing again (e.g. before expiry) keeps the config and grows the version
    _run("publish-config", "--central", central, "--bundles-dir", bundles, "--expires", "12h")
    bundle, key_id = _announced(bundles / "config.bundle", keys)
    assert (bundle.version, key_id, bundle.payload["notice"]) == (
        3,
        keys.sealing_key_id,
        "お知らせ",
    )
    assert bundle.expires_at < datetime.now(UTC) + timedelta(hours=13)
    assert (bundles / "config.bundle").stat().st_mode & 0o777 == 0o644  # public, signed data


def test_an_unverifiable_bundle_in_place_is_not_guessed_past(tmp_path):
    keys = init_central(tmp_path / "central")
    bundles = tmp_path / "bundles"
    publish_config(keys.directory, bundles, expires_at=datetime.now(UTC) + timedelta(days=1))
    (bundles / "config.bundle").write_bytes(b"damaged")
    with pytest.raises(PublishError):
        publish_config(keys.directory, bundles, expires_at=datetime.now(UTC) + timedelta(days=1))
    out = _run("publish-config", "--central", keys.directory, "--bundles-dir", bundles, ok=False)
    assert out.startswith("error:") and out.count("\n") == 1 and "Traceback" not in out
    done = publish_config(
        keys.directory, bundles, expires_at=datetime.now(UTC) + timedelta(days=1), version=7
    )
    assert done.version == 7
    with pytest.raises(PublishError):  # an explicit version must still grow
        publish_config(
            keys.directory, bundles, expires_at=datetime.now(UTC) + timedelta(1), version=7
        )


def test_publish_config_help_and_bad_input(tmp_path):
    assert "sealing key" in _run("publish-config", "--help")
    keys = init_central(tmp_path / "central")
    (tmp_path / "list.json").write_text("[1]")
    (tmp_path / "bad.json").write_text("{")
    for args in (
        ["--config", tmp_path / "list.json"],
        ["--config", tmp_path / "bad.json"],
        ["--expires", "soon"],
    ):
        out = _run(
            "publish-config",
            "--central",
            keys.directory,
            "--bundles-dir",
            tmp_path / "b",
            *args,
            ok=False,
        )
        assert out.startswith("error:"), out


def _sign(keys, kind, version, payload=None, key=None):
    return sign_bundle(
        kind,
        version,
        payload or {},
        expires_at=datetime.now(UTC) + timedelta(days=1),
        signing_key=key or keys.catalog_signing_key,
    )


def test_directory_source_offers_verified_bundles_once_per_session(tmp_path):
    keys = init_central(tmp_path / "central")
    d = tmp_path / "bundles"
    d.mkdir()
    source = directory_bundle_source(d, keys.catalog_public)
    assert source("kita-01", 0) == []
    (d / "catalog.bundle").write_bytes(catalog := _sign(keys, "catalog", 3))
    publish_config(keys.directory, d, expires_at=datetime.now(UTC) + timedelta(days=1))
    config = (d / "config.bundle").read_bytes()
    assert source("kita-01", 0) == [catalog, config]
    assert source("kita-01", 3) == [config]  # the catalog only to devices behind it
    # a session gets each distinct bundle once; a newly published one goes down on the next ask
    offers = SessionOffers(catalog_version=0)
    assert offers.due(source, "kita-01") == [catalog, config]
    assert offers.due(source, "kita-01") == []
    publish_config(keys.directory, d, expires_at=datetime.now(UTC) + timedelta(days=1))
    assert offers.due(source, "kita-01") == [(d / "config.bundle").read_bytes()]
    # files that do not verify, or hold another type, are not offered
    (d / "config.bundle").write_bytes(_sign(keys, "config", 9, key=Ed25519PrivateKey.generate()))
    (d / "catalog.bundle").write_bytes(_sign(keys, "config", 4))
    assert source("kita-01", 0) == []
    store = BundleStore(tmp_path / "device", keys.catalog_public)
    store.apply(config)
    assert store.apply(config).changed is False  # a re-delivery in a later session writes nothing
