"""The resident's side of a video consultation as plain logic (no Kivy, no aiortc, no I/O).

`ConsultFlow` is what the kiosk screens (topic → consent → waiting → call → end) read and call;
it drives a `CallPort`-like object (`call`, `chat`, `hangup`, `close`) and is fed the worker's
events with `on_event` (a Kivy screen hands them over on its clock). Its `view()` is a plain dict a
screen renders.

Invariants:
- The call never starts without the resident's tap: `start()` only after a topic was chosen and the
  privacy notice shown (`consent` step); nothing is asked of the worker before.
- Every end says why in plain words (`reason`) and offers what can be done next: a booking when no
  one could take the call (`unavailable`, `refused`), reconnect or booking when the link dropped.
- `wipe()` drops the chat, closes the worker and forgets the topic: nothing said in a call stays
  on the terminal after the session (chat lives only in this object and on the screen).
- A form is shown to the staff member only after the resident's tap (`show_form`), as fields
  (label, value), and sharing ends with `stop_showing()`, a hand-over or the end of the call.
- A document the staff member sends (a checklist: procedures, offices, what to bring, links) is
  printed by the session through its own printer port (`take_print_jobs`, `printed`), never by
  the worker; what the worker accepts is bounded and plain text (`kiosk.call.documents`).
- The camera-on indicator (`camera_on`) is true from `start()` until the call ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from kiosk.call.errors import FlowError
from kiosk.session.ports import PrintJob

__all__ = [
    "END_REASONS",
    "SCREEN_OF",
    "TOPICS",
    "CallPortLike",
    "ConsultFlow",
    "ConsultScreenState",
    "FlowError",
    "screen_state",
]

TOPICS = ("welfare", "child_care", "tax", "care", "general")  # "general": わからない・総合案内

# Why a call ended → (message id for the screen, offer a booking, offer to reconnect)
END_REASONS = {
    "console": ("The specialist ended the consultation.", False, False),
    "terminal": ("You ended the consultation.", False, False),
    "network": ("The connection was lost.", True, True),
    "unavailable": ("Video consultation is not available now.", True, False),
    "refused": ("Video consultation is not available now.", True, False),
    "no_staff": ("No specialist is available right now.", True, False),
    # city hall refused: outside its hours (its clock and its signed hours, not the terminal's)
    "hours": ("It is outside the hours for video consultation.", True, False),
}
MAX_CHAT_LINES = 50


# The flow's step → the kiosk screen that shows it (kiosk/ui/screens/_call.py).
SCREEN_OF = {
    "topic": "booking_topic",
    "consent": "consult_consent",
    "waiting": "consult_waiting",
    "handed_over": "consult_waiting",
    "in_call": "consult_call",
    "ended": "consult_ended",
}


@dataclass(frozen=True)
class ConsultScreenState:
    """What the kiosk root renders while a consultation is on screen: `step` names the screen,
    `consult` is the flow's view and `consult_flow` the flow the screen's taps call."""

    step: str
    consult: dict
    consult_flow: ConsultFlow
    language: str
    online: bool = True


def screen_state(flow: ConsultFlow, *, online: bool = True) -> ConsultScreenState:
    view = flow.view()
    return ConsultScreenState(SCREEN_OF[view["step"]], view, flow, flow.language, online)


class CallPortLike(Protocol):
    def call(self, topic: str, language: str) -> None: ...
    def chat(self, text: str) -> None: ...
    def share(self, fields: list[tuple[str, str]] | None) -> None: ...
    def mute(self, on: bool) -> None: ...
    def print_result(self, ok: bool, reason: str = "") -> None: ...
    def hangup(self) -> None: ...
    def close(self, timeout: float = 10.0) -> int: ...


@dataclass
class _State:
    step: str = "topic"  # topic | consent | waiting | in_call | handed_over | ended
    topic: str | None = None
    position: int | None = None
    estimate_s: float | None = None
    staff_role: str = ""
    staff_name: str = ""
    camera_on: bool = False
    chat: list[tuple[str, str]] = field(default_factory=list)  # (who, text)
    ended_by: str | None = None
    sharing: bool = False
    muted: bool = False
    print_jobs: list = field(default_factory=list)  # PrintJobs the staff sent, not yet printed
    others: list[tuple[str, str]] = field(default_factory=list)  # (role, name) of staff in a room


class ConsultFlow:
    def __init__(self, open_port: Callable[[], CallPortLike], language: str) -> None:
        """`open_port()` starts a call worker (`kiosk.call.CallPort(...)`), one per call."""
        self._open_port = open_port
        self.language = language
        self._port: CallPortLike | None = None
        self.s = _State()
        # The fields (label, value) of the form or checklist the resident had open when they
        # asked for the consultation: what "show my form" shows, only after their tap.
        self.form_fields: list[tuple[str, str]] = []

    # --- the resident's taps ------------------------------------------------------------
    def choose_topic(self, topic: str) -> None:
        if self.s.step not in ("topic", "consent"):
            raise FlowError(f"choose_topic in step {self.s.step}")
        if topic not in TOPICS:
            raise FlowError(f"unknown topic {topic[:20]!r}")
        self.s.topic, self.s.step = topic, "consent"

    def start(self) -> None:
        """The resident tapped "start" on the privacy notice."""
        if self.s.step != "consent":
            raise FlowError(f"start in step {self.s.step}")
        self._port = self._open_port()
        self._port.call(self.s.topic, self.language)
        self.s.step, self.s.camera_on = "waiting", True

    def send_chat(self, text: str, shown: str | None = None) -> None:
        """`text` goes to the staff; the resident's chat shows `shown` when given (a quick reply:
        the staff read Japanese, the resident their own language)."""
        text = text.strip()[:500]
        if self.s.step != "in_call" or not text:
            return
        self._port.chat(text)
        self._add_chat("resident", (shown or "").strip()[:500] or text)

    def show_form(self, fields: list[tuple[str, str]]) -> None:
        """The resident tapped "フォームを見せる": the staff member sees these fields (label, value)
        of the form or checklist open — the fields, not the screen — until `stop_showing()` or
        the end of the call."""
        if self.s.step != "in_call":
            raise FlowError(f"show_form in step {self.s.step}")
        self._port.share(list(fields))
        self.s.sharing = True

    def stop_showing(self) -> None:
        if self.s.sharing and self.s.step == "in_call":
            self._port.share(None)
        self.s.sharing = False

    def toggle_mute(self) -> None:
        if self.s.step not in ("in_call", "waiting", "handed_over") or self._port is None:
            return
        self.s.muted = not self.s.muted
        self._port.mute(self.s.muted)

    def take_print_jobs(self) -> list:
        """The documents the staff member sent (`PrintJob`s of kind checklist), for the session to
        print through its printer port (on its worker), then report with `printed`."""
        jobs, self.s.print_jobs = self.s.print_jobs, []
        return jobs

    def printed(self, ok: bool, reason: str = "") -> None:
        if self._port is not None and self.s.step == "in_call":
            self._port.print_result(ok, reason)

    def hang_up(self) -> None:
        if self._port is not None and self.s.step in ("waiting", "in_call", "handed_over"):
            self._port.hangup()

    def reconnect(self) -> None:
        """After a dropped link: a new request on the same topic (the resident tapped again)."""
        if self.s.step != "ended" or self.s.ended_by != "network":
            raise FlowError("reconnect is offered only after a dropped link")
        self._close_port()
        topic = self.s.topic
        self.s = _State(step="consent", topic=topic)
        self.start()

    def wipe(self) -> None:
        self._close_port()
        self.s = _State()
        self.form_fields = []

    # --- the worker's events ------------------------------------------------------------
    def on_event(self, event: dict) -> None:
        kind = event.get("event")
        if self.s.step == "ended":
            return
        if kind in ("queued", "position"):
            self.s.position = event.get("position")
            self.s.estimate_s = event.get("estimate_s")
            if kind == "queued":
                self.s.step = "waiting"
        elif kind == "answered":
            self.s.staff_role = str(event.get("role", ""))[:40]
            self.s.staff_name = str(event.get("name", ""))[:60]
        elif kind == "connected":
            self.s.step = "in_call"
        elif kind == "chat":
            self._add_chat("staff", str(event.get("text", "")))
        elif kind == "participants" and isinstance(event.get("staff"), list):
            self.s.others = [
                (str(p.get("role", ""))[:40], str(p.get("name", ""))[:60])
                for p in event["staff"][:6]
                if isinstance(p, dict)
            ]
        elif kind == "print" and event.get("kind") == "checklist":
            self.s.print_jobs.append(PrintJob("checklist", self.language, event["data"]))
        elif kind == "handed_over":
            self.s.step, self.s.topic = "handed_over", str(event.get("topic", ""))
            self.s.sharing = False  # the next staff member sees nothing until asked again
            self.s.staff_role, self.s.staff_name, self.s.position = "", "", None
            self.s.estimate_s = None  # it was the old queue's: the new queue says its own
            self.s.others = []
        elif kind == "ended":
            by = str(event.get("by", "network"))
            if by == "refused" and event.get("reason") in ("no_staff", "hours"):
                by = str(event["reason"])
            self._end(by)
        elif kind == "exited":
            self._end("network")  # the worker died: same words as a dropped link

    def _end(self, by: str) -> None:
        self.s.step, self.s.ended_by, self.s.camera_on = "ended", by, False
        self.s.sharing = False  # sharing ends with the call
        if by not in END_REASONS:
            self.s.ended_by = "network"

    def _add_chat(self, who: str, text: str) -> None:
        self.s.chat.append((who, text))
        del self.s.chat[:-MAX_CHAT_LINES]

    def _close_port(self) -> None:
        if self._port is not None:
            port, self._port = self._port, None
            port.close()

    # --- what the screen shows ----------------------------------------------------------
    @property
    def video(self):
        """The call's pictures: the port's frame reader (`kiosk.call._frames`), or None."""
        return getattr(self._port, "video", None)

    def view(self) -> dict:
        s = self.s
        out = {
            "step": s.step,
            "topic": s.topic,
            "camera_on": s.camera_on,
            "chat": list(s.chat),
        }
        if s.sharing:
            out["sharing"] = True
        if s.step in ("waiting", "in_call", "handed_over"):
            out["muted"] = s.muted
        if s.print_jobs:
            out["print_pending"] = len(s.print_jobs)
        if s.step in ("waiting", "handed_over"):
            out["position"] = s.position
            out["estimate_min"] = None if s.estimate_s is None else max(1, round(s.estimate_s / 60))
        if s.step == "in_call":
            out["staff_role"] = s.staff_role
            out["staff_name"] = s.staff_name  # the caption: who the resident is talking to
            # Everyone in the call with the resident (a room): each picture's caption.
            out["others"] = list(s.others)
        if s.step == "ended":
            message, booking, reconnect = END_REASONS[s.ended_by]
            out.update(reason=message, offer_booking=booking, offer_reconnect=reconnect)
        return out
