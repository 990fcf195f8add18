"""TLS for the center's queue host: a self-signed certificate per center made on the host's first
start, served in front of waitress, and pinned by the terminals.

Guarantees:
- `ensure_host_cert` makes the certificate once (ECDSA P-256, 10 years, names: the host's
  address from `host_url`, 127.0.0.1, ::1, localhost and any `names`) and reuses it on every
  later start; the private key is 0600 in a 0700 directory and never leaves the host. The
  SHA-256 fingerprint of the certificate is not secret (IT compares it when copying the file).
- `TlsFront` accepts TLS 1.2+ on the host's public address and relays each connection to
  waitress on 127.0.0.1 (which never listens beyond loopback when TLS is on); at most
  `max_connections` at once, each bounded by `idle_s` without traffic; a failed handshake
  (plain HTTP, a client that does not trust the certificate) closes that connection only.
- `pinned_session` trusts exactly one certificate file (the center's), nothing from the system
  store, and does not check the host name (the pin is the identity: a terminal may name the host
  by any address): a certificate other than the pinned one fails the handshake.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.center.errors import CenterConfigError
from madoguchi.core.hostcert import CERT_FILE, KEY_FILE, fingerprint, write_host_cert

__all__ = ["HostCert", "TlsFront", "ensure_host_cert", "fingerprint", "pinned_session"]

log = logging.getLogger("kiosk.center.tls")


@dataclass(frozen=True)
class HostCert:
    cert: Path
    key: Path
    sha256: str  # hex, of the certificate's DER


def ensure_host_cert(
    directory: Path, center: str, host_url: str = "", names: tuple[str, ...] = ()
) -> HostCert:
    """The host's certificate in `directory`: the pair made at enrollment or on an earlier
    start, else made now (`madoguchi.core.hostcert`: see there and the module)."""
    directory = Path(directory)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    if cert_path.exists() and key_path.exists():
        pem = cert_path.read_bytes()
        try:
            return HostCert(cert_path, key_path, fingerprint(pem))
        except (ValueError, UnicodeDecodeError) as e:
            raise CenterConfigError("tls_dir", f"{cert_path} is not a certificate") from e
    cert, key, sha = write_host_cert(directory, center, host_url, names)
    made = HostCert(cert, key, sha)
    log.info("center %s: host certificate made, sha256 %s", center, made.sha256)
    return made


def server_context(cert: HostCert) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert.cert, cert.key)
    return ctx


class TlsFront:
    """TLS on (host, port), relayed to 127.0.0.1:`backend_port` (see the module)."""

    def __init__(
        self,
        cert: HostCert,
        backend_port: int,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_connections: int = 64,
        idle_s: float = 60.0,
        handshake_s: float = 10.0,
    ) -> None:
        self._ctx = server_context(cert)
        self._backend = ("127.0.0.1", backend_port)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
        except OSError as e:
            self._sock.close()
            raise CenterConfigError("listen", e.strerror or str(e)) from e
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.address = self._sock.getsockname()[:2]
        self._slots = threading.BoundedSemaphore(max_connections)
        self._idle_s, self._handshake_s = idle_s, handshake_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="center-tls", daemon=True)

    def start(self) -> TlsFront:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._slots.acquire(blocking=False):
                raw.close()  # full: the client retries (terminals fall back meanwhile)
                continue
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(self._handshake_s)
            try:
                tls = self._ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError) as e:
                # Plain HTTP or a client that does not trust us: this connection only.
                log.info("center host: TLS handshake refused (%s)", type(e).__name__)
                raw.close()
                return
            try:
                backend = socket.create_connection(self._backend, timeout=self._handshake_s)
            except OSError:
                tls.close()
                return
            try:
                _relay(tls, backend, self._idle_s)
            finally:
                for s in (tls, backend):
                    s.close()
        finally:
            self._slots.release()

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=5)


def _relay(tls: ssl.SSLSocket, backend: socket.socket, idle_s: float) -> None:
    """Both directions in one thread (an SSL object is not shared between threads), until
    either side closes or nothing moves for `idle_s`."""
    tls.settimeout(idle_s)
    backend.settimeout(idle_s)
    try:
        while True:
            ready = [tls] if tls.pending() else select.select([tls, backend], [], [], idle_s)[0]
            if not ready:
                return
            for src in ready:
                dst = backend if src is tls else tls
                data = src.recv(65536)
                if not data:
                    return
                dst.sendall(data)
    except (OSError, ssl.SSLError):
        return


def pinned_session(cert_file: Path) -> Any:
    """A `requests.Session` that trusts only `cert_file` (see the module)."""
    import requests
    from requests.adapters import HTTPAdapter

    path = Path(cert_file)
    try:
        fingerprint(path.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise CenterConfigError(
            "host_cert", f"unreadable or not a certificate ({type(e).__name__})"
        ) from e

    class _Pinned(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["assert_hostname"] = False  # the pin is the identity, not the name
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    # Not from the environment: REQUESTS_CA_BUNDLE would replace the pin, a proxy would see it.
    session.trust_env = False
    session.verify = str(path)  # the only trust anchor: no system store
    session.mount("https://", _Pinned())
    return session
