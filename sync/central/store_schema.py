"""The central store's schema as named migrations, rendered for SQLite or PostgreSQL.

Invariant: migrations are append-only; a name once released is never edited. Each is applied in
one transaction together with its row in `schema_migrations`.
"""

from __future__ import annotations

__all__ = ["KIND_TABLES", "MIGRATIONS", "render"]

# Record kind -> typed table filled by the processing stage. The kinds of release 0001, frozen:
# the migrations written then render from this, so a kind added later never changes them.
_KINDS_0001 = {
    "application": "applications",
    "certificate_request": "certificate_requests",
    "booking": "bookings",
    "survey": "surveys",
    "metric": "metrics",
    "device_health": "device_health",
    "shelter_checkin": "shelter_checkins",
    "queue_ticket": "queue_tickets",
}

# The center (engineer "center", kiosk/center, docs/center.md): queue events (issued, called,
# recalled, started, ended, no_show, transferred) and staff calls (called, answered with the
# response time), typed tables made by migration 0008_center_queue.
_CENTER_KINDS = {"queue_event": "queue_events", "staff_call": "staff_calls"}
# The shelter register at the queue host: a household leaving (0008_center_queue_shelter).
_SHELTER_KINDS = {"shelter_checkout": "shelter_checkouts"}

KIND_TABLES = {**_KINDS_0001, **_CENTER_KINDS, **_SHELTER_KINDS}

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
    *(_TYPED_TABLE.replace("{table}", t) for t in _KINDS_0001.values()),
]

# The dashboard reads every typed table and the event log by time window (created_at / at):
# without these it scans whole tables, which grow by every record of every device.
_TIME_INDEXES = [
    *(f"CREATE INDEX {t}_created_at ON {t} (created_at)" for t in _KINDS_0001.values()),
    "CREATE INDEX events_at ON events (at)",
]

# The issuer's and the forwarder's tables (engineer "tables"): in the store, on either backend,
# so several receivers sharing one PostgreSQL share one replay cache, one set of slot counts and
# one forwarding ledger (private SQLite files beside the store each kept their own).
# `issuer_challenges` is the replay cache: challenges central minted (by SHA-256), whom and what
# request each is for, and when it was used; `bookings` is already the typed table of queued
# booking records, hence `consultation_*`.
_ISSUER_FORWARDER_TABLES = [
    """CREATE TABLE issuer_challenges (
    digest {blob} PRIMARY KEY,
    device_id TEXT NOT NULL,
    certificate TEXT NOT NULL,
    copies {int} NOT NULL,
    issued_at {real} NOT NULL,
    used_at {real}
)""",
    "CREATE INDEX issuer_challenges_issued_at ON issuer_challenges (issued_at)",
    """CREATE TABLE issued_documents (
    document_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    verification_code TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    device_id TEXT NOT NULL,
    holder TEXT NOT NULL,
    copies {int} NOT NULL
)""",
    """CREATE TABLE consultation_slots (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    start TEXT NOT NULL,
    minutes {int} NOT NULL,
    capacity {int} NOT NULL,
    booked {int} NOT NULL DEFAULT 0
)""",
    """CREATE TABLE consultation_bookings (
    device_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    slot_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    at {real} NOT NULL,
    PRIMARY KEY (device_id, request_id)
)""",
    """CREATE TABLE forwarded (
    record_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status {int} NOT NULL,
    at {real} NOT NULL
)""",
    """CREATE TABLE forward_cursors (
    kind TEXT PRIMARY KEY,
    after_id {int} NOT NULL
)""",
]

# Central retention: a typed row whose personal fields were removed is marked, so the purge
# never reads it again and reports can tell purged rows from fresh ones.
_RETENTION = [f"ALTER TABLE {t} ADD COLUMN purged_at {{real}}" for t in _KINDS_0001.values()]

# The commit's chain side (sync/central/store_chain.py): runs of seqs held above committed_seq,
# so a commit after a gap probes a few rows instead of walking every record past the gap. The
# backfill computes the runs of a store written before this migration.
_HELD_RUNS = [
    """CREATE TABLE held_runs (
    device_id TEXT NOT NULL,
    first_seq {int} NOT NULL,
    last_seq {int} NOT NULL,
    PRIMARY KEY (device_id, first_seq)
)""",
    """INSERT INTO held_runs (device_id, first_seq, last_seq)
SELECT device_id, MIN(seq), MAX(seq) FROM (
    SELECT h.device_id, h.seq,
        h.seq - ROW_NUMBER() OVER (PARTITION BY h.device_id ORDER BY h.seq) AS grp
    FROM (
        SELECT device_id, seq FROM records
        UNION SELECT device_id, seq FROM quarantine WHERE reason = 'chain_break'
    ) h JOIN devices d ON d.device_id = h.device_id
    WHERE h.seq > d.committed_seq
) islands GROUP BY device_id, grp""",
]

# オンライン窓口 (engineer "consult", sync/central/consult): staff accounts of the specialist
# console (scrypt hashes, never a password), one row per consultation request (the record kept:
# topic, center, language, times, roles, hand-overs, outcome; never media, never chat) and the
# signaling relay's messages (SDP and control only; deleted once the call ends).
_CONSULT_TABLES = [
    """CREATE TABLE consult_staff (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at {real} NOT NULL,
    disabled {int} NOT NULL DEFAULT 0
)""",
    """CREATE TABLE consultations (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    center TEXT NOT NULL,
    topic TEXT NOT NULL,
    language TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at {real} NOT NULL,
    queued_at {real} NOT NULL,
    polled_at {real} NOT NULL,
    accepted_at {real},
    ended_at {real},
    accepted_by TEXT,
    accepted_role TEXT,
    ended_by TEXT,
    outcome TEXT,
    handovers {int} NOT NULL DEFAULT 0,
    handover_topics TEXT NOT NULL DEFAULT ''
)""",
    "CREATE INDEX consultations_state ON consultations (state, topic, queued_at)",
    "CREATE INDEX consultations_created_at ON consultations (created_at)",
    """CREATE TABLE consult_signals (
    id {serial},
    consultation_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    at {real} NOT NULL
)""",
    "CREATE INDEX consult_signals_call ON consult_signals (consultation_id, id)",
]

# Hand-over (取次ぎ) and participants: the roles of every staff member who took the call, in order
# (e.g. "front_desk specialist"), for the consultation record.
_CONSULT_PARTICIPANTS = [
    "ALTER TABLE consultations ADD COLUMN roles TEXT NOT NULL DEFAULT ''",
]

# When each staff account's console was last open: a resident is told plainly (and offered a
# booking) when no one who may accept has had the console open for a minute.
_CONSULT_STAFF_SEEN = ["ALTER TABLE consult_staff ADD COLUMN seen_at {real}"]

# The dashboard (engineer "dashboard", sync/central/dashboard/summaries.py): per-day summaries
# kept by the processing stage so no page reads record bodies per request. One row per (metric,
# Asia/Tokyo day, device, up to three ids): a count `n` and a sum `total` (e.g. step ms). The
# covering index lets a window be summed from the index alone; `dashboard_cursor` is the highest
# typed-row id per table already summarized.
_DASHBOARD_DAILY = [
    """CREATE TABLE dashboard_daily (
    metric TEXT NOT NULL,
    day TEXT NOT NULL,
    device_id TEXT NOT NULL,
    k1 TEXT NOT NULL,
    k2 TEXT NOT NULL,
    k3 TEXT NOT NULL,
    n {int} NOT NULL,
    total {int} NOT NULL,
    PRIMARY KEY (metric, day, device_id, k1, k2, k3)
)""",
    "CREATE INDEX dashboard_daily_cover ON dashboard_daily "
    "(metric, day, device_id, k1, k2, k3, n, total)",
    "CREATE INDEX dashboard_daily_day ON dashboard_daily (day)",
    """CREATE TABLE dashboard_cursor (
    name TEXT PRIMARY KEY,
    after_id {int} NOT NULL
)""",
]

# The center's typed tables, as 0001/0002/0005 made the others: table, time index, purge mark.
_CENTER_QUEUE = [
    *(_TYPED_TABLE.replace("{table}", t) for t in _CENTER_KINDS.values()),
    *(f"CREATE INDEX {t}_created_at ON {t} (created_at)" for t in _CENTER_KINDS.values()),
    *(f"ALTER TABLE {t} ADD COLUMN purged_at {{real}}" for t in _CENTER_KINDS.values()),
]

# Month totals of `dashboard_daily` (same keys, `month` = YYYY-MM), kept in step with it in the
# same transaction, so a 90- or 365-day window sums a dozen months plus the days at its edges.
_DASHBOARD_MONTHLY = [
    """CREATE TABLE dashboard_monthly (
    metric TEXT NOT NULL,
    month TEXT NOT NULL,
    device_id TEXT NOT NULL,
    k1 TEXT NOT NULL,
    k2 TEXT NOT NULL,
    k3 TEXT NOT NULL,
    n {int} NOT NULL,
    total {int} NOT NULL,
    PRIMARY KEY (metric, month, device_id, k1, k2, k3)
)""",
    "CREATE INDEX dashboard_monthly_cover ON dashboard_monthly "
    "(metric, month, device_id, k1, k2, k3, n, total)",
]

# Bookings that hold (engineer "center", sync/central/bookings.py): what central decided for each
# booking that came as a record (made offline): confirmed in its slot, moved to the nearest later
# slot of the topic, or a callback; one row per record, so several receivers decide once.
_CENTER_BOOKINGS = [
    """CREATE TABLE booking_outcomes (
    device_id TEXT NOT NULL,
    seq {int} NOT NULL,
    reference TEXT NOT NULL,
    topic TEXT NOT NULL,
    requested_slot TEXT,
    outcome TEXT NOT NULL,
    slot_id TEXT,
    start TEXT,
    at {real} NOT NULL,
    PRIMARY KEY (device_id, seq)
)""",
    "CREATE INDEX booking_outcomes_reference ON booking_outcomes (reference)",
]

_CENTER_SHELTER = [
    *(_TYPED_TABLE.replace("{table}", t) for t in _SHELTER_KINDS.values()),
    *(f"CREATE INDEX {t}_created_at ON {t} (created_at)" for t in _SHELTER_KINDS.values()),
    *(f"ALTER TABLE {t} ADD COLUMN purged_at {{real}}" for t in _SHELTER_KINDS.values()),
]

MIGRATIONS: list[tuple[str, list[str]]] = [
    ("0001_initial", _INITIAL),
    ("0002_time_indexes", _TIME_INDEXES),
    ("0003_held_runs", _HELD_RUNS),
    ("0004_issuer_forwarder_tables", _ISSUER_FORWARDER_TABLES),
    ("0005_retention", _RETENTION),
    ("0006_consult_tables", _CONSULT_TABLES),
    ("0006_consult_tables_roles", _CONSULT_PARTICIPANTS),
    ("0006_consult_tables_staff_seen", _CONSULT_STAFF_SEEN),
    ("0007_dashboard_daily", _DASHBOARD_DAILY),
    ("0007_dashboard_monthly", _DASHBOARD_MONTHLY),
    ("0008_center_queue", _CENTER_QUEUE),
    ("0008_center_queue_bookings", _CENTER_BOOKINGS),
    ("0008_center_queue_shelter", _CENTER_SHELTER),
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
