"""Serving the queue host with waitress on one address, in a thread (tests, the host terminal).

Guarantees: `stop()` closes every socket and returns once the loop has ended; bodies are bounded.
With `tls` (the center's certificate, `kiosk.center.tls`) the address given serves TLS only and
waitress listens on 127.0.0.1 behind it, never beyond loopback.
"""

from __future__ import annotations

import threading

from waitress import wasyncore
from waitress.server import create_server

from kiosk.center.errors import CenterConfigError
from kiosk.center.tls import HostCert, TlsFront

__all__ = ["HostServer"]


class HostServer:
    def __init__(
        self,
        app,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 4,
        *,
        tls: HostCert | None = None,
    ) -> None:
        self._map: dict = {}
        self._front: TlsFront | None = None
        try:
            self._server = create_server(
                app,
                map=self._map,
                host="127.0.0.1" if tls is not None else host,
                port=0 if tls is not None else port,
                threads=threads,
                connection_limit=64,
                channel_timeout=30,
                max_request_body_size=256 * 1024,
                ident="madoguchi-center",
                expose_tracebacks=False,
                asyncore_use_poll=True,
            )
        except (OSError, ValueError) as e:
            raise CenterConfigError("listen", getattr(e, "strerror", None) or str(e)) from e
        if tls is not None:
            try:
                self._front = TlsFront(tls, self._server.effective_port, host, port)
            except CenterConfigError:
                self._server.close()
                raise
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._front is not None:
            host, port = self._front.address
            return f"https://{f'[{host}]' if ':' in host else host}:{port}"
        host, port = self._server.effective_host, self._server.effective_port
        return f"http://{host}:{port}"

    def start(self) -> HostServer:
        if self._front is not None:
            self._front.start()
        self._thread = threading.Thread(target=self.serve, name="center-host", daemon=True)
        self._thread.start()
        return self

    def serve(self) -> None:
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=0.2, map=self._map, use_poll=True, count=1)
        finally:
            wasyncore.close_all(self._map)

    def stop(self) -> None:
        if self._front is not None:
            self._front.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
