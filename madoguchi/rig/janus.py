"""A Janus of the tests' own (Debian's `janus`), the SFU of calls with three or more parties.

`JanusRig(workdir, netns=..., interface=...)` writes a configuration into `workdir` (nothing
from /etc/janus is read), starts `janus` inside the given network namespace and waits for its
Unix-socket API (`rig.socket`). Only what a consultation needs is loaded: the VideoRoom plugin
and the Unix-socket transport (no HTTP, no WebSockets, no admin API, no event handlers); ICE
gathers on `interface` only, with no STUN or TURN server, so Janus never reaches outside the
namespaces the test made. Janus is stopped on exit (SIGTERM, then SIGKILL); a Janus that cannot
start raises RigError with the end of its own log (a start that loses Janus's own start-up
race in its Unix-socket transport is retried, up to five times).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from madoguchi.rig._proc import RigError
from sync.central.consult.errors import JanusError
from sync.central.consult.janus_config import JANUS, janus_argv, write_config

__all__ = ["JANUS", "JanusRig"]

_RACE = "No Janus API transport is available"


class JanusRig:
    def __init__(
        self,
        workdir: Path,
        *,
        netns: str | None = None,
        interface: str | None = None,
        rtp_ports: str = "40000-40999",
    ) -> None:
        self.workdir = Path(workdir) / "janus"
        self.netns, self.interface, self.rtp_ports = netns, interface, rtp_ports
        self.socket = self.workdir / "api.sock"
        self._proc: subprocess.Popen | None = None
        self._log = self.workdir / "janus.log"

    def _config(self) -> None:
        try:  # the product's configuration (the madoguchi-janus service writes the same)
            write_config(
                self.workdir, socket=self.socket, rtp_ports=self.rtp_ports, interface=self.interface
            )
        except JanusError as e:
            raise RigError(str(e)) from e

    def __enter__(self) -> JanusRig:
        if not os.path.exists(JANUS):
            raise RigError("janus is not installed (Debian package 'janus')")
        self._config()
        # Janus 1.1.2's Unix-socket transport starts its thread before it marks itself
        # initialized, and the thread quits when it looks first: then Janus exits with "No
        # Janus API transport is available". That race is Janus's (still in its source); a
        # fresh start is the cure, as systemd's Restart= would do in production.
        for _attempt in range(5):
            if self._start_once():
                return self
            if _RACE not in self.log_tail():
                break
        tail = self.log_tail(1500)
        self.__exit__()
        raise RigError(f"janus did not start: {tail}")

    def _start_once(self) -> bool:
        argv = janus_argv(self.workdir)
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        log = open(self._log, "wb")  # noqa: SIM115 - Janus writes it until it stops
        try:
            self._proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()
        deadline = time.monotonic() + 20
        while not self.socket.exists():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                return False
            time.sleep(0.05)
        # The socket can appear and go again when the race is lost: look once more.
        time.sleep(0.2)
        if self._proc.poll() is not None or not self.socket.exists():
            self.__exit__()
            return False
        return True

    def __exit__(self, *exc) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None

    def log_tail(self, n: int = 3000) -> str:
        return self._log.read_text(errors="replace")[-n:] if self._log.exists() else ""

    def remove(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
