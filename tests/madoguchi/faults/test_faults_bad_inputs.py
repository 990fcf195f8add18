"""Bad inputs of the fault harness (docs/bad-inputs.md, "Fault harness"): a torn receipt log, a
central store or outbox file that is not a database, a restore without a recorded cut, a second
power-cut VFS in one process. Each gives a clear error or a counted verdict; nothing is lost."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from madoguchi.faults import CheckerError, PowerCutError
from madoguchi.faults.checker import check, read_receipts
from madoguchi.faults.powercut import restore_images

RECEIPT = (
    '{"device": "k", "seq": 1, "record_id": "r", "kind": "survey", "nonce": "n", "digest": "d"}'
)


def test_torn_and_foreign_receipt_lines_are_skipped(tmp_path):
    log = tmp_path / "receipts.jsonl"
    log.write_text(RECEIPT + "\n[1, 2]\n" + RECEIPT[:30])  # a list, then a line cut mid-print
    assert read_receipts(log) == [
        {"device": "k", "seq": 1, "record_id": "r", "kind": "survey", "nonce": "n", "digest": "d"}
    ]
    assert read_receipts(tmp_path / "missing.jsonl") == []


def test_central_store_that_is_not_a_database_is_a_checker_error(tmp_path):
    db = tmp_path / "central.db"
    db.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CheckerError, match="cannot read the central store"):
        check([], str(db), [], {"k": X25519PrivateKey.generate()})


def test_outbox_that_is_not_a_database_is_counted_damaged(tmp_path):
    outbox = tmp_path / "outbox.sqlite3"
    outbox.write_bytes(b"\x00garbage" * 1000)
    receipts = read_receipts(tmp_path / "none.jsonl") + [
        {"device": "k", "seq": 1, "record_id": "r", "nonce": "n", "digest": "d"}
    ]
    verdict = check(receipts, str(tmp_path / "central.db"), [outbox], {})
    assert verdict.damaged_files == 1 and verdict.lost == 1 and not verdict.ok


def test_restore_without_a_recorded_cut_is_refused(tmp_path):
    (tmp_path / "images" / "files").mkdir(parents=True)
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "outbox.sqlite3").write_bytes(b"kept")
    with pytest.raises(PowerCutError, match="no power cut recorded"):
        restore_images(tmp_path / "root", tmp_path / "images")
    assert (tmp_path / "root" / "outbox.sqlite3").read_bytes() == b"kept"  # nothing touched


def test_second_power_cut_vfs_in_one_process_is_refused(tmp_path):
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from madoguchi.faults import PowerCutError\n"
        "from madoguchi.faults.powercut import PowerCutVfs\n"
        "PowerCutVfs.install(Path(sys.argv[1]), cut_at=None, image_dir=Path(sys.argv[1]) / 'i')\n"
        "try:\n"
        "    PowerCutVfs.install(Path(sys.argv[1]), cut_at=None, image_dir=Path(sys.argv[1]))\n"
        "except PowerCutError as e:\n"
        "    print('refused:', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, timeout=60, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "refused: a power-cut VFS is already installed" in out.stdout
