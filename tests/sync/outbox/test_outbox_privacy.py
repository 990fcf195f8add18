"""Privacy: after appending records that carry known names, addresses, birth dates and My Numbers,
no SQLite file of the outbox (main, -wal, -shm) and no log line holds any of them in plaintext."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.outbox import Outbox, OutboxConfig
from sync.sealing import open_record

CENTRAL = X25519PrivateKey.generate()

RESIDENTS = [
    {
        "name": "山田 太郎",
        "kana": "ヤマダ タロウ",
        "address": "東京都千代田区千代田一丁目1番1号",
        "birth": "19800401",
        "my_number": "123456789018",
    },
    {
        "name": "𠮷野 花子",  # a name outside the BMP
        "kana": "ヨシノ ハナコ",
        "address": "大阪府大阪市北区中之島一丁目3番20号 ハイツ中之島 1203号室",
        "birth": "19521231",
        "my_number": "987654321098",
    },
    {
        "name": "NGUYEN VAN AN",
        "kana": "グエン ヴァン アン",
        "address": "Aichi-ken Nagoya-shi Naka-ku Sannomaru 3-1-1",
        "birth": "20010915",
        "my_number": "555566667777",
    },
]


def _texts() -> list[str]:
    """Whole values plus fragments (surname, start of the address)."""
    out = []
    for r in RESIDENTS:
        out += list(r.values())
        out.append(r["name"].split()[0])
        out.append(r["address"][:8])
    return out


def _needles() -> list[bytes]:
    needles = []
    for text in _texts():
        needles += [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")]
    return needles


def _files(path):
    names = (path.name, path.name + "-wal", path.name + "-shm")
    return [path.with_name(n) for n in names if path.with_name(n).exists()]


def _scan(path, logs: str) -> list[str]:
    hits = []
    for f in _files(path):
        data = f.read_bytes()
        hits += [f"{f.name}: {n!r}" for n in _needles() if n in data]
    hits += [f"log: {t}" for t in _texts() if t in logs]
    return hits


@pytest.fixture
def log_text(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_scanner_finds_plaintext(tmp_path):
    """Positive control: the same scan finds every value in a plain SQLite file and in logs."""
    path = tmp_path / "plain.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (v TEXT)")
    db.executemany("INSERT INTO t VALUES (?)", [(t,) for t in _texts()])
    db.commit()
    db.close()
    hits = _scan(path, " ".join(_texts()))
    assert len(hits) == 2 * len(_texts())  # each text once in the file (utf-8), once in logs


def test_no_plaintext_in_outbox_files_or_logs(tmp_path, log_text):
    path = tmp_path / "outbox.db"
    with Outbox(
        OutboxConfig(path, reserve_bytes=0, retention_s=0), "kiosk-01", CENTRAL.public_key(), "s"
    ) as ob:
        for i in range(40):
            r = RESIDENTS[i % len(RESIDENTS)]
            ob.append("application", {"procedure": "moving-in", "resident": r, "pad": "." * i})
            ob.append("shelter_checkin", {"name": r["name"], "address": r["address"]})
        ob.mark_sent(up_to=30)
        ob.mark_acked(20)
        ob.stats()
        ob.verify()
        # while open: main file, WAL and shared memory all present, readable by the owner only
        assert len(_files(path)) == 3
        assert all(f.stat().st_mode & 0o077 == 0 for f in _files(path))
        assert _scan(path, log_text.text) == []
        # the device itself cannot read back, but the central key opens them all
        batch = ob.records_from(1, 100, 10**7)
        assert open_record(batch[0], CENTRAL)["resident"] == RESIDENTS[0]
        ob.prune(now=1e12)
    assert _scan(path, log_text.text) == []  # after the closing checkpoint, too
    assert log_text.records  # the outbox did log (seqs and counts only)
