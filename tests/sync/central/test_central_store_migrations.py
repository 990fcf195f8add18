"""The central store's migrations on SQLite and PostgreSQL: a new database gets every one, a
database made by an older release is brought up to date on open (each migration once), and the
dashboard's time-window reads have an index to use."""

import sqlite3

import psycopg

import sync.central.store_postgres as store_postgres
import sync.central.store_sqlite as store_sqlite
import tests.support.sync as sync_support
from sync.central import open_store
from sync.central.store_schema import KIND_TABLES, MIGRATIONS

central_db = sync_support.central_db  # fixture

_EXPECTED = {f"{t}_created_at" for t in KIND_TABLES.values()} | {"events_at"}


def _query(db: str, sql: str) -> list[tuple]:
    if db.startswith("postgresql://"):
        with psycopg.connect(db) as conn:
            return conn.execute(sql).fetchall()
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _indexes(db: str) -> set[str]:
    if db.startswith("postgresql://"):
        rows = _query(db, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    else:
        rows = _query(db, "SELECT name FROM sqlite_master WHERE type = 'index'")
    return {r[0] for r in rows}


def _migrations(db: str) -> list[str]:
    return [r[0] for r in _query(db, "SELECT name FROM schema_migrations ORDER BY name")]


def test_a_new_store_has_every_migration_and_the_time_indexes(central_db):
    open_store(central_db).close()
    assert _migrations(central_db) == [name for name, _ in MIGRATIONS]
    assert _EXPECTED <= _indexes(central_db)


def test_a_store_from_an_older_release_is_upgraded_on_open(central_db, monkeypatch):
    first = MIGRATIONS[:1]  # what release 0001 shipped
    with monkeypatch.context() as m:
        m.setattr(store_sqlite, "MIGRATIONS", first)
        m.setattr(store_postgres, "MIGRATIONS", first)
        open_store(central_db).close()
    assert _migrations(central_db) == ["0001_initial"]
    assert not _EXPECTED & _indexes(central_db)
    open_store(central_db).close()
    open_store(central_db).close()  # applied once, not again
    assert _migrations(central_db) == [name for name, _ in MIGRATIONS]
    assert _EXPECTED <= _indexes(central_db)


def test_a_time_window_can_be_read_through_the_index(central_db):
    """The planner can answer a window predicate from the index (whether it does for a given
    query is its cost choice: with real row counts and statistics a narrow window does)."""
    open_store(central_db).close()
    sql = "SELECT COUNT(*) FROM queue_tickets WHERE created_at >= 1763800000"
    if central_db.startswith("postgresql://"):
        with psycopg.connect(central_db) as conn:
            conn.execute("SET enable_seqscan = off")  # tiny table: force the choice
            plan = conn.execute("EXPLAIN " + sql).fetchall()
    else:
        plan = _query(central_db, "EXPLAIN QUERY PLAN " + sql)
    assert any("queue_tickets_created_at" in str(row[-1]) for row in plan), plan
