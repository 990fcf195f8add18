"""Drives the real Kivy kiosk like a resident: taps on widgets found by their `kid`, the card
simulator behind the test pcscd, the real sealed outbox, the test cupsd's capture queue.

The fixtures that build it (`kiosk_ui`, `renderer`) are in tests/kiosk/ui/conftest.py."""

from __future__ import annotations

import io
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from devices.card.simulator import SimulatedCard
from kiosk.session import hash_staff_pin
from sync.sealing import open_record

CENTRAL = X25519PrivateKey.generate()
STAFF_PIN = "864211"
STAFF_HASH = hash_staff_pin(STAFF_PIN, salt=b"x" * 16, iterations=1000)
# The "ordinary" simulator profile's resident (fictional), as the card's basic-4 hold it.
RESIDENT = ("山田 花子",)

# Card values and typed values that must never outlive a visit (the privacy tests).
CARD_VALUES = ("山田 花子", "山田", "花子", "1985")
TYPED = ("やまだ", "0532")


def personal_strings(ui) -> list[str]:
    """The personal values on the current form (3+ characters) and what the tests typed."""
    form = ui.session.form
    # Values of 3+ characters: a sex code "2" or a household size "3" occur in any screen.
    values = [fv.value for fv in form.values if len(fv.value) >= 3] if form else []
    return [*values, *TYPED]


class KioskUi:
    """The app in the test window plus the parts behind it; helpers that act like a resident."""

    def __init__(self, window, session, app, root, listener, outbox, clock) -> None:
        self.window, self.session, self.app, self.root = window, session, app, root
        self.listener, self.outbox, self.clock = listener, outbox, clock

    def frames(self, n: int = 2) -> None:
        from tests.support.kivy_ui import frames

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
        from kiosk.ui.widgets import is_shown
        from tests.support.kivy_ui import tap

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


def place_card(ui, profile: str = "ordinary") -> SimulatedCard:
    return SimulatedCard(profile, port=ui.pcsc.vpcd_port, reader_name=ui.reader)


def fill_moving_in_form(ui) -> None:
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


def choose_certificate(
    ui, cert: str = "resident_record", *, copies: int = 1, ticks=(), purpose: str | None = "work"
) -> None:
    """On the certificate screen (already open), answer its questions one screen at a time:
    which certificate, how many, what to include (住民票 only), what for; stops on the summary,
    before "continue" (the card step)."""
    ui.tap(f"cert_{cert}")
    ui.tap("next")
    for _ in range(copies - 1):
        ui.tap("copies_plus")
    assert ui.text("copies") == str(copies)
    ui.tap("next")
    if ui.root.find("opt_household_self") is not None:
        for kid in ticks:
            ui.tap(kid)
        ui.tap("next")
    if purpose is not None:
        ui.tap(f"purpose_{purpose}")
    ui.tap("next")
    assert ui.root.find("continue") is not None  # the summary, before the card step


def request_certificate(ui, purpose: str = "work") -> None:
    ui.tap("certificates")
    choose_certificate(ui, copies=2, purpose=purpose)
    assert "600" in ui.text("fee")
    ui.tap("continue")
    assert ui.step == "place_card"
    with place_card(ui):
        ui.enter_pin()


class InProcessCentral:
    """The issuer's handlers called directly (the ZeroMQ path is covered by the sync tests)."""

    def __init__(self, issuer, device_id: str) -> None:
        self.handlers = issuer.handlers()
        self.device_id = device_id

    def request(self, kind: str, payload: dict, timeout: float) -> dict:
        return self.handlers[kind](self.device_id, payload)


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
