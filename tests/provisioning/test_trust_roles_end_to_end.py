"""Keys with roles end to end over real ZeroMQ CURVE sockets on loopback: a root set up with the
`madoguchi provision` commands, a terminal enrolled under it (its device bundle pins the root
key), the receiver offering what `sign-catalog` and `publish-config` signed, and the enrolled
agent applying it into the device's `BundleStore`. A bundle signed by a key the root did not
delegate for its role (offered by a compromised server) is refused by the terminal, and an
online-key rotation reaches a terminal that stays connected."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from madoguchi.cli import cli
from provisioning import Registry, enroll_device, load_central_keys, load_device_bundle
from sync.bundles import BundleStore, sign_bundle
from sync.central.receiver import Receiver, ReceiverConfig
from sync.central.receiver_bundles import directory_bundle_source
from sync.central.stores import open_store
from sync.outbox import Outbox, OutboxConfig
from tests.support.sync import enrolled_agent
from tests.support.sync import wait_until as _wait


class _Recording(BundleStore):
    """The real store; remembers what it refused so the test can wait for it."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.refused: list[Exception] = []

    def apply(self, data):
        try:
            return super().apply(data)
        except Exception as e:
            self.refused.append(e)
            raise


def _run(*args):
    result = CliRunner().invoke(cli, ["provision", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def _root_setup(tmp_path, central, root):
    _run("role-keys", "--central", central, "--out", tmp_path / "role-keys.json")
    _run("root", "sign", "--root", root, "--role-keys", tmp_path / "role-keys.json", "--out",
         tmp_path / "root.chain")  # fmt: skip
    _run("root", "install", "--central", central, tmp_path / "root.chain")


def _sign_catalog(tmp_path, central, bundles, version):
    (tmp_path / "catalog.json").write_text(json.dumps({"version": version, "procedures": []}))
    _run("sign-catalog", tmp_path / "catalog.json", "--central", central, "--expires", "30d",
         "--out", bundles / "catalog.bundle")  # fmt: skip


@pytest.mark.timeout(180)
def test_root_delegated_bundles_reach_the_terminal_and_others_do_not(tmp_path):
    central, root, bundles = tmp_path / "central", tmp_path / "usb-root", tmp_path / "bundles"
    bundles.mkdir()
    _run("init-central", central)
    _run("root", "init", "--root", root)
    _root_setup(tmp_path, central, root)
    _sign_catalog(tmp_path, central, bundles, 3)
    _run("publish-config", "--central", central, "--bundles-dir", bundles)
    keys = load_central_keys(central)
    rogue: list[bytes] = []  # what a compromised server adds to the offers
    source = directory_bundle_source(bundles, keys.catalog_public)
    db = str(tmp_path / "central.db")
    receiver = Receiver(
        ReceiverConfig(bind="tcp://127.0.0.1:0", bundle_recheck_s=0.2),
        lambda: open_store(db),
        Registry(keys.registry_path),
        keys.curve_public,
        keys.curve_secret,
        bundle_source=lambda device_id, version: [*source(device_id, version), *rogue],
    ).start()
    enroll_device(
        central, tmp_path / "kita-01", device_id="kita-01", center="北", endpoint=receiver.endpoint
    )
    device = load_device_bundle(tmp_path / "kita-01")
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.sqlite3", reserve_bytes=0),
        device.device_id,
        device.sealing_public,
        device.sealing_key_id,
    ).open()
    store = _Recording(tmp_path / "device-bundles", device.catalog_public)
    agent = enrolled_agent(device, outbox, store).start()
    try:
        assert _wait(lambda: store.versions() == {"catalog": 3, "config": 1})
        assert store.root_version() == 1
        # a catalog signed by the config role's key, and one by a key the root never named
        for key in (keys.role_keys["config"], Ed25519PrivateKey.generate()):
            rogue.append(
                sign_bundle(
                    "catalog",
                    9,
                    {"evil": True},
                    expires_at=datetime.now(UTC) + timedelta(days=5),
                    signing_key=key,
                    roots=keys.root_chain,
                )
            )
        assert _wait(lambda: len(store.refused) >= 2)
        assert {type(e).__name__ for e in store.refused} == {"RoleKeyError"}
        assert store.versions()["catalog"] == 3
        rogue.clear()
        # an online key rotation, then a new catalog: reaches the still-connected terminal
        _run("rotate", "--central", central, "--role", "catalog")
        _root_setup(tmp_path, central, root)
        _sign_catalog(tmp_path, central, bundles, 4)
        _run("publish-config", "--central", central, "--bundles-dir", bundles)
        assert _wait(lambda: store.versions() == {"catalog": 4, "config": 2})
        assert store.root_version() == 2
        assert store.current("catalog").payload.get("evil") is None
        assert store.floor()["catalog"] == 4  # version 9 from the rogue key never applied
    finally:
        agent.stop()
        receiver.stop()
        outbox.close()
