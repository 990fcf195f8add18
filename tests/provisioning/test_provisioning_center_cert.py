"""The queue host's certificate made at enrollment (`madoguchi provision center-cert`): the host
terminal reuses it instead of making its own, and a terminal that pins the file IT copied from
the start takes tickets over TLS (real waitress + TLS front on loopback); bad input is one line,
exit 1, nothing written or overwritten."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from kiosk.center import CenterQueue, HostClient
from kiosk.center.host import CenterHost, HostConfig, create_app
from kiosk.center.server import HostServer
from kiosk.center.tls import ensure_host_cert, fingerprint
from tests.support.center import TOKEN

pytestmark = pytest.mark.timeout(60)


def _madoguchi(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "provision", "center-cert", *args],
        capture_output=True, text=True, timeout=50,
    )  # fmt: skip


def test_made_at_enrollment_reused_by_the_host_and_pinned_by_terminals(tmp_path):
    out = tmp_path / "higashi-cert"
    r = _madoguchi("--center", "higashi", "--host-url", "https://127.0.0.1:8470", "--out", str(out))
    assert r.returncode == 0, r.stderr
    sha = fingerprint((out / "host.pem").read_bytes())
    assert sha in r.stdout and "BEGIN" not in r.stdout  # the fingerprint, never the key
    assert stat.S_IMODE((out / "host-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    key_before = (out / "host-key.pem").read_bytes()

    # The host terminal: its tls_dir holds the pair from enrollment, so it makes none.
    made = ensure_host_cert(out, "higashi", "https://127.0.0.1:8470")
    assert made.sha256 == sha and (out / "host-key.pem").read_bytes() == key_before
    queue = CenterQueue(tmp_path / "host.db", "higashi")
    host = CenterHost(HostConfig("higashi", "東町", TOKEN), queue, lambda k, b: None, lambda: None)
    server = HostServer(create_app(host, secure_cookie=True), tls=made).start()
    try:
        # A terminal pinning the file IT copied at enrollment (not anything the host sent).
        pinned = tmp_path / "terminal-host.pem"
        pinned.write_bytes((out / "host.pem").read_bytes())
        terminal = HostClient(server.url, TOKEN, timeout_s=3.0, pinned_cert=pinned)
        try:
            reply = terminal.call("POST", "/api/tickets", {"service": "procedure"})
            assert reply["ticket"]["label"] == "A-001"
        finally:
            terminal.close()
    finally:
        server.stop()
        queue.close()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--center", "東町 センター", "--host-url", "https://10.0.0.1:8470"], "center id"),
        (["--center", "higashi", "--host-url", "http://10.0.0.1:8470"], "host URL"),
        (["--center", "higashi", "--host-url", "https://10.0.0.1:8470/x"], "host URL"),
        (["--center", "higashi", "--host-url", "https://h:1", "--name", "a b"], "another name"),
    ],
)
def test_bad_input_writes_nothing(tmp_path, args, words):
    out = tmp_path / "cert"
    r = _madoguchi(*args, "--out", str(out))
    assert r.returncode == 1 and r.stderr.startswith("error: ") and words in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()


def test_an_existing_pair_is_never_overwritten(tmp_path):
    out = tmp_path / "cert"
    first = ensure_host_cert(out, "higashi", "https://10.0.0.1:8470")
    before = (out / "host-key.pem").read_bytes()
    r = _madoguchi("--center", "higashi", "--host-url", "https://10.0.0.1:8470", "--out", str(out))
    assert r.returncode == 1 and "already holds" in r.stderr
    assert (out / "host-key.pem").read_bytes() == before
    assert fingerprint((out / "host.pem").read_bytes()) == first.sha256
