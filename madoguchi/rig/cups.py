"""A cupsd of our own whose queues print into sockets we hold, so we receive the exact bytes.

The cupsd runs from a private directory (ServerRoot, spool, cache, logs), listens on a loopback
port and a Unix socket of its own, and never touches the system's printers. Queues are raw
(`-m raw`): CUPS hands the document to the socket backend unchanged. The socket backend runs as
the unprivileged `lp` user when cupsd runs as root (cupsd refuses `User root`), so the rig's
directory lives in a world-traversable temp dir rather than a 0700 test tmp dir.
"""

from __future__ import annotations

import grp
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from madoguchi.rig._proc import ManagedProcess, RigError, free_port, tcp_listening, wait_for

_CUPSD_CONF = """\
Listen 127.0.0.1:{port}
Listen {sock}
LogLevel info
MaxLogSize 0
Browsing No
BrowseLocalProtocols none
DefaultAuthType None
WebInterface No
JobRetryInterval 1
PreserveJobHistory Yes
PreserveJobFiles No
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""

_CUPS_FILES_CONF = """\
ServerRoot {root}/etc
RequestRoot {root}/spool
TempDir {root}/spool/tmp
CacheDir {root}/cache
StateDir {root}/state
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
FileDevice No
Printcap {root}/state/printcap
"""


class CaptureListener:
    """A loopback TCP server standing in for a printer: each connection's bytes are one job.

    `pause()` stops accepting (the printer is unreachable: CUPS' socket backend retries),
    `resume()` listens again on the same port. Jobs are kept in arrival order in `jobs`.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, on_job: Callable[[bytes], None] | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.on_job = on_job
        self.jobs: list[bytes] = []
        self._cond = threading.Condition()
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def uri(self) -> str:
        return f"socket://{self.host}:{self.port}"

    def start(self) -> CaptureListener:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.port))
        server.listen(8)
        self.port = server.getsockname()[1]
        self._server = server
        self._thread = threading.Thread(target=self._accept_loop, args=(server,), daemon=True)
        self._thread.start()
        return self

    def pause(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            try:
                server.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def resume(self) -> None:
        if self._server is None:
            self.start()

    stop = pause

    def _accept_loop(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._receive, args=(conn,), daemon=True).start()

    def _receive(self, conn: socket.socket) -> None:
        data = bytearray()
        with conn:
            conn.settimeout(60)
            try:
                while chunk := conn.recv(65536):
                    data += chunk
            except OSError:
                return
        with self._cond:
            self.jobs.append(bytes(data))
            self._cond.notify_all()
        if self.on_job is not None:
            self.on_job(bytes(data))

    def wait_for_jobs(self, count: int = 1, timeout: float = 30.0) -> list[bytes]:
        """Block until `count` jobs have arrived (bounded by `timeout`), then return all jobs."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.jobs) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RigError(
                        f"printer capture: {len(self.jobs)} of {count} jobs after {timeout:.0f}s"
                    )
                self._cond.wait(left)
            return list(self.jobs)


class CupsRig:
    """cupsd in a private directory on a loopback port; use as a context manager."""

    def __init__(self, workdir: Path | None = None) -> None:
        self._own_dir = workdir is None
        self.root = Path(workdir) if workdir is not None else None
        self.port = 0
        self._process: ManagedProcess | None = None
        self.listeners: dict[str, CaptureListener] = {}

    @property
    def socket_path(self) -> Path:
        assert self.root is not None
        return self.root / "cups.sock"

    @property
    def server(self) -> str:
        """host:port for `cups.setServer` / `setPort` and the `-h` option of CUPS tools."""
        return f"127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for CUPS clients (libcups reads CUPS_SERVER) to reach this cupsd."""
        return {"CUPS_SERVER": str(self.socket_path)}

    def start(self, timeout: float = 15.0) -> CupsRig:
        cupsd = shutil.which("cupsd") or (
            "/usr/sbin/cupsd" if Path("/usr/sbin/cupsd").exists() else None
        )
        if cupsd is None or shutil.which("lpadmin") is None:
            raise RigError(
                "cannot start cupsd: install the Debian packages cups-daemon and cups-client"
            )
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="madoguchi-cups-"))
        root = self.root
        for sub in ("etc/ppd", "spool/tmp", "cache", "state", "log"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        for sub in ("etc", "log"):
            os.chmod(root / sub, 0o755)
        if os.geteuid() == 0:
            lp = grp.getgrnam("lp").gr_gid
            for sub, mode in (
                ("spool", 0o710),
                ("spool/tmp", 0o1770),
                ("cache", 0o770),
                ("state", 0o755),
            ):
                os.chown(root / sub, 0, lp)
                os.chmod(root / sub, mode)
        self.port = free_port(host="127.0.0.1")
        (root / "etc/cupsd.conf").write_text(
            _CUPSD_CONF.format(port=self.port, sock=self.socket_path)
        )
        (root / "etc/cups-files.conf").write_text(_CUPS_FILES_CONF.format(root=root))
        self._process = ManagedProcess(
            [
                cupsd,
                "-f",
                "-c",
                str(root / "etc/cupsd.conf"),
                "-s",
                str(root / "etc/cups-files.conf"),
            ],
            root / "log/cupsd.stdout",
            name="cupsd",
            daemon_logs=[root / "log/error_log"],
        )
        port = self.port
        try:
            self._process.start()
            self._process.wait_ready(
                lambda: tcp_listening(port) and self.socket_path.exists(), timeout, f"port {port}"
            )
        except BaseException:
            self.stop()
            raise
        return self

    def lpadmin(self, *args: str) -> None:
        result = subprocess.run(
            ["lpadmin", "-h", self.server, *args], capture_output=True, text=True, timeout=30
        )
        if result.returncode != 0:
            raise RigError(f"lpadmin {' '.join(args)} failed: {result.stderr.strip()}")

    def add_queue(self, name: str, device_uri: str) -> None:
        """A raw, enabled, accepting queue `name` sending to `device_uri`."""
        self.lpadmin(
            "-p", name, "-E", "-v", device_uri, "-m", "raw", "-o", "printer-error-policy=retry-job"
        )

    def add_capture_queue(
        self, name: str, on_job: Callable[[bytes], None] | None = None
    ) -> CaptureListener:
        """A queue whose printer is a `CaptureListener` started here; returns the listener."""
        listener = CaptureListener(on_job=on_job).start()
        self.listeners[name] = listener
        self.add_queue(name, listener.uri)
        return listener

    def retained(self, needles: list[str]) -> dict:
        """What this cupsd keeps after its jobs: the document files left in its spool, and for
        each of `needles` (UTF-8) the files of its spool, state, cache and logs that contain it.
        A privacy check: after a visit no resident's data may be found here."""
        assert self.root is not None, "CupsRig not started"
        spool = self.root / "spool"
        found: dict[str, list[str]] = {n: [] for n in needles}
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            for needle in needles:
                if needle.encode("utf-8") in data:
                    found[needle].append(str(path.relative_to(self.root)))
        documents = [p.name for p in spool.glob("d*") if p.is_file()]
        return {"document_files": sorted(documents), "found": found}

    def stop(self) -> None:
        for listener in self.listeners.values():
            listener.stop()
        self.listeners.clear()
        if self._process is not None:
            self._process.stop()
            self._process = None
            if self.port:
                wait_for(lambda: not tcp_listening(self.port), 5, "cupsd port to close")
        if self._own_dir and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> CupsRig:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
