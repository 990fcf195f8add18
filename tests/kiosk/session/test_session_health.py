"""The terminal's health reports (`device_health`) through `KioskSession` over the in-memory
ports and a manual clock: when they are made, what words they carry (and nothing else), a paper
run-out reported early but never in a flood, the outbox refusing one, and the setting's bounds."""

from __future__ import annotations

import json
import logging

import pytest

from kiosk.session import (
    KioskSession,
    PrinterRoleInfo,
    ReaderInfo,
    SessionConfig,
    SessionConfigError,
    Step,
)
from madoguchi import __version__

FIELDS = {
    "printer",
    "paper",
    "card_reader",
    "outbox_pending",
    "software_version",
    "catalog_version",
}


@pytest.fixture
def session(catalog, kit, clock):
    kit.diagnostics.wall_clock = clock
    config = SessionConfig(device_id="C09", health_interval_s=900)
    session = KioskSession(catalog, kit.ports(), config, clock=clock, wall_clock=clock)
    session.tick()  # the app's first tick, at start
    return session


def _reports(kit):
    return kit.outbox.of_kind("device_health")


def _run(session, clock, seconds, step=5):
    """Let `seconds` pass, ticking as the UI clock does (every `step` seconds)."""
    for _ in range(int(seconds // step)):
        clock.advance(step)
        session.tick()


def test_first_report_after_start_then_every_interval(session, kit, clock, catalog):
    session.tick()
    assert _reports(kit) == []  # not at the first tick: the kiosk is still starting
    _run(session, clock, 30)
    [body] = _reports(kit)
    assert set(body) == FIELDS
    assert body["printer"] == "ok" and body["paper"] == "ok" and body["card_reader"] == "ok"
    assert body["software_version"] == __version__
    assert body["catalog_version"] == str(catalog.version)
    assert body["outbox_pending"] == 0  # counted before this report was appended
    _run(session, clock, 890)
    assert len(_reports(kit)) == 1
    _run(session, clock, 10)
    assert len(_reports(kit)) == 2
    assert _reports(kit)[1]["outbox_pending"] == 1  # the first report waits to be sent


def test_paper_out_is_reported_early_but_not_in_a_flood(session, kit, clock):
    _run(session, clock, 30)
    assert len(_reports(kit)) == 1
    kit.printer.fail_with = ("media-empty-error",)
    kit.diagnostics.printer_roles = (
        PrinterRoleInfo("receipt", "receipt80", "stopped", True, ("media-empty-error",)),
        PrinterRoleInfo("document", "a4", "idle", True),
    )
    _run(session, clock, 55)  # the state change is seen, but the last report is < 60 s old
    assert len(_reports(kit)) == 1
    _run(session, clock, 10)
    assert len(_reports(kit)) == 2
    assert _reports(kit)[1]["paper"] == "empty"
    assert _reports(kit)[1]["printer"] == "ok"  # stopped for paper only: the paper word says it
    for _ in range(10):  # a printer that flaps for 100 s: at most one report a minute
        kit.printer.fail_with = () if kit.printer.fail_with else ("media-empty-error",)
        _run(session, clock, 10)
    assert len(_reports(kit)) == 3  # (the one at 60 s; the next no earlier than 120 s)


def test_no_report_while_the_resident_is_busy(session, kit, clock):
    session.step = Step.SUBMITTING  # a submission in flight: its worker must not wait for CUPS
    _run(session, clock, 60)
    assert _reports(kit) == []
    session.step = Step.HOME
    _run(session, clock, 5)
    assert len(_reports(kit)) == 1


@pytest.mark.parametrize(
    ("roles", "printer", "paper"),
    [
        ((("idle", True, ()),), "ok", "ok"),
        ((("idle", True, ("media-low-report",)),), "ok", "low"),
        ((("stopped", True, ("media-empty-error",)), ("idle", True, ())), "ok", "empty"),
        ((("stopped", True, ("media-needed",)),), "ok", "empty"),
        ((("stopped", True, ("media-jam-error",)),), "jam", "ok"),
        ((("idle", True, ()), ("stopped", False, ("offline-report",))), "offline", "ok"),
        ((("stopped", True, ("paused",)),), "error", "ok"),
        ((("stopped", False, ()),), "error", "ok"),
        ((("unknown", False, ("PrinterNotFoundError",)),), "missing", "ok"),
        ((), "missing", "ok"),
    ],
)
def test_printer_and_paper_words(session, kit, clock, roles, printer, paper):
    kit.diagnostics.printer_roles = tuple(
        PrinterRoleInfo(name, f"queue-{name}", state, accepting, reasons)
        for name, (state, accepting, reasons) in zip(("receipt", "document"), roles, strict=False)
    )
    _run(session, clock, 30)
    [body] = _reports(kit)
    assert (body["printer"], body["paper"]) == (printer, paper)


def test_failed_probes_are_error_words_and_names_never_leave(session, kit, clock):
    kit.diagnostics.reader = ReaderInfo(False, "")
    _run(session, clock, 30)
    assert _reports(kit)[0]["card_reader"] == "missing"
    kit.diagnostics.fail = {"printers": "CupsUnavailableError", "card_reader": "PcscError"}
    _run(session, clock, 900)
    body = _reports(kit)[1]
    assert body["printer"] == "error" and body["card_reader"] == "error" and "paper" not in body
    text = json.dumps(_reports(kit), ensure_ascii=False)
    for name in ("Virtual PCD", "receipt80", "a4", "東部", "豊橋", "Error", "C09"):
        assert name not in text  # no reader, queue, place, library or device names


def test_an_outbox_that_refuses_is_logged_and_tried_again(session, kit, clock, caplog):
    kit.outbox.full = True
    with caplog.at_level(logging.WARNING, logger="kiosk.session"):
        _run(session, clock, 30)
    assert _reports(kit) == []
    assert "device_health not recorded: PortOutboxFullError" in caplog.text
    kit.outbox.full = False
    _run(session, clock, 900)
    assert len(_reports(kit)) == 1
    assert session.step is Step.HOME and session.notice is None  # nothing shown to a resident


def test_interval_zero_never_reports(catalog, kit, clock):
    config = SessionConfig(device_id="C09", health_interval_s=0)
    session = KioskSession(catalog, kit.ports(), config, clock=clock, wall_clock=clock)
    _run(session, clock, 3600, step=60)
    assert _reports(kit) == []


@pytest.mark.parametrize("value", [-1, 86401])
def test_health_interval_out_of_range_is_refused_naming_it(value):
    with pytest.raises(SessionConfigError, match="health_interval_s"):
        SessionConfig(device_id="C09", health_interval_s=value)
