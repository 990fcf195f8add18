"""`madoguchi print-test` prints a test document through a real cupsd and reports the state;
a failure is one line and exit code 1."""

import json

from click.testing import CliRunner
from pypdf import PdfReader

from madoguchi.cli import cli


def test_print_test_receipt_reaches_the_printer(cups_server, capture_queue):
    queue, listener = capture_queue
    result = CliRunner().invoke(
        cli,
        [
            "print-test",
            "--role",
            "receipt",
            "--server",
            cups_server.server,
            "--queue",
            queue,
            "--language",
            "en",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["job_state"] == "completed" and outcome["queue"] == queue
    assert outcome["accepting"] is True and outcome["reasons"] == []
    pdf = listener.wait_for_jobs(1, timeout=30)[0]
    assert len(pdf) == outcome["bytes"]
    import io

    assert "Test print" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_print_test_on_a_missing_queue_is_one_line_and_exit_1(cups_server):
    result = CliRunner().invoke(
        cli, ["print-test", "--server", str(cups_server.socket_path), "--queue", "nope"]
    )
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "Traceback" not in result.output
