"""The real Kivy app, driven like a resident: taps on widgets found by their `kid`, with the
simulated My Number card behind the test pcscd (events from the real `CardWatcher`, handed to the
UI on Kivy's clock), the real sealed outbox, the test cupsd's capture queue and LocalState.
The session clock is advanced by the test; nothing sleeps except while waiting for pcscd."""

from __future__ import annotations

import io
import subprocess
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from devices.card import CardReader, CardWatcher, ScheduledObserver  # noqa: E402
from devices.card.simulator import SimulatedCard, default_test_ca  # noqa: E402
from devices.printer import Printer, PrinterConfig  # noqa: E402
from devices.printer.documents import DocumentRenderer  # noqa: E402
from kiosk.catalog import default_catalog  # noqa: E402
from kiosk.services import (  # noqa: E402
    CardReaderAdapter,
    LocalQueueAdapter,
    OnlineAdapter,
    OutboxAdapter,
    PrinterAdapter,
)
from kiosk.session import (  # noqa: E402
    KioskSession,
    NoticeCode,
    SessionConfig,
    SessionPorts,
    hash_staff_pin,
)
from sync.localstate import LocalState  # noqa: E402
from sync.outbox import Outbox, OutboxConfig  # noqa: E402
from sync.sealing import open_record  # noqa: E402

CENTRAL = X25519PrivateKey.generate()
STAFF_PIN = "864211"
STAFF_HASH = hash_staff_pin(STAFF_PIN, salt=b"x" * 16, iterations=1000)
# The "ordinary" simulator profile's resident (fictional), as the card's basic-4 hold it.
RESIDENT = ("山田 花子",)


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


class KioskUi:
    """The app in the test window plus the parts behind it; helpers that act like a resident."""

    def __init__(self, window, session, app, root, listener, outbox, clock) -> None:
        self.window, self.session, self.app, self.root = window, session, app, root
        self.listener, self.outbox, self.clock = listener, outbox, clock

    def frames(self, n: int = 2) -> None:
        from kivy_support import frames

        frames(n)

    def tap(self, kid: str) -> None:
        import os

        t0 = time.perf_counter()
        try:
            self._tap(kid)
        finally:
            if os.environ.get("UI_TAP_TIMES"):
                print(f"TAP {kid} {(time.perf_counter() - t0) * 1000:.0f} ms")

    def _tap(self, kid: str) -> None:
        from kivy_support import tap

        from kiosk.ui.widgets import is_shown

        self.frames(1)  # lay out whatever the last event changed
        widget = self.root.find(kid)
        assert widget is not None, f"no {kid!r} on {self.root.step}: {self.root.kids()[:40]}"
        assert is_shown(widget), f"{kid!r} is not tappable"
        if _in_scroll_view(widget):
            _scroll_view(widget).scroll_to(widget, padding=10, animate=False)  # a resident swipes
            self.frames(2)
        tap(widget)
        if _in_scroll_view(widget):
            # A ScrollView hands a short tap to its children only after its scroll timeout
            # (it must first rule out a swipe): run frames until then, as a real panel would.
            deadline = time.monotonic() + widget_scroll_timeout(widget) / 1000 + 0.1
            while time.monotonic() < deadline:
                self.frames(1)
                time.sleep(0.01)

    def type(self, keyboard: str, keys: str) -> None:
        for key in keys:
            self.tap(f"{keyboard}_key_{key}")

    def open_procedure(self, procedure_id: str) -> None:
        """Home → procedures → this one → start (then the kiosk asks for the card)."""
        self.tap("procedures")
        self.tap(f"proc_{procedure_id}")
        self.tap("start")

    def enter_pin(self, pin: str = "1234") -> None:
        """Once the card is placed: wait for the PIN screen, type the PIN, press OK."""
        assert self.until(lambda: self.step == "pin_entry")
        self.type("pin", pin)
        self.tap("pin_key_OK")

    def fill_required(self, digit: str = "5") -> None:
        """On the form: type `digit` into each required field the card left empty."""
        for fv in self.session.form.values:
            if not fv.value and fv.spec.required:
                self.tap(f"fix_{fv.name}")
                self.type("kb_numeric", digit)
                self.tap("kb_numeric_key_OK")

    def enter_staff(self) -> None:
        """The staff gesture, the staff PIN, OK: the staff menu."""
        self.tap("staff")
        assert self.step == "staff_pin"
        self.type("pin", STAFF_PIN)
        self.tap("pin_key_OK")
        assert self.step == "staff_menu"

    def text(self, kid: str) -> str:
        widget = self.root.find(kid)
        assert widget is not None, kid
        return widget.text

    def until(self, condition, timeout: float = 20.0) -> bool:
        """Run Kivy frames until `condition()` (card events arrive from pcscd in real time)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.frames(1)
            if condition():
                return True
            time.sleep(0.02)
        return False

    @property
    def step(self) -> str:
        return self.root.step

    def advance(self, seconds: float) -> None:
        self.clock[0] += seconds
        self.session.tick()
        self.frames(2)

    def records(self, kind: str) -> list[dict]:
        out = []
        for record in self.outbox.records_from(1, 100, 10_000_000):
            if record.header.kind == kind:
                out.append(open_record(record, CENTRAL))
        return out

    def screen_texts(self) -> str:
        """Every text in every widget of the frame and of every screen built so far."""
        from kiosk.ui import iter_widgets, text_of

        parts = [text_of(w) for w in iter_widgets(self.root)]
        for screen in self.root.cached_screens:
            parts += [text_of(w) for w in iter_widgets(screen)]
        return "\n".join(p for p in parts if p)


def _scroll_view(widget):
    from kivy.uix.scrollview import ScrollView

    w = widget.parent
    while w is not None and w is not w.parent:
        if isinstance(w, ScrollView):
            return w
        w = w.parent
    return None


def _in_scroll_view(widget) -> bool:
    return _scroll_view(widget) is not None


def widget_scroll_timeout(widget) -> float:
    return float(_scroll_view(widget).scroll_timeout)


@pytest.fixture
def kiosk_ui(kivy_window, pcsc, cups_server, capture_queue, renderer, tmp_path):
    from kiosk.app import build_app, kivy_scheduler
    from kiosk.ui._walk import mount, unmount

    queue, listener = capture_queue
    printer = Printer(
        PrinterConfig(
            server=str(cups_server.socket_path), queues={"receipt": queue, "document": queue}
        )
    )
    adapter = PrinterAdapter(printer, renderer, city_name="豊橋市", center_name="東部地域センター")
    adapter.queue = queue
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0), "C01", CENTRAL.public_key(), "s1"
    ).open()
    state = LocalState(tmp_path / "local.db")
    reader = pcsc.reader_name(0)
    ports = SessionPorts(
        card=CardReaderAdapter(CardReader(reader)),
        outbox=OutboxAdapter(outbox),
        printer=adapter,
        queue=LocalQueueAdapter(state, today=lambda: "2026-11-29"),
    )
    clock = [1000.0]
    session = KioskSession(
        default_catalog(),
        ports,
        SessionConfig(device_id="C01", staff_pin_hash=STAFF_HASH, online_timeout_s=0.5),
        clock=lambda: clock[0],
    )
    app = build_app(session, tick_interval_s=None)
    root = mount(app, kivy_window)
    watcher = CardWatcher(ScheduledObserver(session, kivy_scheduler()), reader).start()
    ui = KioskUi(kivy_window, session, app, root, listener, outbox, clock)
    ui.reader, ui.pcsc, ui.queue, ui.cups = reader, pcsc, queue, cups_server
    ui.frames(2)
    yield ui
    session.wipe()
    watcher.stop()
    unmount(app, kivy_window)
    state.close()
    outbox.close()


def _card(ui, profile: str = "ordinary") -> SimulatedCard:
    return SimulatedCard(profile, port=ui.pcsc.vpcd_port, reader_name=ui.reader)


def _fill_moving_in_form(ui) -> None:
    """The asked fields of 転入届, typed on the on-screen keyboards."""
    ui.tap("fix_name_kana")
    ui.type("kb_kana", "やまた")
    ui.tap("kb_kana_key_゛")  # た → だ
    ui.tap("kb_kana_key_KANA")  # katakana from here on
    ui.type("kb_kana", "はなこ")
    assert ui.text("edit_value") == "やまだハナコ"
    ui.tap("kb_kana_key_OK")
    for field, digits in (("new_chome", "3"), ("new_lot", "12"), ("household_size", "2")):
        ui.tap(f"fix_{field}")
        ui.type("kb_numeric", digits)
        ui.tap("kb_numeric_key_OK")
    ui.tap("fix_phone")
    ui.type("kb_numeric", "05320001")  # a leading zero must survive to the sealed record
    ui.tap("kb_numeric_key_OK")
    ui.tap("fix_moved_on")
    ui.type("kb_numeric", "20261120")
    ui.tap("kb_numeric_key_OK")
    ui.tap("fix_new_town")
    ui.tap("choice_sakura")
    ui.tap("fix_name_latin")  # a Latin-letter field opens the Latin keyboard
    ui.type("kb_latin", "YA")
    ui.tap("kb_latin_key_ ")
    ui.type("kb_latin", "HA")
    ui.tap("kb_latin_key_OK")


def test_moving_in_journey_by_touch(kiosk_ui):
    ui = kiosk_ui
    assert ui.step == "home"
    ui.tap("life_events")
    ui.tap("event_moving_in")
    while ui.step == "life_event_questions":
        yes = ui.session.current_question.id == "has_children_under_18"
        ui.tap("yes" if yes else "no")
    assert ui.step == "checklist"
    assert ui.root.find("proc_child_allowance") is not None
    ui.tap("print")
    assert ui.session.notice.code is NoticeCode.CHECKLIST_PRINTED
    assert len(ui.listener.wait_for_jobs(1, timeout=30)) == 1
    ui.tap("proc_moving_in")
    ui.tap("start")
    assert ui.step == "place_card"
    with _card(ui):
        assert ui.until(lambda: ui.step == "pin_entry")
        assert "3" in ui.text("tries_left")
        ui.type("pin", "1234")
        assert ui.text("pin_display") == "●●●●"  # masked
        ui.tap("pin_key_OK")
        assert ui.step == "form_confirm"
        assert ui.text("value_name") == "山田 花子"
        _fill_moving_in_form(ui)
        assert ui.session.form.missing() == [], ui.session.notice
        ui.tap("confirm")
        assert ui.step == "done", ui.session.notice
    assert ui.text("reference").startswith("C01-000001-")
    assert len(ui.listener.wait_for_jobs(2, timeout=30)) == 2  # checklist + receipt
    [application] = ui.records("application")
    assert application["procedure"] == "moving_in"
    assert application["values"]["name_kana"] == "やまだハナコ"
    assert application["values"]["moved_on"] == "2026-11-20"
    assert application["values"]["name_latin"] == "YA HA"
    assert application["values"]["phone"] == "05320001"
    ui.tap("next")
    assert ui.step == "survey"
    ui.tap("score_9")
    ui.tap("reason_clarity")
    ui.tap("submit")
    assert ui.step == "home"
    [survey] = ui.records("survey")
    assert survey["score"] == 9 and survey["reasons"] == ["clarity"]
    assert "山田" not in ui.screen_texts()


def test_wrong_pin_then_right_pin_never_retries(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("moving_in")
    with _card(ui) as card:
        assert ui.until(lambda: ui.step == "pin_entry")
        ui.type("pin", "9999")
        ui.tap("pin_key_OK")
        assert ui.step == "pin_entry"
        assert ui.session.notice.code is NoticeCode.WRONG_PIN
        wrong = ui.app.tr("The PIN was wrong. Tries left: {tries_left}", tries_left=2)
        assert wrong in ui.text("tries_left")  # said next to the keypad, in the resident's language
        assert ui.text("notice") == ""
        assert ui.text("pin_display").strip() == ""  # the keypad starts empty again
        ui.frames(5)
        assert len(card.sim.verify_apdus(with_data=True)) == 1  # nothing was re-sent
        ui.type("pin", "1234")
        ui.tap("pin_key_OK")
        assert ui.step == "form_confirm"
        assert len(card.sim.verify_apdus(with_data=True)) == 2


def test_last_try_shows_a_clear_warning(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("moving_in")
    with _card(ui, "one-try-left"):
        assert ui.until(lambda: ui.step == "pin_entry")
        label = ui.root.find("tries_left")
        assert label.style == "error" and label.filled
        assert "1" in label.text and "locked" in label.text.lower() or "ロック" in label.text


def test_card_pulled_mid_form_wipes_screen_and_data(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("moving_in")
    card = _card(ui).insert()
    try:
        ui.enter_pin()
        assert ui.step == "form_confirm"
        ui.tap("fix_name_kana")
        ui.type("kb_kana", "やま")
        assert "山田" in ui.screen_texts()
    finally:
        card.remove()
    assert ui.until(lambda: ui.step == "home")
    assert ui.session.notice.code is NoticeCode.CARD_REMOVED
    texts = ui.screen_texts()
    for personal in ("山田", "花子", "やま"):
        assert personal not in texts
    assert ui.records("application") == []


def test_idle_still_there_then_wipe(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("moving_in")
    with _card(ui):
        ui.enter_pin()
        assert ui.step == "form_confirm"
        ui.advance(ui.session.config.form_idle_timeout_s + 1)  # longer on a form (issue 19)
        assert ui.step == "still_there"
        assert "山田" not in ui.text("notice")
        seconds = ui.app.tr("Erased in {seconds} seconds", seconds=15)
        assert ui.text("countdown") == seconds  # the time left is on screen
        ui.advance(5)
        assert ui.text("countdown") == ui.app.tr("Erased in {seconds} seconds", seconds=10)
        ui.advance(11)
        assert ui.step == "home"
        assert ui.session.notice.code is NoticeCode.SESSION_ENDED
        assert "山田" not in ui.screen_texts() and "1990" not in ui.screen_texts()


def test_still_there_answered_resumes(kiosk_ui):
    ui = kiosk_ui
    ui.tap("life_events")
    ui.advance(61)
    assert ui.step == "still_there"
    ui.tap("continue")
    assert ui.step == "life_events"


def _certificate(ui, purpose: str = "work") -> None:
    ui.tap("certificates")
    ui.tap("cert_resident_record")
    ui.tap("copies_plus")
    assert ui.text("copies") == "2"
    ui.tap(f"purpose_{purpose}")
    assert "600" in ui.text("fee")
    ui.tap("continue")
    assert ui.step == "place_card"
    with _card(ui):
        ui.enter_pin()


def test_certificate_offline_prints_a_claim_slip(kiosk_ui):
    ui = kiosk_ui
    _certificate(ui)
    assert ui.step == "claim_slip", ui.session.notice
    assert ui.session.notice.code is NoticeCode.OFFLINE_QUEUED
    assert ui.text("reference").startswith("C01-000001-")
    assert len(ui.listener.wait_for_jobs(1, timeout=30)) == 1
    [request] = ui.records("certificate_request")
    assert request["copies"] == 2 and request["purpose"] == "work"


class _InProcessCentral:
    """The issuer's handlers called directly (the ZeroMQ path is covered by the sync tests)."""

    def __init__(self, issuer, device_id: str) -> None:
        self.handlers = issuer.handlers()
        self.device_id = device_id

    def request(self, kind: str, payload: dict, timeout: float) -> dict:
        return self.handlers[kind](self.device_id, payload)


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")


@pytest.mark.parametrize("back_office", ["up", "down"])
def test_certificate_online_prints_the_issued_document(kiosk_ui, tmp_path, back_office):
    """Central looks the card's auth certificate up in the city's back office (HTTP on
    127.0.0.1) and the A4 certificate prints with the holder; with the back office down the
    certificate is issued all the same and the slip sends the resident to the counter. After
    the wipe no holder data is left in the session, its prints or on screen."""
    from residents_support import ResidentsBackOffice, key_of, record_of, refused_url

    from devices.card.simulator import load_profile
    from sync.central.issuer import Issuer, IssuerConfig
    from sync.central.residents import HttpResidentRecords, ResidentRecordsConfig

    ui = kiosk_ui
    profile = load_profile("ordinary")  # the card `_certificate` places (same cached cert)
    records = {key_of(profile.auth_certificate, default_test_ca().certificate): record_of(profile)}
    with ResidentsBackOffice(records) as office:
        url = office.url if back_office == "up" else refused_url()
        issuer = Issuer(
            IssuerConfig(
                trusted_cas=(default_test_ca().certificate,),
                city_name="豊橋市",
            ),
            tmp_path / "issuer.db",
            secret=b"0123456789abcdef0123456789abcdef",
            residents=HttpResidentRecords(ResidentRecordsConfig(url=url)),
        )
        try:
            ui.session.ports.online = OnlineAdapter(_InProcessCentral(issuer, "C01"))
            _certificate(ui)
            assert ui.step == "certificate_printed", ui.session.notice
            [pdf] = ui.listener.wait_for_jobs(1, timeout=30)
            assert ui.records("certificate_request") == []  # issued online, nothing queued
        finally:
            issuer.close()
    text = _pdf_text(pdf)
    printed = ui.session.ports.printer.session_prints.last()
    if back_office == "up":
        assert len(office.requests) == 1
        assert printed.role == "document"  # the A4 certificate
        assert "山田" in text and "花子" in text and "千代田" in text
    else:
        assert printed.role == "receipt"  # the slip: issued, collect it at the counter
        assert "証明書は発行済みです" in text and "山田" not in text
    ui.session.wipe()
    ui.frames(2)
    assert len(ui.session.ports.printer.session_prints) == 0
    assert "山田" not in ui.screen_texts()
    assert "山田" not in repr(vars(ui.session))


def test_paper_out_at_receipt_time_then_staff_reprint(kiosk_ui):
    ui = kiosk_ui
    ui.open_procedure("seal_registration_cancel")
    with _card(ui):
        ui.enter_pin()
        ui.fill_required()
        subprocess.run(["cupsdisable", "-h", ui.cups.server, ui.queue], check=True, timeout=30)
        ui.tap("confirm")
    assert ui.step == "done"
    assert ui.session.notice.code is NoticeCode.PRINTER_FAILED
    assert ui.text("notice")  # the resident is told, in their language
    assert ui.text("reference").startswith("C01-000001-")  # and keeps the number
    ui.tap("next")
    ui.tap("skip")
    ui.session.refresh_status()
    ui.frames(2)
    assert ui.root.find("status_printer").style == "status_bad"
    subprocess.run(["cupsenable", "-h", ui.cups.server, ui.queue], check=True, timeout=30)
    ui.enter_staff()
    ui.tap("reprint")
    assert ui.session.notice.code is NoticeCode.REPRINTED
    assert len(ui.listener.wait_for_jobs(1, timeout=30)) == 1
    ui.tap("staff_exit")
    assert ui.step == "home"


def test_queue_ticket_and_call_staff(kiosk_ui):
    ui = kiosk_ui
    ui.tap("call_staff")
    assert ui.session.notice.code is NoticeCode.STAFF_CALLED
    ui.tap("queue")
    assert ui.step == "queue_ticket"
    assert ui.text("ticket_number") == "1"
    assert len(ui.listener.wait_for_jobs(1, timeout=30)) == 1
    ui.tap("next")
    assert ui.step == "survey"
