"""Start a daemon in the foreground, wait until it is ready, stop it: all bounded in time.

When a daemon cannot start, the error carries the daemon's own words: the tail of its captured
stdout/stderr and of every log file it writes itself (cupsd's ErrorLog, PostgreSQL's server log),
because the one line that explains a failure is often only there.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from madoguchi.core.errors import MadoguchiError


class RigError(MadoguchiError):
    """A real part (pcscd, cupsd, PostgreSQL, ...) could not be started or used."""


def free_port(count: int = 1, host: str = "0.0.0.0") -> int:
    """A port p such that p .. p+count-1 are all free now (bound briefly to check)."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind((host, 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        if all(_port_is_free(host, base + i) for i in range(count)):
            return base
    raise RigError(f"no run of {count} free TCP ports found")


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def tcp_listening(port: int) -> bool:
    """Whether some socket on this machine LISTENs on `port` (read from /proc, no connection)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if (
                len(fields) > 3
                and fields[3] == "0A"
                and int(fields[1].rsplit(":", 1)[1], 16) == port
            ):
                return True
    return False


def wait_for(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.02
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RigError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def logs_tail(paths: Sequence[Path], lines: int = 15) -> str:
    """The last `lines` lines of each file in `paths` that has any, each under its name."""
    parts = []
    for path in paths:
        try:
            text = Path(path).read_text(errors="replace").strip()
        except OSError:
            continue
        if text:
            tail = "\n".join(text.splitlines()[-lines:])
            parts.append(f"--- {Path(path).name} ---\n{tail}")
    return "\n".join(parts) or "(the daemon wrote nothing: no output and no log lines)"


class ManagedProcess:
    """A child process with its output in a log file, stopped with SIGTERM then SIGKILL."""

    def __init__(
        self,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        name: str | None = None,
        daemon_logs: Sequence[Path] = (),
    ) -> None:
        self.argv = list(argv)
        self.daemon_logs = [Path(p) for p in daemon_logs]
        self.log_path = Path(log_path)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.name = name or Path(self.argv[0]).name
        self.proc: subprocess.Popen | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        except OSError as e:
            raise RigError(f"cannot start {self.name}: {e}") from e
        finally:
            log.close()
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The last `lines` of the captured output and of each of the daemon's own logs."""
        return logs_tail([self.log_path, *self.daemon_logs], lines)

    def wait_ready(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until `predicate()`; fail early, with the log tail, if the process died."""

        def ready() -> bool:
            if not self.running:
                raise RigError(
                    f"{self.name} exited (code {self.proc.returncode if self.proc else '?'}) "
                    f"before {what}; its log:\n{self.log_tail()}"
                )
            return predicate()

        try:
            wait_for(ready, timeout, f"{self.name}: {what}")
        except RigError as e:
            if "timed out" in str(e):
                raise RigError(f"{e}; its log:\n{self.log_tail()}") from None
            raise

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
