"""Test support for the central forwarder: a local back-office HTTP server that fails on
purpose, and a central store seeded with opened applications."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BackOffice:
    """A back-office on 127.0.0.1 answering per a script of modes: ok, 500, 503 (Retry-After: 0),
    429, 400, slow (stores, then answers after the read timeout), drop (stores, then closes
    without answering), drop-before (closes without storing)."""

    def __init__(self, script=None, slow_s: float = 0.6) -> None:
        self.script = list(script or [])
        self.slow_s = slow_s
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str | None, dict]] = []  # (mode, key, body)
        self.stored: dict[str, list[dict]] = {}  # key -> bodies stored under it
        office = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                key = self.headers.get("Idempotency-Key")
                with office.lock:
                    mode = office.script.pop(0) if office.script else "ok"
                    office.requests.append((mode, key, body))
                    if mode in ("ok", "slow", "drop"):
                        office.stored.setdefault(key, []).append(body)
                if mode in ("drop", "drop-before"):
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if mode == "slow":
                    time.sleep(office.slow_s)
                status = {"ok": 201, "slow": 200, "500": 500, "503": 503, "429": 429, "400": 400}[
                    mode
                ]
                self.send_response(status)
                if mode == "503":
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/applications"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)


def seed_applications(path, n, table="applications", first_seq=1, body=None):
    """A SQLite central store holding n opened records of one device in `table` (applications
    unless told), seqs from `first_seq`."""
    import sqlite3

    from sync.central.stores import open_store

    store = open_store(str(path))
    db = sqlite3.connect(str(path))
    with db:
        db.executemany(
            f"INSERT INTO {table}(device_id, seq, record_id, created_at, opened_at, body) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    "kita-01",
                    seq,
                    f"00000000-0000-4000-8000-{seq:012d}",
                    1_800_000_000,
                    0.0,
                    json.dumps(body or {"form": "転入届", "n": seq - 1}),
                )
                for seq in range(first_seq, first_seq + n)
            ],
        )
    db.close()
    return store
