"""Staff mode by touch in the real app: the staff gesture, the PIN, the diagnostics screen over
the real parts (test pcscd's reader, test cupsd's queue, the sealed outbox, the agent's status
file), and assisting a resident (banner, longer idle timeout, metrics marked, wiped with the
session). After a resident's session, the diagnostics screen holds counts, never their data."""

from __future__ import annotations

import re

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from devices.card import CardReader  # noqa: E402
from kiosk.services import DiagnosticsAdapter  # noqa: E402
from madoguchi import __version__  # noqa: E402
from sync.agent import AgentStatus, write_status  # noqa: E402
from tests.support.kiosk_driver import CARD_VALUES, personal_strings, place_card  # noqa: E402


@pytest.fixture
def staff_ui(kiosk_ui, tmp_path):
    """The journeys' kiosk plus the real diagnostics adapter and a fresh agent status file."""
    import time

    ui = kiosk_ui
    status = tmp_path / "agent.json"
    write_status(
        status,
        AgentStatus(
            state="connected",
            connected=True,
            last_success_at=time.time() - 120,
            reconnects=1,
            catalog_version=1,
            updated_at=time.time(),
        ),
    )
    ui.session.ports.diagnostics = DiagnosticsAdapter(
        card_reader=CardReader(ui.reader),
        printer=ui.session.ports.printer.printer,
        outbox=ui.outbox,
        agent_status_path=status,
        center_name="東部地域センター",
        city_name="豊橋市",
    )
    return ui


def _outbox_line(ui) -> str:
    stats = ui.outbox.stats()
    return ui.app.tr(
        "{n} records waiting; last seq {seq}, last acked {acked}",
        n=stats.pending,
        seq=stats.last_seq,
        acked=stats.last_acked_seq,
    )


def _diagnostics_texts(ui) -> str:
    from kiosk.ui import iter_widgets, text_of

    screen = next(s for s in ui.root.cached_screens if s.name == "staff_diagnostics")
    return "\n".join(t for t in (text_of(w) for w in iter_widgets(screen)) if t)


def test_diagnostics_by_touch(staff_ui):
    ui = staff_ui
    ui.enter_staff()
    ui.tap("staff_diagnostics")
    assert ui.step == "staff_diagnostics"
    assert ui.text("diag_device").startswith("C01") and "東部地域センター" in ui.text("diag_device")
    assert __version__ in ui.text("diag_software")
    assert ui.reader in ui.text("diag_reader")
    assert ui.text("diag_reader").endswith(ui.app.tr("No card in the reader"))
    printers = ui.text("diag_printers")
    assert ui.queue in printers and ui.app.tr("Receipt printer") in printers
    assert ui.app.tr("Failed prints waiting: {n}", n=0) in printers
    assert ui.text("diag_outbox") == _outbox_line(ui)
    assert re.search(r"\d+\.\d GB|\d+ MB", ui.text("diag_disk"))
    sync = ui.text("diag_sync")
    assert ui.app.tr("Sync agent: {state}", state="connected") in sync
    assert ui.app.tr("Last sync: {time}", time="").strip() in sync
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · ", ui.text("diag_clock"))
    # A printer problem shows after "refresh", in the warning style.
    import subprocess

    subprocess.run(["cupsdisable", "-h", ui.cups.server, ui.queue], check=True, timeout=30)
    try:
        ui.tap("diagnostics_refresh")
        assert "paused" in ui.text("diag_printers")
        assert ui.root.find("diag_printers").style == "warn"
        assert ui.root.find("diag_outbox").style == "body"
    finally:
        subprocess.run(["cupsenable", "-h", ui.cups.server, ui.queue], check=True, timeout=30)
    ui.tap("diagnostics_back")
    assert ui.step == "staff_menu"
    ui.tap("staff_exit")
    assert ui.step == "home" and ui.session.diagnostics is None


def test_diagnostics_times_out_like_staff_mode(staff_ui):
    ui = staff_ui
    ui.enter_staff()
    ui.tap("staff_diagnostics")
    ui.advance(ui.session.config.staff_idle_timeout_s + 1)
    assert ui.step == "home"


def test_assist_banner_longer_timeout_and_marked_metrics(staff_ui):
    ui = staff_ui
    assert ui.text("assist_banner") == ""
    ui.enter_staff()
    ui.tap("staff_assist")
    assert ui.step == "home"
    banner = ui.root.find("assist_banner")
    assert banner.text == ui.app.tr("Staff assisting") and banner.height >= ui.app.target * 0.99
    ui.tap("lang_en")  # the resident's language; the banner follows it
    assert ui.text("assist_banner") == "Staff assisting"
    ui.tap("life_events")
    ui.advance(61)
    assert ui.step == "life_events"  # alone, the resident would be asked "still there?" now
    ui.advance(240)
    assert ui.step == "still_there"
    ui.tap("continue")
    assert ui.step == "life_events" and ui.text("assist_banner")
    ui.tap("back")  # home: the service ends (its metric); the same resident goes on
    ui.tap("queue")
    assert ui.step == "queue_ticket"
    ui.tap("next")
    ui.tap("skip")
    assert ui.step == "home" and ui.text("assist_banner") == "" and not ui.session.assisted
    metrics = ui.records("metric")
    assert [m["service"] for m in metrics] == ["life_event", "queue"]
    assert all(m["assisted"] is True for m in metrics)
    # The next resident is on their own again: the normal idle timeout.
    ui.tap("life_events")
    ui.advance(61)
    assert ui.step == "still_there"


def test_card_pulled_ends_the_assist(staff_ui):
    ui = staff_ui
    ui.enter_staff()
    ui.tap("staff_assist")
    ui.open_procedure("moving_in")
    card = place_card(ui).insert()
    try:
        assert ui.until(lambda: ui.step == "pin_entry")
        assert ui.text("assist_banner")
        card.remove()
        assert ui.until(lambda: ui.step == "home")
        ui.frames(2)
        assert ui.text("assist_banner") == "" and not ui.session.assisted
    finally:
        card.remove()


def test_diagnostics_after_a_resident_holds_counts_only(staff_ui):
    """A resident submits an application; then staff open diagnostics: nothing of the card, the
    form or the reference number is in the screen's widgets (nor anywhere in the tree)."""
    ui = staff_ui
    ui.open_procedure("seal_registration_cancel")
    with place_card(ui):
        ui.enter_pin()
        assert ui.step == "form_confirm"
        personal = personal_strings(ui)
        assert any(v in ui.screen_texts() for v in CARD_VALUES)
        ui.fill_required()
        ui.tap("confirm")
        assert ui.step == "done"
        reference = ui.text("reference")
        ui.tap("next")
        ui.tap("skip")
    assert ui.step == "home"
    ui.enter_staff()
    ui.tap("staff_diagnostics")
    texts = _diagnostics_texts(ui)
    for value in (*personal, *CARD_VALUES, reference, reference.rsplit("-", 1)[0]):
        assert value not in texts
    assert not any(p and p in ui.screen_texts() for p in (*personal, reference))
    # Counts: the application, its metric and the survey's wipe metric are records waiting.
    assert ui.outbox.stats().pending >= 2
    assert ui.text("diag_outbox") == _outbox_line(ui)
