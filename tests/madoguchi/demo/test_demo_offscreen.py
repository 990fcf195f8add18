"""`madoguchi demo` without a display, end to end: every real part comes up, the scripted
resident's visit goes through the simulated card, cupsd, the sealed outbox, the agent and the
central issuer, every record reaches the central store, a video consultation is held with the
console, and no personal data is in the logs."""

import json
import os
import subprocess
import sys

import pytest

HOLDER = ("山田", "花子", "千代田1番1号", "1985-04-01", "19850401")


@pytest.mark.timeout(900)
def test_offscreen_demo_reaches_the_central_store(tmp_path):
    out = tmp_path / "demo-out"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "demo", "--offscreen", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=850,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)  # stdout is exactly one JSON object

    visit = summary["visit"]
    assert visit["reference"].startswith("demo-center-01-")
    assert visit["receipt_printed"] is True
    assert visit["certificate"] == "certificate_printed"  # issued online by the central issuer
    assert "moving_in" in visit["checklist"]

    agent = summary["agent"]
    assert agent["acked_seq"] == summary["outbox_last_seq"] > 0
    [device] = summary["central"]["devices"]
    assert device["device_id"] == "demo-center-01"
    assert device["committed_seq"] == summary["outbox_last_seq"]
    assert summary["central"]["events"] == [] and summary["central"]["quarantine"] == {}

    # After the visit the print server keeps no document and nothing of the holder; its job
    # history (which the search reads: the control finds a job title there) names kinds only.
    audit = summary["print_server"]
    assert audit["document_files_left"] == 0
    assert audit["files_with_personal_data"] == 0
    assert audit["files_with_a_job_title"] > 0

    prints = sorted((out / "prints").glob("*.pdf"))
    assert len(prints) >= 3 and all(p.read_bytes().startswith(b"%PDF") for p in prints)
    # The demo's city has no mayor and no seal: its certificate must say it is a sample (見本).
    from pypdf import PdfReader

    documents = [p for p in prints if "document" in p.name]
    assert documents
    for document in documents:
        text = "".join(page.extract_text() for page in PdfReader(document).pages)
        assert "見本" in text and "証明書としての効力はありません" in text, document.name
    assert summary["screenshots"] > 0

    # The consultation console serves over the demo's store (a person opens it with a display),
    # and, where namespaces can be made, a real call: accepted, chat both ways, the form shown,
    # ended by the specialist, one record in the store (no media, no chat kept).
    assert summary["consult_console"]["login_page"] == 200
    assert summary["consult_console"]["url"].startswith("http://127.0.0.1:")
    call = summary["consultation"]
    if os.geteuid() != 0:
        assert "root" in call["skipped"]
    else:
        assert "skipped" not in call, call
        assert call["caption"] == "demo-specialist（specialist）"
        assert call["chat_lines"] == 2 and call["form_shown"]
        assert call["record"]["total"] == 1 and call["record"]["by_topic"] == {"general": 1}
        assert call["record"]["by_ended_by"] == {"console": 1}
        assert (out / call["console_screenshot"]).stat().st_size > 10_000

    logs = "\n".join(p.read_text(errors="replace") for p in (out / "logs").glob("*.log"))
    for secret in HOLDER:
        assert secret not in logs, secret
        assert secret not in result.stderr, secret
