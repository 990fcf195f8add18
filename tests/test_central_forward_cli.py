"""`madoguchi central forward`: the forwarder as a command, against a real local back-office.
Every opened application arrives once with its record id as Idempotency-Key; a second run
sends nothing again (the ledger); a back-office that is down makes `--once` exit 1 with one line."""

import os
import subprocess
import sys

from backoffice_support import BackOffice, seed_applications


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
