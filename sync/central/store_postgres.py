"""PostgreSQL backend of the central store (psycopg 3): `--db postgresql://...`.

Several receivers may share one database: a batch's transaction locks its device row
(`SELECT ... FOR UPDATE`), inserts are `ON CONFLICT DO NOTHING`, processing claims rows with
`FOR UPDATE SKIP LOCKED`, and migrations run under a transaction-scoped advisory lock so receivers
starting together do not race. One `PostgresStore` (one connection) per thread.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Sequence

import psycopg
from psycopg import sql

from sync.central.errors import StoreError
from sync.central.store import Store
from sync.central.store_schema import MIGRATIONS, render

__all__ = ["PostgresReadConnection", "PostgresStore"]

_MIGRATION_LOCK = 0x4D61646F  # "Mado"
_ROLE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class PostgresStore(Store):
    placeholder = "%s"

    def __init__(self, dsn: str, *, connect_timeout: int = 10) -> None:
        try:
            self._db = psycopg.connect(dsn, autocommit=False, connect_timeout=connect_timeout)
            self._migrate()
        except psycopg.Error as e:
            raise StoreError("open", type(e).__name__) from e

    def _migrate(self) -> None:
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION)"
            )
            done = {r[0] for r in self._db.execute("SELECT name FROM schema_migrations")}
            for name, statements in MIGRATIONS:
                if name in done:
                    continue
                for statement in statements:
                    self._db.execute(render(statement, "postgres"))
                self._db.execute(
                    "INSERT INTO schema_migrations VALUES (%s, %s)", (name, time.time())
                )
        self._db.commit()

    def _execute(self, sql: str, params: Sequence = ()) -> list[tuple]:
        cur = self._db.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []

    def _executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        with self._db.cursor() as cur:
            cur.executemany(sql, rows)

    def _for_update(self) -> str:
        return " FOR UPDATE"

    def _skip_locked(self) -> str:
        return " FOR UPDATE SKIP LOCKED"

    def _end_read_for_processing(self) -> None:
        pass  # the claim (row locks) lasts until finish_processing or release

    def _begin_processing_write(self) -> None:
        pass

    def _begin(self) -> None:
        pass  # psycopg opens a transaction on the first statement

    def _commit(self) -> None:
        self._db.commit()

    def _rollback(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._db.rollback()

    @contextlib.contextmanager
    def _guard(self, operation: str):
        try:
            yield
        except psycopg.Error as e:
            raise StoreError(operation, type(e).__name__) from e

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._db.close()

    def grant_read_only(self, role: str) -> None:
        """Let `role` (created with LOGIN if missing; peer authentication maps the Unix user of
        the same name) read every table of this store, now and after later migrations, and
        write nothing: the dashboard's own database role."""
        if not _ROLE.match(role):
            raise StoreError("grant_read_only", "BadRoleName")
        name = sql.Identifier(role)
        with self._guard("grant_read_only"):
            with self._db.transaction():
                exists = self._db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
                if exists.fetchone() is None:
                    self._db.execute(sql.SQL("CREATE ROLE {} LOGIN").format(name))
                for statement in (
                    "GRANT CONNECT ON DATABASE {db} TO {role}",
                    "GRANT USAGE ON SCHEMA public TO {role}",
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {role}",
                    "REVOKE CREATE ON SCHEMA public FROM {role}",
                ):
                    db = sql.Identifier(self._db.info.dbname)
                    self._db.execute(sql.SQL(statement).format(db=db, role=name))


class PostgresReadConnection:
    """A read-only session for readers that must never write (`store_reads`, the dashboard):
    `default_transaction_read_only` and psycopg's `read_only` (a write is an error, not a
    change); every statement bounded by `statement_timeout`; each read ends with a rollback;
    errors become `StoreError(operation, type)`, never data."""

    def __init__(self, dsn: str, timeout_s: float) -> None:
        ms = max(1, int(timeout_s * 1000))
        try:
            self._db = psycopg.connect(
                dsn,
                autocommit=False,
                connect_timeout=max(1, int(timeout_s)),
                application_name="madoguchi-dashboard",
                options=(
                    f"-c default_transaction_read_only=on -c statement_timeout={ms} "
                    f"-c idle_in_transaction_session_timeout={ms}"
                ),
            )
            self._db.read_only = True
        except psycopg.Error as e:
            raise StoreError("open", type(e).__name__) from e

    def read(self, operation: str, sql_text: str, params: Sequence = ()) -> list[tuple]:
        try:
            cur = self._db.execute(sql_text, params)
            return cur.fetchall() if cur.description is not None else []
        except psycopg.Error as e:
            raise StoreError(operation, type(e).__name__) from e
        finally:
            with contextlib.suppress(psycopg.Error):
                self._db.rollback()  # a read: nothing to keep, and nothing could have been written

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._db.close()
