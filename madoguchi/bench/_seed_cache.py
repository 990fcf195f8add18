"""Seeded stores kept between runs of `madoguchi bench dashboard` (`--seed-cache DIR`).

Guarantees: an entry is `DIR/<key>/` with `sqlite.db` or `postgres.dump` (`pg_dump -Fc`) and a
`.json` of what seeding said (its clock, rows); it is used only when both are there and the facts
read back whole (otherwise the caller seeds again and the entry is overwritten); the facts are
removed before the data is replaced and written last, each under a temporary name then renamed,
so a half-written entry is never used. A restored PostgreSQL store is vacuumed and analyzed (a
dump brings no statistics); either store is brought up to date by the store's own migrations.
"""

from __future__ import annotations

import glob
import json
import shutil
import subprocess
from pathlib import Path

import click

from madoguchi.bench._contract import progress

__all__ = ["SeedCache", "cache_key"]


def cache_key(version: int, centers: int, terminals: int, days: int, seed: int) -> str:
    """The directory name of one seed: its version and parameters."""
    return f"v{version}-{centers}x{terminals}x{days}-s{seed}"


def _pg_tool(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    path = found[0] if found else shutil.which(name)
    if not path:
        raise click.ClickException(f"{name} not found: install the Debian package postgresql")
    return path


def _run_tool(argv: list[str], timeout: float) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise click.ClickException(
            f"{Path(argv[0]).name} failed: {(done.stderr or done.stdout).strip()[-500:]}"
        )


class SeedCache:
    """Seeded stores kept under `root/<key>/` (`sqlite.db` or `postgres.dump`, each with a
    `.json` of what seeding said: time, rows). A half-written entry is never used: the file
    and its `.json` are written under temporary names and renamed, the `.json` last."""

    def __init__(self, root: Path, key: str) -> None:
        self.dir = root / key

    def _meta(self, backend: str) -> Path:
        return self.dir / f"{backend}.json"

    def _data(self, backend: str) -> Path:
        return self.dir / ("sqlite.db" if backend == "sqlite" else "postgres.dump")

    def load(self, backend: str, db: str) -> dict | None:
        """The seeding's facts after copying the cached store into `db`, or None (no entry, or
        one whose facts are unreadable: it is seeded again and overwritten)."""
        meta, data = self._meta(backend), self._data(backend)
        if not (meta.is_file() and data.is_file()):
            return None
        try:
            facts = json.loads(meta.read_text(encoding="utf-8"))
            facts = {key: float(facts[key]) for key in ("now", "typed", "summary_rows", "seed_s")}
        except (OSError, ValueError, TypeError, KeyError):
            progress(f"{backend}: the cached entry in {self.dir} is unreadable: seeding again")
            return None
        facts["typed"], facts["summary_rows"] = int(facts["typed"]), int(facts["summary_rows"])
        if backend == "sqlite":
            shutil.copyfile(data, db)
        else:
            restore = [_pg_tool("pg_restore"), "--no-owner", "-j", "2", "-d", db, str(data)]
            _run_tool(restore, 1800)
        from sync.central.stores import open_store

        open_store(db).close()  # migrations added since the entry was written
        if backend == "postgres":  # pg_restore brings no planner statistics (SQLite's file has)
            _run_tool([_pg_tool("psql"), "-q", "-d", db, "-c", "VACUUM ANALYZE"], 1800)
        return facts

    def save(self, backend: str, db: str, facts: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._meta(backend).unlink(missing_ok=True)  # an old entry's facts never meet new data
        data = self._data(backend)
        part = data.with_name(data.name + ".part")
        if backend == "sqlite":
            shutil.copyfile(db, part)
        else:
            _run_tool([_pg_tool("pg_dump"), "-Fc", "-Z", "1", "-f", str(part), "-d", db], 1800)
        part.replace(data)
        meta = self._meta(backend)
        tmp = meta.with_name(meta.name + ".part")
        tmp.write_text(json.dumps(facts), encoding="utf-8")
        tmp.replace(meta)
