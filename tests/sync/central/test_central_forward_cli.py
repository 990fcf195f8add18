"""`madoguchi central forward`: the forwarder as a command, against a real local back-office.
Every opened application arrives once with its record id as Idempotency-Key; a second run
sends nothing again (the ledger); a back-office that is down makes `--once` exit 1 with one line;
queued certificate requests and bookings go too (by default), each POST naming its kind."""

import os
import subprocess
import sys

from tests.support.backoffice import BackOffice, seed_applications


def _forward(db, url, *extra, env=None):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "madoguchi.cli",
            "central",
            "forward",
            "--db",
            str(db),
            "--url",
            url,
            "--once",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_forward_once_delivers_each_application_once(tmp_path):
    db = tmp_path / "central.sqlite3"
    seed_applications(db, 5).close()
    with BackOffice(script=["500", "ok", "503"]) as office:
        first = _forward(
            db, office.url, "--token-env", "BACKOFFICE_TOKEN", env={"BACKOFFICE_TOKEN": "s3cret"}
        )
        assert first.returncode == 0, first.stderr
        again = _forward(
            db, office.url, "--token-env", "BACKOFFICE_TOKEN", env={"BACKOFFICE_TOKEN": "s3cret"}
        )
        assert again.returncode == 0, again.stderr
    assert len(office.stored) == 5
    assert all(len(bodies) == 1 for bodies in office.stored.values())
    assert sorted(office.stored) == sorted(
        b["record_id"] for bodies in office.stored.values() for b in bodies
    )
    assert "s3cret" not in first.stderr + again.stderr


def test_back_office_down_exits_1_with_one_line(tmp_path):
    db = tmp_path / "central.sqlite3"
    seed_applications(db, 2).close()
    with BackOffice() as office:
        url = office.url
    result = _forward(db, url, "--attempts", "2")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error:")
    assert "Traceback" not in result.stderr


def test_missing_token_variable_is_a_clear_error(tmp_path):
    db = tmp_path / "central.sqlite3"
    seed_applications(db, 1).close()
    result = _forward(db, "http://127.0.0.1:9/x", "--token-env", "NOT_SET_ANYWHERE")
    assert result.returncode == 1
    assert "NOT_SET_ANYWHERE" in result.stderr and "Traceback" not in result.stderr


def test_certificate_requests_and_bookings_are_forwarded_with_their_kind(tmp_path):
    db = tmp_path / "central.sqlite3"
    seed_applications(db, 2).close()
    seed_applications(db, 1, "certificate_requests", 3, {"certificate": "resident_record"}).close()
    seed_applications(db, 1, "bookings", 4, {"topic": "care", "callback": True}).close()
    seed_applications(db, 1, "surveys", 5, {"score": 9}).close()  # not for the back-office
    with BackOffice() as office:
        only = _forward(db, office.url, "--kind", "application")
        assert only.returncode == 0, only.stderr
        assert {b["kind"] for bodies in office.stored.values() for b in bodies} == {"application"}
        every = _forward(db, office.url)
        assert every.returncode == 0, every.stderr
    kinds = sorted(b["kind"] for bodies in office.stored.values() for b in bodies)
    assert kinds == ["application", "application", "booking", "certificate_request"]
    assert all(len(bodies) == 1 for bodies in office.stored.values())  # none sent twice
    request = next(
        b for bodies in office.stored.values() for b in bodies if b["kind"] == "certificate_request"
    )
    assert request["body"] == {"certificate": "resident_record"}
    assert "forwarded 4 record(s) in all" in every.stderr
