"""The RAUC update CA under the Ed25519 root of trust (issue 24 item 4): the offline root signs
a statement naming the CA certificate's digest; `update-ca-verify` and the image's keyring
install (image_build/debian/install-update-ca.sh) accept a CA only with a statement that
verifies against the central's root chain. Real keys, real certificates, the real CLI and script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from madoguchi.cli import cli
from provisioning import init_root, sign_root_version
from provisioning._update_trust import delegate_update_ca, verify_update_ca
from provisioning._updates import init_update_keys
from provisioning.errors import UpdateTrustError
from sync.trust import ONLINE_ROLES

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "image_build/debian/install-update-ca.sh"
NOW = datetime.now(UTC)


def _root(directory: Path, *, days: int = 365) -> Path:
    init_root(directory)
    roles = {r: Ed25519PrivateKey.generate().public_key() for r in ONLINE_ROLES}
    until = NOW + timedelta(days=days)
    sign_root_version(directory, roles, expires_at=until, role_expires_at=until, now=NOW)
    return directory


@pytest.fixture
def world(tmp_path):
    root = _root(tmp_path / "root")
    keys = init_update_keys(tmp_path / "update-keys")
    delegate_update_ca(root, keys.keyring, keys.directory / "ca.delegation")
    return root, keys.directory


def _chain(root: Path) -> bytes:
    return (root / "root.chain").read_bytes()


def test_the_root_vouches_for_its_update_ca(world):
    root, keys = world
    grant = verify_update_ca(
        _chain(root), (keys / "ca.delegation").read_bytes(), (keys / "ca.pem").read_bytes()
    )
    assert grant.root_version == 1
    assert len(grant.ca_sha256) == 64
    assert "Madoguchi update CA" in grant.ca_subject
    # with the anchor pinned by key id, as `root show` prints it
    again = verify_update_ca(
        _chain(root),
        (keys / "ca.delegation").read_bytes(),
        (keys / "ca.pem").read_bytes(),
        anchor_keyid=grant.anchor_keyid,
    )
    assert again == grant


def _refusal(tmp_path, world, case: str) -> str:
    root, keys = world
    chain, statement, ca = _chain(root), (keys / "ca.delegation").read_bytes(), keys / "ca.pem"
    anchor, now = None, None
    if case == "another CA":
        ca = init_update_keys(tmp_path / "other-keys").keyring
    elif case == "signed by another root":
        other = _root(tmp_path / "other-root")
        delegate_update_ca(other, keys / "ca.pem", tmp_path / "other.delegation")
        statement = (tmp_path / "other.delegation").read_bytes()
    elif case == "chain of another root":
        chain = _chain(_root(tmp_path / "other-root"))
    elif case == "another anchor pinned":
        anchor = "0" * 16
    elif case == "altered statement":
        doc = json.loads(statement)
        doc["signed"]["expires_at"] = "2099-01-01T00:00:00Z"
        statement = json.dumps(doc).encode()
    elif case == "expired":
        now = NOW + timedelta(days=400)
    elif case == "not a CA (the signing certificate)":
        ca = keys / "signing.pem"
    elif case == "not JSON":
        statement = b"\x00not json"
    elif case == "unsigned":
        doc = json.loads(statement)
        doc["signatures"] = []
        statement = json.dumps(doc).encode()
    with pytest.raises(UpdateTrustError) as e:
        verify_update_ca(chain, statement, ca.read_bytes(), anchor_keyid=anchor, now=now)
    return str(e.value)


@pytest.mark.parametrize(
    "case",
    [
        "another CA",
        "signed by another root",
        "chain of another root",
        "another anchor pinned",
        "altered statement",
        "expired",
        "not a CA (the signing certificate)",
        "not JSON",
        "unsigned",
    ],
)
def test_refused(tmp_path, world, case):
    assert _refusal(tmp_path, world, case)


def test_delegating_needs_a_signed_root_and_a_ca(tmp_path):
    keys = init_update_keys(tmp_path / "keys")
    init_root(tmp_path / "bare-root")
    with pytest.raises(UpdateTrustError, match="no root version"):
        delegate_update_ca(tmp_path / "bare-root", keys.keyring, tmp_path / "x")
    with pytest.raises(UpdateTrustError, match="no root key"):
        delegate_update_ca(tmp_path / "keys", keys.keyring, tmp_path / "x")
    root = _root(tmp_path / "root")
    with pytest.raises(UpdateTrustError, match="not a CA"):
        delegate_update_ca(root, keys.cert, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_cli_delegate_then_verify(tmp_path):
    root = _root(tmp_path / "root")
    keys = init_update_keys(tmp_path / "keys").directory
    runner = CliRunner()
    r = runner.invoke(
        cli, ["provision", "update-ca-delegate", "--root", str(root), "--keys", str(keys)]
    )
    assert r.exit_code == 0, r.output
    assert "delegated by root version 1" in r.output
    r = runner.invoke(
        cli,
        [
            "provision",
            "update-ca-verify",
            "--chain",
            str(root / "root.chain"),
            str(keys / "ca.pem"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "vouched for by root version 1" in r.output
    other = init_update_keys(tmp_path / "other").directory
    shutil.copy(keys / "ca.delegation", other / "ca.delegation")
    r = runner.invoke(
        cli,
        [
            "provision",
            "update-ca-verify",
            "--chain",
            str(root / "root.chain"),
            str(other / "ca.pem"),
        ],
    )
    assert r.exit_code == 1
    assert "update CA refused: the statement names another update CA certificate" in r.output


def _install(image_root: Path, **env: str) -> subprocess.CompletedProcess:
    full = {"PATH": os.environ["PATH"], "MADOGUCHI": str(REPO / ".venv/bin/madoguchi"), **env}
    return subprocess.run(
        ["bash", str(INSTALL), str(image_root)],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.timeout(300)
def test_image_keyring_install_verifies_first(tmp_path, world):
    root, keys = world
    image = tmp_path / "image"
    image.mkdir()
    chain = str(root / "root.chain")
    r = _install(image, MADOGUCHI_UPDATE_CA=str(keys / "ca.pem"), MADOGUCHI_ROOT_CHAIN=chain)
    assert r.returncode == 0, r.stderr
    assert (image / "etc/rauc/update-ca.pem").read_bytes() == (keys / "ca.pem").read_bytes()
    assert (image / "etc/rauc/update-ca.delegation").exists()
    assert (image / "etc/rauc/root.chain").read_bytes() == (root / "root.chain").read_bytes()

    # refusals: nothing installed, exit 1, the reason on stderr
    other = init_update_keys(tmp_path / "other").directory
    for env, reason in [
        (
            {
                "MADOGUCHI_UPDATE_CA": str(other / "ca.pem"),
                "MADOGUCHI_ROOT_CHAIN": chain,
                "MADOGUCHI_UPDATE_CA_DELEGATION": str(keys / "ca.delegation"),
            },
            "another update CA certificate",
        ),
        ({"MADOGUCHI_UPDATE_CA": str(keys / "ca.pem")}, "MADOGUCHI_ROOT_CHAIN is needed"),
        (
            {"MADOGUCHI_UPDATE_CA": str(other / "ca.pem"), "MADOGUCHI_ROOT_CHAIN": chain},
            "cannot read",  # no statement beside this CA
        ),
    ]:
        fresh = tmp_path / f"image-{len(reason)}"
        fresh.mkdir()
        r = _install(fresh, **env)
        assert r.returncode == 1, (env, r.stderr)
        assert reason in r.stderr
        assert not (fresh / "etc/rauc").exists()

    # no CA at all: allowed, said, no keyring (the image refuses every bundle)
    bare = tmp_path / "image-bare"
    bare.mkdir()
    r = _install(bare)
    assert r.returncode == 0
    assert "refuses every update bundle" in r.stderr
    assert not (bare / "etc/rauc/update-ca.pem").exists()
