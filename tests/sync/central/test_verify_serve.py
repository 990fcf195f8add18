"""The certificate verification page as `madoguchi central verify-serve` runs it (a real process
with waitress on 127.0.0.1, keys from `provision init-central`), the issuer's `verify_url` from
`<keys>/issuer.json`, and the issuing city from the signed config bundle (`city`) as the kiosk
reads it: a bad entry leaves the last good one."""

from __future__ import annotations

import base64
import io
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from kiosk.services import ConfigBundleView
from provisioning import init_central
from sync.bundles import sign_bundle
from sync.central.certificate_content import check_digest
from sync.central.config_files import issuer_config_from_dir
from sync.central.errors import IssuerError
from sync.central.verify import make_reference

pytestmark = pytest.mark.timeout(90)
MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))  # the venv's entry point


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_verify_serve_checks_references_signed_with_the_documents_key(tmp_path):
    keys = init_central(tmp_path / "keys")
    ref = make_reference(
        keys.document_signing_key,
        type="seal_certificate",
        issued_at=datetime(2026, 12, 3, 1, 30, tzinfo=UTC),
        document_id=str(uuid.uuid4()),
        digest=check_digest("窓口 花子", "1985-06-07", "豊橋市今橋町1番地"),
    )
    foreign = make_reference(
        Ed25519PrivateKey.generate(),
        type="seal_certificate",
        issued_at=datetime(2026, 12, 3, 1, 30, tzinfo=UTC),
        document_id=str(uuid.uuid4()),
        digest=b"\0" * 16,
    )
    port = _free_port()
    cmd = [MADOGUCHI, "central", "verify-serve",
           "--keys", str(tmp_path / "keys"), "--listen", f"127.0.0.1:{port}"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "verify-serve did not start"
                time.sleep(0.1)
        status, html = _get(f"http://127.0.0.1:{port}/verify/{ref}")
        assert status == 200 and 'data-valid="1"' in html and "印鑑登録証明書" in html
        assert "2026-12-03 10:30" in html  # shown in JST
        assert _get(f"http://127.0.0.1:{port}/verify/{foreign}")[0] == 404
    finally:
        proc.terminate()
        proc.wait(10)


def test_verify_serve_with_no_keys_is_one_clear_line(tmp_path):
    got = subprocess.run(
        [MADOGUCHI, "central", "verify-serve", "--keys",
         str(tmp_path / "none")], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert got.returncode == 1 and "Traceback" not in got.stderr
    assert "cannot read the central keys" in got.stderr


def test_issuer_json_gives_the_verify_url(tmp_path):
    assert issuer_config_from_dir(tmp_path).verify_url == ""
    (tmp_path / "issuer.json").write_text('{"verify_url": "https://city.example/verify/"}')
    assert issuer_config_from_dir(tmp_path).verify_url == "https://city.example/verify/"
    for bad in (
        '{"verify_url": "ftp://x"}',
        '{"verify": "https://x"}',
        "[]",
        "{",
        '{"verify_url": 1}',
    ):
        (tmp_path / "issuer.json").write_text(bad)
        with pytest.raises(IssuerError):
            issuer_config_from_dir(tmp_path)


def _png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _bundle(directory, key, version, payload) -> None:
    data = sign_bundle("config", version, payload, signing_key=key,
                       expires_at=datetime.now(UTC) + timedelta(days=30))  # fmt: skip
    (directory / "config.bundle").write_bytes(data)


def test_the_city_comes_from_the_signed_config_bundle(tmp_path):
    key = Ed25519PrivateKey.generate()
    view = ConfigBundleView(tmp_path, key.public_key())
    assert view.city() is None  # not configured: the kiosk config's city name, no seal
    good = {"name": "豊橋市", "mayor": "豊橋市長 市野 守", "seal_png_b64": _png()}
    _bundle(tmp_path, key, 1, {"city": good})
    assert view.city() == good
    for version, bad in enumerate(
        (
            {"name": "", "mayor": "x"},
            {"name": "豊橋市", "seal_png_b64": base64.b64encode(b"GIF89a").decode()},
            {"name": "豊橋市", "mayer": "typo"},
            "豊橋市",
        ),
        start=2,
    ):
        _bundle(tmp_path, key, version, {"city": bad})
        assert view.city() == good  # a malformed entry leaves the last good one
    # Signed by another key: nothing is taken from it.
    _bundle(tmp_path, Ed25519PrivateKey.generate(), 9, {"city": {**good, "name": "偽市"}})
    assert view.city() == good
    assert json.dumps(good)  # plain JSON the renderer's pipe can carry
