"""Issue 16 item 5: keys with roles under an offline root, through the real parts: the
`madoguchi provision` commands IT staff run (root init, role-keys, root sign, root install,
enroll, sign-catalog, publish-config, rotate --role, root sign --rotate-root), device bundles
loaded from disk, and the device's `BundleStore` on a real directory. A terminal refuses a key
the root did not delegate, a key delegated for another role, an expired delegation or root, a
chain not rooted in its pinned key, and an old chain once it has seen a newer root."""

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from madoguchi.cli import cli
from provisioning import (
    RootKeyError,
    enroll_device,
    install_bundle,
    install_root_chain,
    load_central_keys,
    load_device_config,
)
from sync.bundles import (
    BundleRollbackError,
    BundleSignatureError,
    BundleStore,
    bundle_key_id,
    load_trusted,
    sealing_entry,
    sealing_key_of,
    sign_bundle,
)
from sync.trust import (
    RoleKeyError,
    RootChainError,
    TrustAnchor,
    chain_from_bytes,
    sign_root,
    sign_sealing_announcement,
)

DAY = timedelta(days=1)


def _run(*args, ok=True):
    result = CliRunner().invoke(cli, ["provision", *map(str, args)])
    assert (result.exit_code == 0) == ok, result.output
    if not ok:
        assert "Traceback" not in result.output and result.output.count("\n") <= 2
    return result.output


class Site:
    """A central key directory with a root installed, as docs/provisioning.md has IT staff do."""

    def __init__(self, tmp_path, role_expires="90d", expires="365d"):
        self.tmp = tmp_path
        self.central, self.root = tmp_path / "central", tmp_path / "usb-root"
        self.bundles = tmp_path / "bundles"
        _run("init-central", self.central)
        _run("root", "init", "--root", self.root)
        self.resign(role_expires=role_expires, expires=expires)

    def resign(self, *extra, role_expires="90d", expires="365d"):
        _run("role-keys", "--central", self.central, "--out", self.tmp / "role-keys.json")
        out = json.loads(
            _run(
                "root",
                "sign",
                "--root",
                self.root,
                "--role-keys",
                self.tmp / "role-keys.json",
                "--role-expires",
                role_expires,
                "--expires",
                expires,
                "--out",
                self.tmp / "root.chain",
                "--json",
                *extra,
            )
        )
        _run("root", "install", "--central", self.central, self.tmp / "root.chain")
        return out["version"]

    @property
    def keys(self):
        return load_central_keys(self.central)

    def enroll(self, device_id):
        enroll_device(
            self.central,
            self.tmp / device_id,
            device_id=device_id,
            center="中央",
            endpoint="tcp://127.0.0.1:5599",
        )
        return load_device_config(self.tmp / device_id)

    def sign(self, version, *, kind="catalog", key=None, chain=None, payload=None, **kw):
        keys = self.keys
        return sign_bundle(
            kind,
            version,
            payload if payload is not None else {"n": version},
            expires_at=kw.get("expires_at", datetime.now(UTC) + 30 * DAY),
            signing_key=key or keys.role_keys[kind],
            roots=chain if chain is not None else keys.root_chain,
        )


@pytest.mark.timeout(120)
def test_commands_set_up_a_root_and_a_terminal_accepts_what_it_delegates(tmp_path):
    site = Site(tmp_path)
    keys = site.keys
    assert not (site.central / "root.pem").exists(), "the root key never sits with the server"
    assert {p.name for p in site.root.iterdir()} >= {"root.pem", "root.chain"}
    roles = keys.role_keys
    assert set(roles) == {"catalog", "config", "documents", "sealing"}
    assert len({k.public_key().public_bytes_raw() for k in roles.values()}) == 4
    assert keys.document_signing_key is roles["documents"]
    device = site.enroll("kita-01")
    assert isinstance(device.catalog_public, TrustAnchor)  # the device bundle pins the root
    toml = (tmp_path / "kita-01" / "device.toml").read_text()
    assert "root_public" in toml and "root_threshold = 1" in toml
    # sign-catalog and publish-config sign with their role keys and carry the chain
    (tmp_path / "catalog.json").write_text(json.dumps({"version": 4, "procedures": []}))
    _run(
        "sign-catalog",
        tmp_path / "catalog.json",
        "--central",
        site.central,
        "--expires",
        "30d",
        "--out",
        tmp_path / "catalog.bundle",
    )
    _run("publish-config", "--central", site.central, "--bundles-dir", site.bundles)
    store = BundleStore(tmp_path / "device-bundles", device.catalog_public)
    assert store.apply((tmp_path / "catalog.bundle").read_bytes()).version == 4
    assert store.apply((site.bundles / "config.bundle").read_bytes()).version == 1
    assert store.current("catalog").keyid and store.current("catalog").root_version == 1
    _, key_id = sealing_key_of(store.current("config"))
    assert key_id == keys.sealing_key_id
    assert store.root_version() == 1
    # the central side checks what it offers with the same root
    assert load_trusted((site.bundles / "config.bundle").read_bytes(), keys.catalog_public)


def _forged_chain(site):
    """A chain of a root the terminal never pinned, delegating to the real role keys."""
    attacker = Ed25519PrivateKey.generate()
    roles = site.keys.role_keys
    raw = sign_root(
        1,
        root_keys=[attacker.public_key()],
        delegations={r: ([k.public_key()], datetime.now(UTC) + 30 * DAY) for r, k in roles.items()},
        expires_at=datetime.now(UTC) + 60 * DAY,
        signing_keys=[attacker],
    )
    return [raw]


def _unsigned_sealing(site):
    keys = site.keys
    return {"sealing": sealing_entry(keys.sealing_public, keys.sealing_key_id)}


def _sealing_by(site, role):
    keys = site.keys
    entry = sealing_entry(keys.sealing_public, keys.sealing_key_id)
    return {"sealing": sign_sealing_announcement(entry, keys.role_keys[role])}


REFUSED = {
    "key the root never delegated": (
        lambda s: s.sign(5, key=Ed25519PrivateKey.generate()),
        RoleKeyError,
    ),
    "config key signs a catalog": (
        lambda s: s.sign(5, key=s.keys.role_keys["config"]),
        RoleKeyError,
    ),
    "documents key signs a catalog": (
        lambda s: s.sign(5, key=s.keys.role_keys["documents"]),
        RoleKeyError,
    ),
    "sealing key signs a config": (
        lambda s: s.sign(5, kind="config", key=s.keys.role_keys["sealing"]),
        RoleKeyError,
    ),
    "catalog key signs a config": (
        lambda s: s.sign(5, kind="config", key=s.keys.role_keys["catalog"]),
        RoleKeyError,
    ),
    "no root chain (v1, one pinned key)": (
        lambda s: sign_bundle(
            "catalog",
            5,
            {},
            expires_at=datetime.now(UTC) + DAY,
            signing_key=s.keys.catalog_signing_key,
        ),
        BundleSignatureError,
    ),
    "chain from another root": (lambda s: s.sign(5, chain=_forged_chain(s)), RootChainError),
    "sealing announcement unsigned": (
        lambda s: s.sign(5, kind="config", payload=_unsigned_sealing(s)),
        RoleKeyError,
    ),
    "sealing announced by the config key": (
        lambda s: s.sign(5, kind="config", payload=_sealing_by(s, "config")),
        RoleKeyError,
    ),
}


@pytest.mark.parametrize(("make", "error"), REFUSED.values(), ids=REFUSED.keys())
@pytest.mark.timeout(120)
def test_terminal_refuses_keys_the_root_did_not_delegate_for_the_role(tmp_path, make, error):
    site = Site(tmp_path)
    device = site.enroll("kita-02")
    store = BundleStore(tmp_path / "device-bundles", device.catalog_public)
    store.apply(site.sign(1))
    with pytest.raises(error):
        store.apply(make(site))
    assert store.current("catalog").version == 1
    # the properly delegated key still goes through, with a signed sealing announcement too
    assert store.apply(site.sign(5, kind="config", payload=_sealing_by(site, "sealing"))).changed


@pytest.mark.timeout(120)
def test_expired_delegation_and_expired_root_are_refused(tmp_path):
    site = Site(tmp_path, role_expires="2d", expires="10d")
    device = site.enroll("kita-03")
    now = datetime.now(UTC)
    clock = [now]
    store = BundleStore(tmp_path / "b", device.catalog_public, clock=lambda: clock[0])
    long = now + 60 * DAY
    assert store.apply(site.sign(1, expires_at=long)).changed
    clock[0] = now + 3 * DAY  # the delegation (2 days) expired, the bundle (60 days) not
    with pytest.raises(RoleKeyError, match="delegation expired"):
        store.apply(site.sign(2, expires_at=long))
    clock[0] = now + 11 * DAY  # the root itself expired
    with pytest.raises(RoleKeyError, match="expired"):
        store.apply(site.sign(3, expires_at=long))
    # re-signing the root with fresh delegations lets the same online key sign again
    site.resign(role_expires="30d", expires="60d")
    clock[0] = now + 3 * DAY
    assert store.apply(site.sign(4, expires_at=long)).version == 4


@pytest.mark.timeout(120)
def test_rotating_an_online_key(tmp_path):
    site = Site(tmp_path)
    device = site.enroll("kita-04")  # enrolled before the rotation
    store = BundleStore(tmp_path / "b", device.catalog_public)
    old_key, old_chain = site.keys.role_keys["catalog"], site.keys.root_chain
    store.apply(site.sign(1))
    assert "root sign" in _run("rotate", "--central", site.central, "--role", "catalog")
    (tmp_path / "c.json").write_text(json.dumps({"version": 2}))
    sign_args = ("sign-catalog", tmp_path / "c.json", "--central", site.central)
    sign_args += ("--expires", "30d", "--out", tmp_path / "c.bundle")
    out = _run(*sign_args, ok=False)  # the new key is not delegated yet: nothing is signed
    assert "not usable under root version 1" in out and not (tmp_path / "c.bundle").exists()
    assert list((site.central / "roles" / "retired").glob("catalog-*.pem"))
    assert site.resign() == 2
    _run(*sign_args)
    assert store.apply((tmp_path / "c.bundle").read_bytes()).version == 2
    assert store.root_version() == 2
    # the retired key is refused under the new root...
    with pytest.raises(RoleKeyError):
        store.apply(site.sign(3, key=old_key))
    # ...and with the old chain that still delegated it, once the device has seen root 2
    with pytest.raises(BundleRollbackError) as e:
        store.apply(site.sign(3, key=old_key, chain=old_chain))
    assert e.value.bundle_type == "root"
    # a terminal enrolled after the rotation accepts the new key as well
    late = BundleStore(tmp_path / "late", site.enroll("kita-05").catalog_public)
    assert late.apply((tmp_path / "c.bundle").read_bytes()).version == 2


@pytest.mark.timeout(120)
def test_rotating_the_root(tmp_path):
    site = Site(tmp_path)
    early = site.enroll("kita-06")  # pins root key 1
    first_root_key = (site.root / "root.pem").read_bytes()
    assert site.resign("--rotate-root") == 2
    assert (site.root / "root.pem").read_bytes() != first_root_key
    assert len(list((site.root / "retired").glob("*.pem"))) == 1
    late = site.enroll("kita-07")  # pins root key 2
    assert early.catalog_public != late.catalog_public
    for name, device in (("early", early), ("late", late)):
        store = BundleStore(tmp_path / name, device.catalog_public)
        assert store.apply(site.sign(1)).changed, name
    # a "rotation" the old root did not sign: only the attacker's new key signed version 2
    chain = list(site.keys.root_chain[:1])
    attacker = Ed25519PrivateKey.generate()
    roles = site.keys.role_keys
    chain.append(
        sign_root(
            2,
            root_keys=[attacker.public_key()],
            delegations={r: ([k.public_key()], datetime.now(UTC) + DAY) for r, k in roles.items()},
            expires_at=datetime.now(UTC) + 2 * DAY,
            signing_keys=[attacker],
        )
    )
    store = BundleStore(tmp_path / "forged", early.catalog_public)
    with pytest.raises(RootChainError, match="not signed by the previous root"):
        store.apply(site.sign(1, chain=chain))


@pytest.mark.timeout(120)
def test_install_refuses_a_foreign_or_older_chain(tmp_path):
    site = Site(tmp_path)
    older = (site.central / "root.chain").read_bytes()
    site.resign()
    with pytest.raises(RootKeyError, match="older"):
        install_root_chain(site.central, older)
    other = Site(tmp_path / "other")
    with pytest.raises(RootKeyError, match="refused"):
        install_root_chain(site.central, (other.central / "root.chain").read_bytes())
    assert len(chain_from_bytes((site.central / "root.chain").read_bytes())) == 2
    # and the commands say so in one line, exit code 1
    (tmp_path / "junk.chain").write_bytes(b"{}")
    _run("root", "install", "--central", site.central, tmp_path / "junk.chain", ok=False)


@pytest.mark.timeout(60)
def test_role_key_rotation_needs_a_root(tmp_path):
    _run("init-central", tmp_path / "c")
    out = _run("rotate", "--central", tmp_path / "c", "--role", "config", ok=False)
    assert "needs a root" in out


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to service users needs root")
@pytest.mark.timeout(120)
def test_first_boot_installs_a_root_pinned_terminal_and_its_first_catalog(tmp_path):
    site = Site(tmp_path)
    site.enroll("kita-08")
    (tmp_path / "catalog.json").write_text(json.dumps({"version": 6, "procedures": []}))
    _run("sign-catalog", tmp_path / "catalog.json", "--central", site.central, "--expires", "30d",
         "--out", tmp_path / "catalog.bundle")  # fmt: skip
    tarball = tmp_path / "boot" / "madoguchi-device.tar.gz"
    _run("export-bundle", tmp_path / "kita-08", tarball, "--catalog", tmp_path / "catalog.bundle")
    root = tmp_path / "image"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text(
        "madoguchi-sync:x:9501:9500::/:/usr/sbin/nologin\n"
        "madoguchi-kiosk:x:9502:9500::/:/usr/sbin/nologin\n"
    )
    (root / "etc/group").write_text("madoguchi:x:9500:\n")
    result = install_bundle(tarball, root)
    assert result.catalog_version == 6
    device = load_device_config(root / "etc/madoguchi/device")
    assert isinstance(device.catalog_public, TrustAnchor)
    store = BundleStore(root / "var/lib/madoguchi/bundles", device.catalog_public)
    assert store.current("catalog").root_version == 1 and store.root_version() == 1
    # a catalog signed by the catalog key of another site's root is refused at first boot
    other = Site(tmp_path / "other")
    (tmp_path / "c2.json").write_text(json.dumps({"version": 7, "procedures": []}))
    _run("sign-catalog", tmp_path / "c2.json", "--central", other.central, "--expires", "30d",
         "--out", tmp_path / "c2.bundle")  # fmt: skip
    with pytest.raises(RootChainError):
        store.apply((tmp_path / "c2.bundle").read_bytes())


@pytest.mark.timeout(60)
def test_root_show_says_what_is_delegated_until_when(tmp_path):
    site = Site(tmp_path, role_expires="30d", expires="200d")
    site.resign(role_expires="45d", expires="200d")
    shown = json.loads(_run("root", "show", site.central / "root.chain", "--json"))
    keys = site.keys
    assert shown["version"] == 2
    catalog = shown["roles"]["catalog"]
    assert catalog["keyids"] == [bundle_key_id(keys.role_keys["catalog"].public_key())]
    until = datetime.strptime(catalog["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 44 <= (until - datetime.now(UTC)).days <= 45
    assert set(shown["roles"]) == {"root", "catalog", "config", "documents", "sealing"}
    assert "root version 2" in _run("root", "show", site.central / "root.chain")
    (tmp_path / "junk").write_bytes(b"\x00junk")
    _run("root", "show", tmp_path / "junk", ok=False)
