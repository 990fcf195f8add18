"""The frame around the screens (status bar, notice banner, screen manager).

Invariants: the frame imports no screen: the screen classes (`screens`, one per step) and what
each screen needs (the app as its host for texts and rendering, the session it shows and its
typed `flows`) are handed to `KioskRoot` by the app that builds it, and passed on to every screen
it creates. A tap in the frame (call staff) calls a typed flow method through `act`, which
renders at once, as a screen's tap does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.ui._tree import forget, iter_widgets, text_of

__all__ = ["KioskRoot", "NOTICE_TEXT", "iter_widgets", "load_base_kv", "load_kv", "text_of"]

_HERE = Path(__file__).resolve().parent
_loaded: set[str] = set()

# Notice code -> UI string (msgid). Parameters are never personal (see kiosk.session.steps).
NOTICE_TEXT = {
    "wrong_pin": "The PIN was wrong. Tries left: {tries_left}",
    "pin_blocked": "The PIN is locked. Please go to the city office counter.",
    "pin_blocked_now": (
        "That PIN was wrong, so the PIN is now locked. To unlock it, go to the city office "
        "counter with this card and a photo ID."
    ),
    "card_removed": "The card was removed. For your privacy, the data was erased.",
    "not_mynumber_card": "This card cannot be used. Please place your My Number Card.",
    "no_card": "No card was found. Please place your card on the reader.",
    "card_error": "The card could not be read. Please ask the staff.",
    "card_revoked": (
        "This card can no longer be used. It may have been replaced or reported lost. "
        "Please go to the city office counter."
    ),
    "card_not_accepted": (
        "This card could not be checked and cannot be used here. "
        "Please go to the city office counter."
    ),
    "invalid_value": "Please check this entry.",
    "missing_values": "Some entries are missing.",
    "outbox_full": "This terminal cannot accept applications now. Please ask the staff.",
    "disk_full": (
        "Sorry, this terminal cannot take new applications right now because its storage is "
        "full. Anything you already submitted is safe. Please call a staff member, or go to "
        "the counter."
    ),
    "printer_failed": "The printer could not print. The staff will print it for you later.",
    "checklist_printed": "The list was printed.",
    "offline_queued": "City Hall cannot be reached now, so the certificate could not be printed"
    " here. Your request has been received.",
    "offline_no_slots": "Offline: no times can be booked now. We will call you back.",
    "refused": "The city office could not accept this request. Please go to the counter.",
    "printer_unavailable": (
        "The printer this needs is not working now, so it cannot be done here. "
        "Please go to the counter instead: {office}"
    ),
    "payment_failed": (
        "The payment did not go through. Nothing was charged and nothing was printed. "
        "You can try again, or pay at the counter."
    ),
    "slot_taken": "That time was just taken. Please choose another time.",
    "staff_called": "A staff member is coming.",
    "staff_calling": "Calling a staff member.",
    "staff_coming": "A staff member is on the way. Please wait a moment.",
    "staff_unanswered": "No staff member has answered yet. We are calling again. You can also go to the counter.",
    "staff_call_failed": "The staff call could not be sent. Please go to the counter.",
    "staff_pin_wrong": "Wrong staff PIN.",
    "reprinted": "Reprinted: {count}",
    "session_ended": "The session ended and your data was erased.",
}
_NOTICE_STYLE = {
    "staff_calling": "warn",
    "staff_coming": "warn",
    "staff_called": "warn",
    "checklist_printed": "warn",
    "reprinted": "warn",
}


def load_kv(name: str) -> None:
    """Load `kiosk/ui/<name>.kv` once per process (rules are global to Kivy's Builder)."""
    if name in _loaded:
        return
    Builder.load_file(str(_HERE / f"{name}.kv"))
    _loaded.add(name)


def load_base_kv() -> None:
    load_kv("widgets")
    load_kv("root")


class KioskRoot(FloatLayout):
    """`KioskRoot(kiosk_app=app, session=session, screens=SCREENS)`: `session` is what the
    screens show and act on (`session.flows`), `screens` maps a step to its screen class."""

    kiosk_app = ObjectProperty(None, allownone=True)
    session = ObjectProperty(None, allownone=True)
    network_text = StringProperty("")
    network_style = StringProperty("status_ok")
    printer_text = StringProperty("")
    printer_style = StringProperty("status_ok")
    notice_text = StringProperty("")
    notice_style = StringProperty("warn")
    step = StringProperty("")

    # Screens kept built after they were left (home always is): bounds memory (textures live in
    # process memory under llvmpipe) while the usual back-and-forth stays instant.
    max_cached_screens = 6

    def __init__(self, *, screens: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._screen_classes: Mapping[str, Any] = screens or {}
        self._screens: dict[str, Any] = {}  # in least-recently-shown order

    @property
    def flows(self) -> Any:
        """The session's typed flows (`kiosk.session.Flows`): what kv taps call."""
        return self.session.flows

    def act(self, intent: Callable[..., Any], *args: Any) -> Any:
        """A tap: call one typed flow method, then render at once (never a frame late)."""
        result = intent(*args)
        if self.kiosk_app is not None:
            self.kiosk_app.render()
        return result

    # -- screens ------------------------------------------------------------------------------
    @property
    def sm(self):
        return self.ids.sm

    def screen(self, step: str):
        """The screen for a step, created (and its kv loaded) on first use."""
        screen = self._screens.get(step)
        if screen is None:
            if step not in self._screen_classes:  # a step this UI does not know: never crash
                if step == "service_error":
                    raise KeyError("no service_error screen: KioskRoot needs its screens")
                return self.screen("service_error")
            cls = self._screen_classes[step]
            load_kv(f"screens/{step}")
            screen = cls(name=step, host=self.kiosk_app, session=self.session)
            self._screens[step] = screen
            self.sm.add_widget(screen)
        return screen

    def _evict(self) -> None:
        for name in list(self._screens):
            if len(self._screens) <= self.max_cached_screens:
                return
            if name in (self.step, "home"):
                continue
            screen = self._screens.pop(name)
            screen.clear()
            self.sm.remove_widget(screen)
            forget(screen)

    def drop_cached_screens(self) -> None:
        """Forget every built screen but the current one (they are rebuilt when shown again)."""
        for name in list(self._screens):
            if name != self.step:
                screen = self._screens.pop(name)
                screen.clear()
                self.sm.remove_widget(screen)
                forget(screen)

    @property
    def cached_screens(self) -> list[Any]:
        return list(self._screens.values())

    @property
    def current_screen(self):
        return self._screens.get(self.step)

    def render(self, state: Any) -> None:
        app = self.kiosk_app
        step = str(getattr(state, "step", "home"))
        self._render_status(state)
        self._render_notice(state)
        screen = self.screen(step)
        step = screen.name
        if step != self.step:
            previous = self._screens.get(self.step)
            if previous is not None:
                previous.clear()
            self.sm.current = step
            self.step = step
            self._screens[step] = self._screens.pop(step)  # most recently shown last
            self._evict()
            screen.render(state)
            if app is not None and app.voice.enabled:
                app.voice.say(app.lang, screen.guidance())
        else:
            screen.render(state)

    def _render_status(self, state: Any) -> None:
        app = self.kiosk_app
        sync = getattr(state, "sync", None)
        online = bool(getattr(sync, "online", getattr(state, "online", False)))
        # Staff only (review A1): a permanent red "Offline" alarmed residents and told them
        # nothing; what it means for them is said on the service it affects (certificates).
        staff = str(getattr(state, "step", "")).startswith("staff")
        self.network_text = app.tr("Online" if online else "Offline") if staff else ""
        self.network_style = "status_ok" if online else "status_bad"
        printer = getattr(state, "printer", None)
        ok = bool(getattr(printer, "ok", True))
        roles = dict((r[0], r[1]) for r in getattr(printer, "roles", ()) or ())
        if roles:  # each role on the badge: the A4 printer out of paper shows before the PIN
            receipt, a4 = roles.get("receipt", ok), roles.get("document", ok)
            self.printer_text = "  ".join((
                app.tr("Receipts: ready" if receipt else "Receipts: unavailable"),
                app.tr("A4: ready" if a4 else "A4: unavailable"),
            ))  # fmt: skip
            ok = receipt and a4
        else:
            self.printer_text = app.tr("Printer ready" if ok else "Printer unavailable")
        self.printer_style = "status_ok" if ok else "status_bad"

    def _render_notice(self, state: Any) -> None:
        notice = getattr(state, "notice", None)
        if notice is None:
            self.notice_text = ""
            return
        code = str(getattr(notice, "code", notice))
        if code == "wrong_pin" and str(getattr(state, "step", "")) == "pin_entry":
            # The PIN screen says it itself, next to the keypad (it needs the room at 1.5x text).
            self.notice_text = ""
            return
        msgid = NOTICE_TEXT.get(code)
        if msgid is None:
            self.notice_text = ""
            return
        params = dict(getattr(notice, "params", {}) or {})
        values = {"tries_left": params.get("tries_left", ""), "count": params.get("count", ""),
                  "office": params.get("office", "")}  # fmt: skip
        self.notice_text = self.kiosk_app.tr(msgid, **values)
        self.notice_style = _NOTICE_STYLE.get(code, "error")

    # -- finding widgets ------------------------------------------------------------------------
    def find(self, kid: str):
        """The widget with this kid on the current screen or in the frame; None if absent."""
        for top in (self.current_screen, self.ids.status_bar, self.ids.notice):
            if top is None:
                continue
            for w in iter_widgets(top):
                if getattr(w, "kid", None) == kid:
                    return w
        return None

    def kids(self) -> list[str]:
        out = []
        for top in (self.current_screen, self.ids.status_bar):
            if top is not None:
                out += [w.kid for w in iter_widgets(top) if getattr(w, "kid", "")]
        return out
