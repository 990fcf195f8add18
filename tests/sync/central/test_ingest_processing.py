"""Poison sealed bodies: an authenticated body that cannot be parsed or bounded is quarantined with
its reason, the records after it are opened, a restart does not stop on it, and `central report`
shows quarantine counts per device and reason. On SQLite and PostgreSQL."""

import json

import cbor2
import pytest
from click.testing import CliRunner

import tests.support.sync as sync_support
from madoguchi.cli import cli
from sync.central import Processor, open_store
from sync.central.processing import ProcessingConfig
from sync.central.receiver_chain import verify_batch
from tests.support.sync import KEY_ID, central_kit, device_kit

central_db = sync_support.central_db  # fixture


def _nested(depth: int) -> list:
    value: list = [1]
    for _ in range(depth):
        value = [value]
    return value


# (name, body sealed by the device, reason it is quarantined with; None: opened)
POISON = [
    ("cyclic", {"a": cbor2.CBORTag(28, {"self": cbor2.CBORTag(29, 0)})}, "bad_body"),
    ("sharing", {"a": cbor2.CBORTag(28, [1, cbor2.CBORTag(29, 0)])}, "bad_body"),
    ("too deep", {"a": _nested(18)}, "bad_body"),
    ("bytes key", {"a": {b"k": 1}}, "bad_body"),
    ("set tag", {"a": cbor2.CBORTag(258, [1, 2])}, "bad_body"),
    ("huge", {"a": "x" * 5000}, "body_too_large"),
    ("plain", {"a": 1, "score": 7}, None),
]


def _store_all(kit, db) -> None:
    records = kit.outbox.records_from(1, 1000, 1 << 30)
    rows, _ = verify_batch([(r.header_bytes, r.ciphertext) for r in records], 1, kit.device_id)
    store = open_store(db)
    try:
        store.commit_batch(kit.device_id, rows)
    finally:
        store.close()


@pytest.fixture
def poisoned(tmp_path, central_db):
    central = central_kit()
    kit = device_kit(tmp_path, central)
    for _, body, _ in POISON:
        kit.outbox.append("survey", body)
    kit.outbox.append("survey", {"after": True})  # behind every poison record
    _store_all(kit, central_db)
    return central, kit, central_db


def test_poison_bodies_are_quarantined_and_processing_goes_on(poisoned):
    central, kit, db = poisoned
    config = ProcessingConfig(max_body_chars=4000)
    processor = Processor(lambda: open_store(db), {KEY_ID: central.sealing_key}, config)
    try:
        assert processor.drain() == len(POISON) + 1
        store = processor.store
        got = {seq: reason for _, seq, reason in store.quarantined()}
        want = {i + 1: reason for i, (_, _, reason) in enumerate(POISON) if reason}
        assert got == want
        assert store.count("surveys") == 2  # "plain" and the record after every poison one
        assert store.lag()[0] == 0
        assert processor.quarantined == len(want)
        assert store.quarantined_bytes(kit.device_id) == 0  # not the ack path's quota
    finally:
        processor.stop()


def test_restart_does_not_stop_on_a_poison_record(poisoned):
    central, kit, db = poisoned
    config = ProcessingConfig(chunk=1, max_body_chars=4000)
    first = Processor(lambda: open_store(db), {KEY_ID: central.sealing_key}, config)
    try:
        assert first.run_once() == 1  # the cyclic body: quarantined, not raised
    finally:
        first.stop()
    again = Processor(lambda: open_store(db), {KEY_ID: central.sealing_key}, config)
    try:
        assert again.drain() == len(POISON)
        assert again.store.lag()[0] == 0
    finally:
        again.stop()


def test_report_counts_quarantine_per_device_and_reason(poisoned):
    central, kit, db = poisoned
    processor = Processor(
        lambda: open_store(db), {KEY_ID: central.sealing_key}, ProcessingConfig(max_body_chars=4000)
    )
    try:
        processor.drain()
    finally:
        processor.stop()
    result = CliRunner().invoke(cli, ["central", "report", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    per_device = data["quarantine_by_device"][kit.device_id]
    assert per_device["bad_body"]["records"] == 5
    assert per_device["body_too_large"]["records"] == 1
    assert all(q["bytes"] > 0 for q in per_device.values())
    assert data["quarantine"] == {"bad_body": 5, "body_too_large": 1}
    text = CliRunner().invoke(cli, ["central", "report", "--db", db])
    assert f"quarantine   {kit.device_id} bad_body: 5" in text.output
