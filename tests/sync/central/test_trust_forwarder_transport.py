"""Issue 16 item 8 (forwarder): https only (plain http to loopback only), TLS always verified,
no redirect to another origin. Real HTTP(S) servers on 127.0.0.1 and 127.0.0.2 (both loopback):
a server with a certificate the system does not trust gets nothing, the same server with its CA
given gets every record, and a 307/308 to another host is refused (nothing reaches that host,
the record stays pending) while a 307/308 on the same origin is followed with its body."""

import datetime as dt
import ipaddress
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.central.forwarder import Forwarder, ForwarderConfig, ForwarderError


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        server = self.server
        server.received.append((self.path, body, self.headers.get("Idempotency-Key")))
        status, location = server.answer(self.path)
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class _Server:
    def __init__(self, host="127.0.0.1", answer=lambda path: (201, None), tls=None):
        self.httpd = ThreadingHTTPServer((host, 0), _Handler)
        self.httpd.received = []
        self.httpd.answer = answer
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.origin = f"{scheme}://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def received(self):
        return self.httpd.received

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


def _tls(tmp_path):
    """A CA the system does not know, and a server certificate for 127.0.0.1 it signed."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "city test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "server.pem")
    return ctx, str(tmp_path / "ca.pem")


class _Source:
    def __init__(self, n=3):
        self.items = [(f"rec-{i}", "application", {"n": i}) for i in range(n)]
        self.forwarded = []

    def pending(self, limit):
        return [i for i in self.items if i[0] not in self.forwarded][:limit]

    def mark_forwarded(self, record_id):
        self.forwarded.append(record_id)


def _forwarder(url, source, **kw):
    config = ForwarderConfig(
        url=url, max_attempts=2, backoff_base_s=0.001, backoff_cap_s=0.005, read_timeout_s=5, **kw
    )
    return Forwarder(config, source.pending, source.mark_forwarded)


@pytest.mark.timeout(60)
def test_tls_is_verified_and_a_city_ca_can_be_given(tmp_path):
    ctx, ca_file = _tls(tmp_path)
    with _Server(tls=ctx) as office:
        source = _Source()
        report = _forwarder(office.origin + "/apply", source).forward_once()
        assert report.stopped_on == "rec-0" and source.forwarded == []
        assert office.received == []  # the handshake failed: not one byte of a body went out
        assert _forwarder(office.origin + "/apply", source, verify_tls=ca_file).drain() == 3
        assert source.forwarded == ["rec-0", "rec-1", "rec-2"]
        assert [json.loads(b)["record_id"] for _, b, _ in office.received] == source.forwarded


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.timeout(60)
def test_redirect_to_another_origin_is_refused(status):
    with _Server(host="127.0.0.2") as elsewhere:
        target = elsewhere.origin + "/steal"
        with _Server(answer=lambda path: (status, target)) as office:
            source = _Source(2)
            report = _forwarder(office.origin + "/apply", source).forward_once()
            assert report.stopped_on == "rec-0"
            assert source.forwarded == []  # still pending, retried next pass
            assert len(office.received) == 2  # max_attempts, each refused
    assert elsewhere.received == []


@pytest.mark.parametrize("status", [301, 302, 303])
@pytest.mark.timeout(60)
def test_redirects_that_change_the_method_are_refused_even_on_the_same_origin(status):
    answers = {"/apply": (status, "/moved")}
    with _Server(answer=lambda path: answers.get(path, (201, None))) as office:
        source = _Source(1)
        assert _forwarder(office.origin + "/apply", source).forward_once().stopped_on == "rec-0"
        assert [p for p, _, _ in office.received] == ["/apply", "/apply"]


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.timeout(60)
def test_same_origin_307_308_is_followed_with_the_body(status):
    answers = {"/apply": (status, "/v2/apply")}
    with _Server(answer=lambda path: answers.get(path, (201, None))) as office:
        source = _Source(1)
        assert _forwarder(office.origin + "/apply", source).drain() == 1
        (p1, b1, k1), (p2, b2, k2) = office.received
        assert (p1, p2) == ("/apply", "/v2/apply") and b1 == b2 and k1 == k2 == "rec-0"


@pytest.mark.timeout(60)
def test_redirect_loop_on_the_same_origin_stops():
    with _Server(answer=lambda path: (307, path)) as office:
        source = _Source(1)
        assert _forwarder(office.origin + "/a", source).forward_once().stopped_on == "rec-0"
        assert len(office.received) == 2 * 4  # two attempts of 1 + 3 hops each


BAD = {
    "plain http to a city host": {"url": "http://backoffice.city.example/apply"},
    "plain http to a LAN address": {"url": "http://192.168.1.10/apply"},
    "not http at all": {"url": "ftp://127.0.0.1/x"},
    "no host": {"url": "https:///apply"},
    "credentials in the url": {"url": "https://user:secret@backoffice.example/apply"},
    "bad port": {"url": "https://backoffice.example:99999/apply"},
    "verify_tls=False": {"url": "https://backoffice.example/apply", "verify_tls": False},
    "verify_tls empty path": {"url": "https://backoffice.example/apply", "verify_tls": ""},
}


@pytest.mark.parametrize("kw", BAD.values(), ids=BAD.keys())
def test_bad_transport_config_is_refused(kw):
    with pytest.raises(ForwarderError):
        ForwarderConfig(**kw)


@pytest.mark.parametrize(
    "url",
    [
        "https://backoffice.city.example/apply",
        "http://127.0.0.1:8080/apply",
        "http://127.9.9.9/apply",
        "http://[::1]:8080/apply",
        "http://localhost/apply",
    ],
)
def test_good_transport_config(url):
    assert ForwarderConfig(url=url).url == url
