"""Test support for resident lookups: the city's back office on 127.0.0.1, answering
`GET /residents/<serial hex>?ca=<fingerprint>&certificate=<type>` from a dict of records, or
per a script of modes that fail on purpose (see `ResidentsBackOffice`)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes


def key_of(certificate: x509.Certificate, ca: x509.Certificate) -> tuple[str, str]:
    """What the back office files a record under: (serial hex, CA SHA-256 fingerprint hex)."""
    return f"{certificate.serial_number:x}", ca.fingerprint(hashes.SHA256()).hex()


def record_of(profile) -> dict:
    """A simulated card profile's resident, as the back office would answer it."""
    return {
        "name": profile.holder_name,
        "address": profile.address,
        "birth_date": profile.birth_date.isoformat(),
        "sex": str(profile.sex),
    }


class ResidentsBackOffice:
    """Records by `key_of(...)`; modes taken from `script` per request, then "normal":
    normal (200 with the record, or 404), 500, redirect (302), slow (answers after `slow_s`),
    body:<text> (200 with that body), drop (closes without answering)."""

    def __init__(self, records: dict | None = None, script=None, slow_s: float = 1.0) -> None:
        self.records = dict(records or {})
        self.script = list(script or [])
        self.slow_s = slow_s
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # path, query, headers of each request
        office = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: bytes = b"", **headers) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with office.lock:
                    mode = office.script.pop(0) if office.script else "normal"
                    office.requests.append(
                        {"path": url.path, "query": query, "headers": dict(self.headers)}
                    )
                    serial = url.path.rsplit("/", 1)[-1]
                    record = office.records.get((serial, query.get("ca", "")))
                if mode == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif mode == "500":
                    self._answer(500)
                elif mode == "redirect":
                    self._answer(302, Location="http://127.0.0.1:9/elsewhere")
                elif mode.startswith("body:"):
                    self._answer(200, mode[5:].encode(), Content_Type="application/json")
                elif mode == "slow":
                    time.sleep(office.slow_s)
                    self._answer(200, json.dumps(record).encode())
                elif record is None or not url.path.startswith("/residents/"):
                    self._answer(404)
                else:
                    body = json.dumps(record, ensure_ascii=False).encode()
                    self._answer(200, body, Content_Type="application/json; charset=utf-8")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *a: None  # a client that gave up (timeout, too large)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/residents"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ResidentsBackOffice:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)


def refused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/residents"
