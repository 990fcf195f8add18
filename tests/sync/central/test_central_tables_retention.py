"""Central retention on SQLite and PostgreSQL: a demo resident's sealed records are stored,
opened by the processing stage and forwarded to a back office on 127.0.0.1; `madoguchi central
retain` with the clock past `retention_days` removes the personal fields, and then neither the
whole SQLite database file (with its WAL) nor any PostgreSQL table holds the resident's name or
address; counts, catalog ids and hashes stay (issue 16, item 6, central part)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

import tests.support.sync as sync_support
from devices.card.simulator import load_profile
from sync.central import Processor, open_store
from sync.central.config_files import load_retention_config
from sync.central.forwarder import ForwarderConfig, store_forwarder
from sync.central.retention import (
    RetentionConfig,
    RetentionConfigError,
    apply_retention,
)
from sync.central.store import StoredRecord
from tests.support.backoffice import BackOffice
from tests.support.sync import KEY_ID, central_kit, device_kit

pytestmark = pytest.mark.timeout(120)
central_db = sync_support.central_db  # fixture

RESIDENT = load_profile("ordinary")  # the demo's simulated card holder
NAME, ADDRESS = RESIDENT.holder_name, RESIDENT.address
KANA = "ヤマダ ハナコ"
PHONE = "0532-51-2111"
PERSONAL = (NAME, KANA, ADDRESS, PHONE)
DAY = 86400.0


def _rows(records):
    return [
        StoredRecord(r.seq, r.record_hash, r.header.prev_hash, r.header.record_id, r.header.kind,
                     r.header.created_at, r.header_bytes, r.ciphertext)
        for r in records
    ]  # fmt: skip


def _resident_visits(tmp_path, db):
    """The demo resident's records, sealed on a device, committed and opened centrally."""
    central = central_kit()
    kit = device_kit(tmp_path, central, "kita-01")
    values = {"name": NAME, "name_kana": KANA, "address": ADDRESS, "phone": PHONE}
    kit.outbox.append("application", {"procedure": "moving_in", "catalog_version": 3,
                      "language": "ja", "submitted_at": 1.0, "values": values,
                      "corrected": ["address"]})  # fmt: skip
    kit.outbox.append("certificate_request", {"certificate": "resident_record", "copies": 1,
                      "purpose": "work", "claim": "verify_card_at_counter", "note": NAME})  # fmt: skip
    kit.outbox.append("booking", {"topic": "tax", "slot": "tax_1", "name": NAME, "phone": PHONE})
    kit.outbox.append("shelter_checkin", {"procedure": "shelter_checkin", "values": values})
    kit.outbox.append("survey", {"service": "certificate", "score": 9})
    store = open_store(db)
    store.commit_batch(kit.device_id, _rows(kit.outbox.records_from(1, 10, 1 << 30)))
    processor = Processor(lambda: open_store(db), {KEY_ID: central.sealing_key})
    assert processor.run_once() == 5
    kit.outbox.close()
    return store


def _database_text(db: str) -> str:
    """Everything the database holds, as text: the SQLite file and its WAL byte for byte, or
    every PostgreSQL table row by row."""
    if db.startswith("postgresql://"):
        with psycopg.connect(db) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]  # fmt: skip
            return "\n".join(
                str(row) + repr(bytes(row[1]) if row[1] else b"")
                for t in tables
                for row in conn.execute(f"SELECT t::text, NULL::bytea FROM {t} t")
            )
    blobs = [p.read_bytes() for p in Path(db).parent.glob(Path(db).name + "*")]
    return "\n".join(b.decode("utf-8", errors="replace") for b in blobs)


def _found(db: str) -> list[str]:
    text = _database_text(db)
    return [p for p in PERSONAL if p in text]


def test_personal_data_is_gone_after_forwarding_and_retention(tmp_path, central_db):
    store = _resident_visits(tmp_path, central_db)
    config = RetentionConfig(retention_days=30)
    try:
        assert set(_found(central_db)) == set(PERSONAL)  # the grep sees them while they are due
        # within the period nothing goes; past it, only what was forwarded (or never is)
        assert apply_retention(store, config, clock=lambda: time.time() + 29 * DAY) == 0
        later = time.time() + 31 * DAY
        assert apply_retention(store, config, clock=lambda: later) == 1  # shelter check-in
        assert NAME in _database_text(central_db)  # the application waits for the back office
        with BackOffice() as office:
            for kind in ("application", "certificate_request", "booking"):
                forwarder, _source = store_forwarder(ForwarderConfig(url=office.url), store, kind)
                assert forwarder.drain() == 1
                forwarder.stop()
        assert len(office.stored) == 3
        bodies = [b[0] for b in office.stored.values()]
        assert any(NAME in json.dumps(b, ensure_ascii=False) for b in bodies)  # the city has it
        # a queued certificate request reaches the back office as a claim to verify
        [claim] = [b for b in bodies if b["kind"] == "certificate_request"]
        assert claim["claim"] == "verify_card_at_counter"
        assert all("claim" not in b for b in bodies if b["kind"] != "certificate_request")
        store.close()
        result = CliRunner().invoke(
            _central_cli(), ["retain", "--db", central_db, "--json"], catch_exceptions=False
        )
        assert result.exit_code == 0 and json.loads(result.stdout)["purged"] == 0  # too soon
        store = open_store(central_db)
        assert apply_retention(store, config, clock=lambda: later) == 3
        assert apply_retention(store, config, clock=lambda: later) == 0  # once
        assert _found(central_db) == []
        # what the reports need stays: counts, catalog ids, times, and the hash of each body
        assert store.count("applications") == 1 and store.count("shelter_checkins") == 1
        [app] = store.opened("application")
        kept = json.loads(app[5])
        assert kept["procedure"] == "moving_in" and kept["submitted_at"] == 1.0
        assert set(kept) == {"procedure", "catalog_version", "language", "submitted_at", "$purged"}
        assert len(kept["$purged"]["sha256"]) == 64
        [cert] = store.opened("certificate_request")
        assert json.loads(cert[5])["claim"] == "verify_card_at_counter"
        [survey] = store.opened("survey")  # anonymous: untouched
        assert json.loads(survey[5]) == {"service": "certificate", "score": 9}
        # the sealed bodies of purged records are gone too; headers and hashes stay
        assert _ciphertext_lengths(central_db) == {
            "application": 0, "booking": 0, "certificate_request": 0, "shelter_checkin": 0,
            "survey": _ciphertext_lengths(central_db)["survey"],
        }  # fmt: skip
        assert _ciphertext_lengths(central_db)["survey"] > 0
        assert store.device_state("kita-01").committed_seq == 5
    finally:
        store.close()


def _ciphertext_lengths(db: str) -> dict[str, int]:
    sql = "SELECT kind, length(ciphertext) FROM records"
    if db.startswith("postgresql://"):
        with psycopg.connect(db) as conn:
            return {k: int(n) for k, n in conn.execute(sql)}
    conn = sqlite3.connect(db)
    try:
        return {k: int(n) for k, n in conn.execute(sql)}
    finally:
        conn.close()


def _central_cli():
    from sync.central._cli import central

    return central


def test_the_hash_kept_is_the_hash_of_the_opened_body(tmp_path):
    db = str(tmp_path / "central.db")
    store = _resident_visits(tmp_path, db)
    try:
        [row] = store.opened("shelter_checkin")
        before = hashlib.sha256(row[5].encode("utf-8")).hexdigest()
        assert apply_retention(store, RetentionConfig(0), clock=lambda: time.time() + 1) == 1
        [row] = store.opened("shelter_checkin")
        assert json.loads(row[5])["$purged"]["sha256"] == before
    finally:
        store.close()


def test_retain_reads_retention_days_from_the_central_config(tmp_path):
    db = str(tmp_path / "central.db")
    _resident_visits(tmp_path, db).close()
    config = tmp_path / "central.toml"
    config.write_text("[retention]\nretention_days = 0\nforwarded_kinds = []\n")
    assert load_retention_config(config) == RetentionConfig(0, ())
    result = CliRunner().invoke(
        _central_cli(), ["retain", "--db", db, "--config", str(config), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"purged": 4, "retention_days": 0}
    assert _found(db) == []


BAD_CONFIGS = [  # (test id, file content, the error says)
    ("days as text", '[retention]\nretention_days = "30"\n', "retention_days must be a number"),
    ("days negative", "[retention]\nretention_days = -1\n", "between 0 and 3650"),
    ("days huge", "[retention]\nretention_days = 99999\n", "between 0 and 3650"),
    ("days bool", "[retention]\nretention_days = true\n", "retention_days must be a number"),
    ("unknown key", "[retention]\nretention_day = 3\n", "unknown key: retention_day"),
    ("unknown kind", '[retention]\nforwarded_kinds = ["passport"]\n', "unknown record kind"),
    ("kinds not a list", '[retention]\nforwarded_kinds = "application"\n', "list of record"),
    ("section not a table", "retention = 3\n", "[retention] must be a table"),
    ("not TOML", "[retention\n", "central config unreadable"),
]


@pytest.mark.parametrize(("name", "content", "says"), BAD_CONFIGS, ids=[b[0] for b in BAD_CONFIGS])
def test_a_bad_retention_config_is_one_clear_error(tmp_path, name, content, says):
    config = tmp_path / "central.toml"
    config.write_text(content)
    with pytest.raises(RetentionConfigError) as caught:
        load_retention_config(config)
    assert says in str(caught.value)
    db = str(tmp_path / "central.db")
    result = CliRunner().invoke(_central_cli(), ["retain", "--db", db, "--config", str(config)])
    assert result.exit_code != 0 and not (tmp_path / "central.db").exists()  # nothing touched


def test_a_missing_config_file_is_one_clear_error(tmp_path):
    with pytest.raises(RetentionConfigError, match="not found"):
        load_retention_config(tmp_path / "nope.toml")
