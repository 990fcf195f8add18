"""A pcscd with the vpcd virtual reader, for tests, benchmarks and the demo.

pcscd puts its socket at the compiled-in /run/pcscd/pcscd.comm, while the client library honours
PCSCLITE_CSOCK_NAME. When we are root we therefore run pcscd in a private mount namespace with our
own directory bound over /run/pcscd: the daemon, its vpcd port pair and its socket belong to this
rig alone, the system's pcscd (if any) is untouched, and several test runs can coexist. Clients
(pyscard) reach it by `PCSCLITE_CSOCK_NAME` from `env`. Without root we reuse a running system
pcscd that has vpcd on its default port, and say exactly what is wrong when there is none.

libpcsclite reads PCSCLITE_CSOCK_NAME once per process, at its first context: a process talks
to one pcscd in its lifetime, so tests keep one rig per session.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from madoguchi.rig._proc import ManagedProcess, RigError, free_port, tcp_listening, wait_for

_VPCD_DRIVER_CANDIDATES = (
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so.0.8",
)
SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")
SYSTEM_VPCD_PORT = 35963


class PcscRig:
    """pcscd + vpcd. Use as a context manager or call `start()` / `stop()`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.vpcd_port = 0
        self.socket_path = SYSTEM_SOCKET
        self.private = False
        self._process: ManagedProcess | None = None

    @property
    def env(self) -> dict[str, str]:
        """Environment a pyscard client needs to reach this pcscd."""
        return {"PCSCLITE_CSOCK_NAME": str(self.socket_path)}

    def reader_name(self, slot: int = 0) -> str:
        """vpcd's reader for port + slot, as pcscd names it."""
        return f"Virtual PCD 00 {slot:02d}"

    def apply_env(self) -> None:
        """Point this process's libpcsclite at this pcscd (before its first PC/SC context)."""
        os.environ.update(self.env)

    def start(self, timeout: float = 15.0) -> PcscRig:
        pcscd = shutil.which("pcscd") or (
            "/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None
        )
        driver = next((p for p in _VPCD_DRIVER_CANDIDATES if Path(p).exists()), None)
        if os.geteuid() == 0 and pcscd and driver and shutil.which("unshare"):
            self._start_private(pcscd, driver, timeout)
            return self
        if SYSTEM_SOCKET.exists() and tcp_listening(SYSTEM_VPCD_PORT):
            self.vpcd_port = SYSTEM_VPCD_PORT
            self.socket_path = SYSTEM_SOCKET
            return self
        missing = [n for n, p in (("pcscd", pcscd), ("vsmartcard-vpcd", driver)) if not p]
        if missing:
            raise RigError(f"cannot start pcscd: Debian package(s) missing: {' '.join(missing)}")
        raise RigError(
            "no usable pcscd: not root (a private pcscd needs a mount namespace), and no system "
            f"pcscd with vpcd listening on port {SYSTEM_VPCD_PORT}; run as root, or start "
            "'pcscd' with the vsmartcard-vpcd driver installed"
        )

    def _start_private(self, pcscd: str, driver: str, timeout: float) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        run_dir = self.workdir / "run"
        conf_dir = self.workdir / "reader.conf.d"
        run_dir.mkdir(exist_ok=True)
        conf_dir.mkdir(exist_ok=True)
        self.vpcd_port = free_port(count=2)
        (conf_dir / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.vpcd_port:04X}\n"
            f"LIBPATH      {driver}\n"
            f"CHANNELID    0x{self.vpcd_port:04X}\n"
        )
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
        script = f'mount --bind "{run_dir}" /run/pcscd && exec "{pcscd}" --foreground --config "{conf_dir}"'
        self._process = ManagedProcess(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            self.workdir / "pcscd.log",
            name="pcscd",
        )
        self.socket_path = run_dir / "pcscd.comm"
        self.private = True
        port = self.vpcd_port
        try:
            self._process.start()
            self._process.wait_ready(
                lambda: (
                    self.socket_path.exists() and tcp_listening(port) and tcp_listening(port + 1)
                ),
                timeout,
                f"its socket and vpcd on ports {port}/{port + 1}",
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
            wait_for(lambda: not tcp_listening(self.vpcd_port), 5, "vpcd ports to close")

    def __enter__(self) -> PcscRig:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
