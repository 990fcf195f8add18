"""TLS for the center's queue host: the host makes its certificate on the first start and keeps
it, serves the terminals' API, the console and the display over TLS only (waitress on loopback
behind it), and a terminal pins the certificate: the real host on 127.0.0.1, real TLS
handshakes, `requests` as the terminals use it. A host with another certificate is unreachable
(the terminal issues from its fallback); plain HTTP to the TLS port gets nothing."""

from __future__ import annotations

import socket
import ssl
import stat
import warnings

import pytest

from devices.card import CardReader
from kiosk.center import CenterConfigError, CenterQueue, HostClient, TerminalQueue
from kiosk.center.config import center_config
from kiosk.center.host import CenterHost, HostConfig, create_app
from kiosk.center.server import HostServer
from kiosk.center.tls import ensure_host_cert, fingerprint, pinned_session
from kiosk.services import KioskServices
from kiosk.session.config import hash_staff_pin
from tests.support.center import STAFF_PIN, TOKEN, opened
from tests.support.sync import central_kit, device_kit

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def tls_host(tmp_path):
    cert = ensure_host_cert(tmp_path / "tls", "higashi", "https://127.0.0.1:8470")
    queue = CenterQueue(tmp_path / "host.db", "higashi")
    host = CenterHost(HostConfig("higashi", "東町", TOKEN), queue, lambda k, b: None,
                      lambda: hash_staff_pin(STAFF_PIN, iterations=1000))  # fmt: skip
    server = HostServer(create_app(host, secure_cookie=True), "127.0.0.1", 0, tls=cert).start()
    yield cert, server
    server.stop()
    queue.close()


def test_the_certificate_is_made_once_with_a_private_key(tmp_path):
    first = ensure_host_cert(tmp_path / "tls", "higashi", "https://10.20.0.11:8470", ("kiosk-1",))
    assert stat.S_IMODE(first.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.key.parent.stat().st_mode) == 0o700
    again = ensure_host_cert(tmp_path / "tls", "higashi", "https://10.20.0.11:8470")
    assert again == first and fingerprint(first.cert.read_bytes()) == first.sha256
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(first.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(n.value) for n in names} >= {"10.20.0.11", "127.0.0.1", "localhost", "kiosk-1"}
    assert b"PRIVATE" not in first.cert.read_bytes()
    other = ensure_host_cert(tmp_path / "other", "higashi")
    assert other.sha256 != first.sha256  # per center (per host): never a shared key
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "host.pem").write_text("not a certificate")
    (tmp_path / "bad" / "host-key.pem").write_text("x")
    with pytest.raises(CenterConfigError, match="tls_dir"):
        ensure_host_cert(tmp_path / "bad", "higashi")


def test_a_terminal_pinning_the_certificate_gets_its_tickets_over_tls(tls_host):
    cert, server = tls_host
    assert server.url.startswith("https://127.0.0.1:")
    client = HostClient(server.url, TOKEN, timeout_s=5, pinned_cert=cert.cert)
    reply = client.call("POST", "/api/tickets", {"service": "procedure"})
    assert reply["ticket"]["label"] == "A-001"
    # The console and the display are served over the same TLS port; the staff session
    # cookie is Secure there (never sent over plain HTTP).
    staff = pinned_session(cert.cert)
    page = staff.get(server.url + "/display", timeout=5)
    assert page.status_code == 200 and "呼出表示" in page.text
    login = staff.post(server.url + "/login", data={"pin": STAFF_PIN}, timeout=5,
                       allow_redirects=False)  # fmt: skip
    assert login.status_code == 303 and "Secure" in login.headers["Set-Cookie"]
    assert "HttpOnly" in login.headers["Set-Cookie"]
    client.close()


def test_another_certificate_is_refused_and_the_terminal_falls_back(tls_host, tmp_path):
    _cert, server = tls_host
    impostor = ensure_host_cert(tmp_path / "impostor", "higashi", "https://127.0.0.1:8470")
    central = central_kit()
    kit = device_kit(tmp_path, central, "T2")
    terminal = TerminalQueue(
        HostClient(server.url, TOKEN, timeout_s=2, pinned_cert=impostor.cert),
        CenterQueue(tmp_path / "t2.db", "higashi", mark="2"),
        kit.outbox.append,
        terminal="T2",
    )
    try:
        assert terminal.take_ticket("procedure", "ja")[0] == "A2-001"  # the host is not trusted
    finally:
        terminal.close()
    # The system store does not vouch for it either, and plain HTTP gets no answer.
    import requests

    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.url + "/display", timeout=5)
    host, port = server.url.removeprefix("https://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET /display HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        try:
            answer = s.recv(4096)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    assert b"HTTP/1.1 200" not in answer
    # TLS below 1.2 is not offered.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with warnings.catch_warnings():  # the very point: an old version, which ssl deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    with pytest.raises((ssl.SSLError, OSError)):
        with socket.create_connection((host, int(port)), timeout=5) as s:
            ctx.wrap_socket(s).close()


def _table(token, **kw):
    p = token.parent / "center-token"
    p.write_text(TOKEN + "\n")
    p.chmod(0o600)
    return {"center": "higashi", "token_file": str(p), "mark": "2", **kw}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"host_url": "http://10.20.0.11:8470"}, "host_url"),  # the token would cross the LAN
        ({"host_url": "https://10.20.0.11:8470"}, "host_cert"),  # nothing to pin
        ({"host_url": "https://10.20.0.11:8470", "host_cert": "/nonexistent.pem"}, "host_cert"),
        ({"host_url": "https://10.20.0.11:8470", "host_cert": 5}, "host_cert"),
        ({"host_url": "https://10.20.0.11:8470", "serve": "0.0.0.0:8470", "tls_dir": ""},
         "tls_dir"),
    ],
)  # fmt: skip
def test_bad_tls_settings_are_refused_by_name(tmp_path, change, field):
    with pytest.raises(CenterConfigError) as e:
        center_config(_table(tmp_path / "x", **change))
    assert e.value.field == field and TOKEN not in str(e.value)


def test_a_pinned_file_that_is_not_a_certificate_is_a_config_error(tmp_path):
    bad = tmp_path / "host.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnope\n")
    with pytest.raises(CenterConfigError, match="host_cert"):
        HostClient("https://127.0.0.1:1", TOKEN, pinned_cert=bad)


def test_the_host_terminal_serves_tls_and_pins_its_own_certificate(tmp_path):
    """As `open_services` wires it: the host terminal (https host_url, no host_cert) makes its
    certificate and pins it for its own terminal client; another terminal pins the copied file."""
    central = central_kit()
    kit = device_kit(tmp_path, central, "HOST")
    table = _table(tmp_path / "x", host_url="https://127.0.0.1:8470", serve="127.0.0.1:0",
                   mark="1")  # fmt: skip
    center = center_config(table)
    assert center.tls and center.host_cert is None
    cert = ensure_host_cert(tmp_path / "center-tls", center.center, center.host_url)
    services = KioskServices(card_reader=CardReader("no reader"), outbox=kit.outbox,
                             center_config=center, center_host_db=tmp_path / "h.sqlite3",
                             center_tls=cert)  # fmt: skip
    server = services.start_center_host(lambda: hash_staff_pin(STAFF_PIN, iterations=1000))
    try:
        assert server.url.startswith("https://")
        copied = tmp_path / "copied-host.pem"
        copied.write_bytes(cert.cert.read_bytes())  # what IT puts on each terminal
        other = center_config(_table(tmp_path / "y", host_url=server.url, host_cert=str(copied)))
        client = HostClient(other.host_url, other.token, pinned_cert=other.host_cert, timeout_s=5)
        assert (
            client.call("POST", "/api/tickets", {"service": "certificate"})["ticket"]["label"]
            == "B-001"
        )
        client.close()
    finally:
        services.close()
    assert [b["ticket"] for b in opened(kit, central, "queue_event")] == ["B-001"]
