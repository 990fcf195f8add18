"""The central store's schema as named migrations, rendered for SQLite or PostgreSQL.

Invariant: migrations are append-only; a name once released is never edited. Each is applied in
one transaction together with its row in `schema_migrations`.
"""

from __future__ import annotations

__all__ = ["KIND_TABLES", "MIGRATIONS", "render"]

# Record kind -> typed table filled by the processing stage.
KIND_TABLES = {
    "application": "applications",
    "certificate_request": "certificate_requests",
    "booking": "bookings",
    "survey": "surveys",
    "metric": "metrics",
    "device_health": "device_health",
    "shelter_checkin": "shelter_checkins",
    "queue_ticket": "queue_tickets",
}

_TYPED_TABLE = """CREATE TABLE {table} (
    id {serial},
    device_id TEXT NOT NULL,
    seq {int} NOT NULL,
    record_id TEXT NOT NULL,
    created_at {int} NOT NULL,
    opened_at {real} NOT NULL,
    body {json} NOT NULL,
    UNIQUE (device_id, seq)
)"""

_INITIAL = [
    """CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    committed_seq {int} NOT NULL DEFAULT 0,
    committed_hash {blob} NOT NULL,
    max_seq {int} NOT NULL DEFAULT 0,
    last_seen {real} NOT NULL DEFAULT 0
)""",
    """CREATE TABLE records (
    device_id TEXT NOT NULL,
    seq {int} NOT NULL,
    record_hash {blob} NOT NULL,
    prev_hash {blob} NOT NULL,
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at {int} NOT NULL,
    header {blob} NOT NULL,
    ciphertext {blob} NOT NULL,
    received_at {real} NOT NULL,
    state {int} NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, seq)
)""",
    "CREATE INDEX records_pending ON records (state, received_at)",
    """CREATE TABLE quarantine (
    id {serial},
    device_id TEXT NOT NULL,
    seq {int} NOT NULL,
    record_hash {blob} NOT NULL,
    reason TEXT NOT NULL,
    header {blob} NOT NULL,
    ciphertext {blob} NOT NULL,
    received_at {real} NOT NULL,
    UNIQUE (device_id, seq, record_hash, reason)
)""",
    """CREATE TABLE events (
    id {serial},
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    first_seq {int} NOT NULL,
    last_seq {int} NOT NULL,
    detail TEXT NOT NULL,
    at {real} NOT NULL
)""",
    *(_TYPED_TABLE.replace("{table}", t) for t in KIND_TABLES.values()),
]

# The dashboard reads every typed table and the event log by time window (created_at / at):
# without these it scans whole tables, which grow by every record of every device.
_TIME_INDEXES = [
    *(f"CREATE INDEX {t}_created_at ON {t} (created_at)" for t in KIND_TABLES.values()),
    "CREATE INDEX events_at ON events (at)",
]

MIGRATIONS: list[tuple[str, list[str]]] = [
    ("0001_initial", _INITIAL),
    ("0002_time_indexes", _TIME_INDEXES),
]

_TYPES = {
    "sqlite": {
        "int": "INTEGER",
        "real": "REAL",
        "blob": "BLOB",
        "json": "TEXT",
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
    },
    "postgres": {
        "int": "BIGINT",
        "real": "DOUBLE PRECISION",
        "blob": "BYTEA",
        "json": "TEXT",
        "serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    },
}


def render(statement: str, dialect: str) -> str:
    return statement.format(**_TYPES[dialect])
