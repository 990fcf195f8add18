"""The CLI end to end: init-central → enroll → sign-catalog → export-bundle → install-bundle
into a temp root with its own /etc/passwd and /etc/group; owners and modes are right, the
tarball is removed, re-running is idempotent, hostile tarballs are refused."""

import io
import json
import os
import stat
import subprocess
import tarfile

import pytest
from click.testing import CliRunner

from madoguchi.cli import cli
from provisioning import InstallError, install_bundle

_UIDS = {"madoguchi-sync": 9301, "madoguchi-kiosk": 9302}
_GID = 9300


def _run(*args):
    result = CliRunner().invoke(cli, ["provision", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def _root(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text(
        "root:x:0:0::/root:/bin/sh\n"
        + "".join(f"{n}:x:{u}:{_GID}::/nonexistent:/usr/sbin/nologin\n" for n, u in _UIDS.items())
    )
    (root / "etc/group").write_text(f"root:x:0:\nmadoguchi:x:{_GID}:madoguchi-kiosk\n")
    return root


@pytest.fixture
def tarball(tmp_path):
    central = tmp_path / "central"
    _run("init-central", central)
    _run(
        "enroll",
        "--central",
        central,
        "--center",
        "中央",
        "--device-id",
        "chuo-01",
        "--endpoint",
        "tcp://central.example:5555",
        "--out",
        tmp_path / "bundle",
    )
    (tmp_path / "catalog.json").write_text(json.dumps({"procedures": []}))
    _run(
        "sign-catalog",
        tmp_path / "catalog.json",
        "--central",
        central,
        "--version",
        "3",
        "--expires",
        "30d",
        "--out",
        tmp_path / "catalog.bundle",
    )
    out = tmp_path / "boot" / "madoguchi-device.tar.gz"
    _run("export-bundle", tmp_path / "bundle", out, "--catalog", tmp_path / "catalog.bundle")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    return out


def _mode_owner(path):
    st = path.stat()
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to service users needs root")
def test_install_places_bundle_with_owners(tmp_path, tarball):
    root = _root(tmp_path)
    output = _run("install-bundle", tarball, "--root", root)
    assert "chuo-01" in output
    assert not tarball.exists(), "the tarball on the boot partition must be removed"
    d = root / "etc/madoguchi/device"
    assert _mode_owner(d) == (0o750, 0, _GID)
    assert _mode_owner(d / "device.toml") == (0o640, 0, _GID)
    for secret in ("curve_client.secret", "signing.pem"):
        assert _mode_owner(d / secret) == (0o600, _UIDS["madoguchi-sync"], _GID)
    catalog = root / "var/lib/madoguchi/bundles/catalog.bundle"
    assert catalog.exists() and _mode_owner(catalog)[1] == _UIDS["madoguchi-sync"]
    assert not list(d.parent.glob(".device*")), "no staging left behind"


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to service users needs root")
def test_reinstall_is_idempotent_and_foreign_bundle_needs_force(tmp_path, tarball):
    root = _root(tmp_path)
    copy = tmp_path / "copy.tar.gz"
    copy.write_bytes(tarball.read_bytes())
    assert install_bundle(tarball, root).changed
    assert not install_bundle(copy, root, remove_tarball=False).changed
    # another device's bundle
    central = tmp_path / "central"
    _run(
        "enroll",
        "--central",
        central,
        "--center",
        "東",
        "--device-id",
        "higashi-01",
        "--endpoint",
        "tcp://c:1",
        "--out",
        tmp_path / "other",
    )
    other = tmp_path / "other.tar.gz"
    _run("export-bundle", tmp_path / "other", other)
    with pytest.raises(InstallError):
        install_bundle(other, root, remove_tarball=False)
    assert install_bundle(other, root, force=True).device_id == "higashi-01"


def _tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/shadow"
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize(
    "members",
    [
        [("madoguchi-device/../../etc/passwd", b"x", "file")],
        [("/etc/madoguchi/device/device.toml", b"x", "file")],
        [("madoguchi-device/device.toml", b"", "sym")],
        [("madoguchi-device/device.toml", b"x", "file")],  # incomplete
        [("madoguchi-device/extra", b"x", "file")],
    ],
    ids=["dotdot", "absolute", "symlink", "incomplete", "unexpected"],
)
def test_hostile_tarballs_are_refused(tmp_path, members):
    root = _root(tmp_path)
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(_tar(members))
    with pytest.raises(InstallError):
        install_bundle(bad, root)
    assert not (root / "etc/madoguchi").exists()


def test_not_a_tarball(tmp_path):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not a tarball")
    with pytest.raises(InstallError):
        install_bundle(bad, _root(tmp_path))


def test_cli_errors_are_one_line(tmp_path):
    result = subprocess.run(
        ["madoguchi", "provision", "revoke", "--central", str(tmp_path / "none"), "x"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": f"{os.path.dirname(os.sys.executable)}:{os.environ['PATH']}"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1


def test_list_devices_json_has_no_secrets(tmp_path, tarball):
    out = _run("list-devices", "--central", tmp_path / "central", "--json")
    rows = json.loads(out)
    assert [r["device_id"] for r in rows] == ["chuo-01"]
    secret = (tmp_path / "bundle" / "curve_client.secret").read_text().strip()
    assert secret not in out


def test_missing_tarball(tmp_path):
    with pytest.raises(InstallError):
        install_bundle(tmp_path / "none.tar.gz", _root(tmp_path))


def test_sign_the_shipped_catalog_and_the_kiosk_reads_it(tmp_path):
    """The packaged catalog signs with its own version and expiry, verifies with the catalog
    key, and the kiosk's catalog loader accepts the applied bundle."""
    from pathlib import Path

    import kiosk.catalog
    from provisioning import load_central_keys
    from sync.bundles import BundleStore

    source = Path(kiosk.catalog.__file__).with_name("default_catalog.json")
    own = json.loads(source.read_text(encoding="utf-8"))
    _run("init-central", tmp_path / "central")
    _run("sign-catalog", source, "--central", tmp_path / "central", "--out", tmp_path / "c.bundle")
    keys = load_central_keys(tmp_path / "central")
    store = BundleStore(tmp_path / "bundles", keys.catalog_public)
    applied = store.apply((tmp_path / "c.bundle").read_bytes())
    assert applied.version == own["version"]
    bundle = store.current("catalog")
    assert bundle.expires_at.date().isoformat() > own["expires"]
    assert kiosk.catalog.catalog_from_bundle(bundle).version == own["version"]


@pytest.mark.parametrize(
    ("doc", "args"),
    [
        ({"version": 2, "expires": "2099-01-01"}, ["--version", "3"]),
        ({"expires": "2099-01-01"}, []),
        ({"version": 2}, []),
        ({"version": "2", "expires": "2099-01-01"}, []),
        ({"version": 2, "expires": "soon"}, []),
        ([1, 2], ["--version", "1", "--expires", "1d"]),
    ],
    ids=["version mismatch", "no version", "no expiry", "version text", "bad date", "not object"],
)
def test_sign_catalog_refusals(tmp_path, doc, args):
    _run("init-central", tmp_path / "central")
    (tmp_path / "doc.json").write_text(json.dumps(doc))
    result = CliRunner().invoke(
        cli,
        [
            "provision",
            "sign-catalog",
            str(tmp_path / "doc.json"),
            "--central",
            str(tmp_path / "central"),
            "--out",
            str(tmp_path / "o"),
            *args,
        ],
    )
    assert result.exit_code == 1, result.output
    assert not (tmp_path / "o").exists()
