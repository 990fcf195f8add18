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

__all__ = ["JANUS", "JanusRig"]

JANUS = "/usr/bin/janus"
_RACE = "No Janus API transport is available"
_LIB = "/usr/lib/x86_64-linux-gnu/janus"


def _lib_dir() -> str:
    """Debian installs the plugins under the multiarch directory of the machine."""
    if os.path.isdir(_LIB):
        return _LIB
    for base in Path("/usr/lib").glob("*/janus"):
        return str(base)
    raise RigError("janus is not installed (Debian package 'janus')")


def _disable(folder: str, keep: str) -> str:
    names = [p.name for p in Path(folder).glob("*.so") if p.name != keep]
    return ",".join(sorted(names))


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
        lib = _lib_dir()
        self.workdir.mkdir(parents=True, exist_ok=True)
        nat = ["nice_debug = false", "ignore_mdns = true"]
        if self.interface:
            nat.append(f'ice_enforce_list = "{self.interface}"')
        (self.workdir / "janus.jcfg").write_text(
            "general: {\n"
            f'  configs_folder = "{self.workdir}"\n'
            f'  plugins_folder = "{lib}/plugins"\n'
            f'  transports_folder = "{lib}/transports"\n'
            f'  events_folder = "{lib}/events"\n'
            f'  loggers_folder = "{lib}/loggers"\n'
            "  debug_level = 4\n"
            "  session_timeout = 60\n"
            "}\n"
            f'media: {{\n  rtp_port_range = "{self.rtp_ports}"\n  ipv6 = false\n}}\n'
            "nat: {\n  " + "\n  ".join(nat) + "\n}\n"
            f'plugins: {{\n  disable = "{_disable(lib + "/plugins", "libjanus_videoroom.so")}"\n}}\n'
            "transports: {\n"
            f'  disable = "{_disable(lib + "/transports", "libjanus_pfunix.so")}"\n}}\n'
            "loggers: {\n"
            f'  disable = "{_disable(lib + "/loggers", "")}"\n}}\n'
            "events: {\n  broadcast = false\n}\n"
        )
        (self.workdir / "janus.transport.pfunix.jcfg").write_text(
            'general: {\n  enabled = true\n  json = "compact"\n'
            f'  path = "{self.socket}"\n  type = "SOCK_SEQPACKET"\n}}\n'
            "admin: {\n  admin_enabled = false\n}\n"
        )
        # No rooms from configuration: each consultation's room is created through the API.
        (self.workdir / "janus.plugin.videoroom.jcfg").write_text(
            "general: {\n  lock_rtp_forward = true\n}\n"
        )

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
        argv = [JANUS, "-F", str(self.workdir), "-C", str(self.workdir / "janus.jcfg"), "-o"]
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
