"""A throwaway PostgreSQL cluster on a Unix socket, for the central store's production backend.

`initdb` + `pg_ctl` in a private directory; no TCP listener at all (listen_addresses=''). When we
run as root, the cluster runs as the unprivileged `postgres` user (PostgreSQL refuses root). The
rig never skips: if it cannot start, it raises `RigError` saying why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from madoguchi.rig._proc import RigError, logs_tail

_USER = "madoguchi"


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    path = found[0] if found else shutil.which(name)
    if not path:
        raise RigError(f"PostgreSQL's {name} not found: install the Debian package postgresql")
    return path


class PostgresRig:
    """Use as a context manager; `dsn` is a libpq URI that psycopg accepts."""

    def __init__(self, *, fsync: bool = True, run_as: str = "postgres") -> None:
        self.fsync = fsync
        self.run_as = run_as
        self.root: Path | None = None

    @property
    def dsn(self) -> str:
        assert self.root is not None, "PostgresRig not started"
        return f"postgresql:///postgres?host={self.root}&user={_USER}"

    def _run(self, argv: list[str], timeout: float) -> None:
        if os.geteuid() == 0:
            argv = ["runuser", "-u", self.run_as, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            # pg_ctl only says "examine the log output": the server's reason is in its log.
            server_log = logs_tail([self.root / "postgres.log"]) if self.root else ""
            raise RigError(
                f"{Path(argv[0] if os.geteuid() else argv[4]).name} failed "
                f"(exit {result.returncode}): {(result.stderr or result.stdout).strip()[-800:]}"
                + (f"\nthe server's log:\n{server_log}" if self.root else "")
            )

    def start(self, timeout: float = 60.0) -> PostgresRig:
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        self.root = Path(tempfile.mkdtemp(prefix="madoguchi-pg-"))
        try:
            self._init_and_start(initdb, pg_ctl, timeout)
        except BaseException:
            self._discard()
            raise
        return self

    def _init_and_start(self, initdb: str, pg_ctl: str, timeout: float) -> None:
        assert self.root is not None
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam(self.run_as)
            except KeyError:
                raise RigError(
                    f"user {self.run_as!r} missing: install the Debian package postgresql"
                ) from None
            os.chown(self.root, user.pw_uid, user.pw_gid)
        data = self.root / "data"
        self._run(
            [
                initdb,
                "-D",
                str(data),
                "-U",
                _USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            ],
            timeout,
        )
        options = f"-k {self.root} -c listen_addresses='' -c fsync={'on' if self.fsync else 'off'}"
        self._run(
            [
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(self.root / "postgres.log"),
                "-o",
                options,
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
            timeout + 10,
        )

    def stop(self) -> None:
        if self.root is None:
            return
        try:
            self._run(
                [_pg_bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop"], 60
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def _discard(self) -> None:
        """After a failed start: stop whatever half-started (immediate), remove the directory."""
        root, data = self.root, self.root / "data" if self.root else None
        if data is not None and (data / "postmaster.pid").exists():
            try:
                self._run([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], 30)
            except (RigError, subprocess.TimeoutExpired):
                pass
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PostgresRig:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
