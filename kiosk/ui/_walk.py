"""Walk every screen in every language (for `madoguchi kiosk --screenshots DIR` and the bench).

The walk drives the session only through its intents. Busy steps (reading, submitting, issuing)
are caught on screen by a `HeldWorker` (kiosk.session.workers) that keeps jobs until
`release()`. When no real services are given, `PreviewPorts` stands in for the devices: a
fixed, fictional resident (never a real person's data), a printer that accepts everything, an
outbox in memory. Tests of the real journeys use the real card simulator, cupsd and outbox
instead (tests/kiosk/ui/test_ui_journeys.py).
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.call import ConsultFlow
from kiosk.center import label_for
from kiosk.session import (
    AgentInfo,
    Appended,
    CardData,
    ClockInfo,
    OutboxInfo,
    PortOfflineError,
    PortRefusedError,
    PortWrongPinError,
    PrinterRoleInfo,
    PrinterState,
    SessionPorts,
    SiteInfo,
    SyncStatus,
)
from kiosk.session.memory import MemoryDiagnostics
from kiosk.session.workers import HeldWorker

__all__ = ["PreviewPorts", "PreviewUi", "mount", "unmount", "walk_steps"]

PREVIEW_RESIDENT = CardData(
    name="見本 花子", address="東京都見本市中央一丁目1番1号", birth_date="1990-04-01", sex="2"
)


class _PreviewCard:
    def __init__(self, ports: PreviewPorts) -> None:
        self.ports = ports
        if ports.tries == 0:  # every walk places a fresh preview card
            ports.tries = 3

    def kenhojo_tries_left(self) -> int:
        return self.ports.tries

    jpki_auth_tries_left = kenhojo_tries_left

    def verify_kenhojo_pin(self, pin: str) -> None:
        if pin != "1234":
            self.ports.tries -= 1
            raise PortWrongPinError(self.ports.tries)
        self.ports.tries = 3

    verify_jpki_auth_pin = verify_kenhojo_pin

    def read_basic4(self) -> CardData:
        r = PREVIEW_RESIDENT
        return CardData(r.name, r.address, r.birth_date, r.sex)

    def read_auth_certificate(self) -> bytes:
        return b"preview-certificate"

    def sign_sha256_digest(self, digest: bytes) -> bytes:
        return b"\x00" * 256

    def close(self) -> None:
        pass


class _PreviewCallPort:
    """The call worker's stand-in for screenshots: no camera, no network, nothing kept."""

    def call(self, topic: str, language: str) -> None: ...
    def chat(self, text: str) -> None: ...
    def share(self, fields: Any) -> None: ...
    def mute(self, on: bool) -> None: ...
    def print_result(self, ok: bool, reason: str = "") -> None: ...
    def hangup(self) -> None: ...

    def close(self, timeout: float = 10.0) -> int:
        return 0


def _preview_diagnostics(ports: PreviewPorts) -> MemoryDiagnostics:
    """What the preview's diagnostics screen shows: a fictional center, a virtual reader, the
    document printer out of paper (so a problem row is on the screenshot), the preview outbox."""
    return MemoryDiagnostics(
        site_info=SiteInfo("見本地域センター", "見本市"),
        printer_roles=(
            PrinterRoleInfo("receipt", "receipt80", "idle", True),
            PrinterRoleInfo("document", "a4", "stopped", False, ("media-empty",)),
        ),
        outbox_info=OutboxInfo(0, 0, 0, 12 * 1024**3, 64 * 1024**2),
        agent_info=AgentInfo("backoff", False, 1_796_000_000.0, "RequestTimeoutError", 3, 1),
        clock_info=ClockInfo(1_796_003_600.0, False),
        outbox_source=ports,
    )


@dataclass
class PreviewPorts:
    """In-process stand-ins for the screenshot walk when no device is attached."""

    online: bool = False
    refuse: bool = False
    tries: int = 3
    records: list[tuple[str, dict]] = field(default_factory=list)
    _seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    # Three people ahead: the preview ticket is the fourth of the day, as the display calls it.
    _ticket: Iterator[int] = field(default_factory=lambda: itertools.count(4))
    # The video consultation's events reach the session here (`consult_source`).
    consult_deliver: Callable[[dict], None] | None = None

    def consult_source(self, language: str, deliver: Callable[[dict], None]) -> ConsultFlow:
        """The session's `consult_source`: a real call flow over a worker that asks nothing of
        anyone (the walk hands it the events a real call would bring)."""
        self.consult_deliver = deliver
        return ConsultFlow(_PreviewCallPort, language)

    def connect(self) -> _PreviewCard:
        return _PreviewCard(self)

    def append(self, kind: str, body: dict) -> Appended:
        self.records.append((kind, {}))  # the body is not kept: nothing personal stays around
        seq = next(self._seq)
        return Appended(seq, f"r{seq}")

    def print_job(self, job: Any) -> None:
        pass

    def state(self) -> PrinterState:
        return PrinterState(ok=True)

    def reprint_pending(self) -> int:
        return 0

    def wipe_session(self) -> None:
        pass

    def request(self, method: str, params: dict, timeout_s: float) -> dict:
        if not self.online:
            raise PortOfflineError("preview is offline")
        if method == "certificate.challenge":
            return {"challenge": base64.b64encode(b"\x01" * 32).decode()}
        if method == "certificate.issue":
            if self.refuse:
                raise PortRefusedError("preview_refused")
            return {"ok": True, "reference": "PREVIEW-0001"}
        raise PortOfflineError(f"preview does not answer {method}")

    def sync_status(self) -> SyncStatus:
        return SyncStatus(online=self.online, outbox_depth=len(self.records))

    # The center's queue (kiosk.center.TerminalQueue): the queue_service screen and its waits.
    services = ("procedure", "certificate", "consultation", "reserved")

    def take_ticket(self, service: str = "procedure", language: str = "ja") -> tuple[str, int]:
        return label_for(service, next(self._ticket)), 3

    def estimate_wait_min(self, service: str, before: int, default_min: float) -> int:
        return round(before * default_min)

    def estimates(self, default_min: float) -> dict[str, int]:
        return {"procedure": 18, "certificate": 0, "consultation": 25, "reserved": 0}

    def notices(self) -> list[dict]:
        # posted 2026-11-04 10:30 and 12:05 JST (shown in the machine's local time)
        return [
            {"kind": "water", "source": "city", "ja": "給水車は14時から正面玄関前に来ます。",
             "en": "The water truck comes to the main entrance at 14:00.", "at": 1793755800},
            {"kind": "bath", "source": "staff", "ja": "シャワーは18時から20時まで使えます。",
             "en": "", "at": 1793761500},
        ]  # fmt: skip

    def call_next(self) -> str | None:
        return label_for("procedure", 1)

    def waiting(self) -> int:
        return 3

    def session_ports(self) -> SessionPorts:
        return SessionPorts(
            card=self,
            outbox=self,
            printer=self,
            online=self,
            status=self,
            queue=self,
            diagnostics=_preview_diagnostics(self),
        )


def walk_steps(
    session: Any,
    worker: HeldWorker,
    render: Callable[[], None],
    now: Callable[[], float] | None = None,
    staff_pin: str | None = None,
    ports: PreviewPorts | None = None,
) -> Iterator[str]:
    """Drive `session` through every step, yielding each step's name while it is on screen."""
    s = session

    def at(label: str | None = None) -> Iterator[str]:
        render()
        yield label or str(s.step)

    lang, large, contrast = s.language, s.text_scale > 1, s.high_contrast
    yield from at()  # home
    s.open_life_events()
    yield from at()
    event = next(iter(s.catalog.life_events))
    s.choose_life_event(event)
    yield from at()
    while s.current_question is not None:
        s.answer(s.current_question.id, True)
    yield from at()  # checklist
    kiosk_proc = next((i.procedure_id for i in s.checklist if i.kiosk_capable), None)
    if kiosk_proc is None:
        kiosk_proc = s.catalog.kiosk_procedures()[0].id
        s.home()
        s.open_procedures()
        yield from at()
    s.choose_procedure(kiosk_proc)
    yield from at()  # procedure_intro
    s.flows.card.no_card_or_pin()
    yield from at()  # procedure_counter (no card / PIN: the counter, a queue ticket)
    s.back()
    s.card_removed()  # the walk starts without a card in the reader
    s.start_procedure()
    yield from at()  # place_card
    s.card_inserted()
    yield from at()  # reading_card (held)
    worker.release()
    yield from at()  # pin_entry
    s.submit_pin("0000")
    worker.release()
    s.submit_pin("0000")
    worker.release()
    yield from at("pin_entry_last_try")
    s.submit_pin("1234")
    worker.release()
    yield from at()  # form_confirm
    for fv in s.form.values:
        if not fv.value:
            s.correct_field(fv.name, _sample(fv.spec))
    s.confirm()
    yield from at()  # submitting
    worker.release()
    yield from at()  # done
    s.finish()
    yield from at()  # survey
    s.skip_survey()  # the survey ends the session: the wipe resets language and display
    s.choose_language(lang)
    s.set_text_scale(large)
    s.set_high_contrast(contrast)
    s.open_certificates()
    yield from at()  # certificate_choose
    cert = next(iter(s.catalog.certificates.values()))
    purpose = cert.purposes[0].id if cert.purposes else None

    def certificate() -> None:
        s.home()
        s.open_certificates()
        s.choose_certificate(cert.id, 1, purpose)
        worker.release()
        s.submit_pin("1234")
        worker.release()

    certificate()
    yield from at()  # issuing
    worker.release()
    yield from at()  # claim_slip (offline)
    if ports is not None:
        ports.online = True
        certificate()
        worker.release()
        yield from at()  # certificate_printed
        ports.refuse = True
        certificate()
        worker.release()
        yield from at()  # service_error
        ports.online = ports.refuse = False
    s.home()
    s.open_procedures()
    yield from at()  # procedures
    s.home()
    s.open_booking()
    yield from at()  # booking_topic
    s.choose_topic(next(iter(s.catalog.topics)))
    worker.release()
    yield from at()  # booking_slot
    s.request_callback("0312345678")
    worker.release()
    yield from at()  # booking_done
    s.home()
    s.flows.services.open_queue_services()
    worker.release()
    yield from at()  # queue_service
    s.flows.services.take_queue_ticket("procedure")
    worker.release()
    yield from at()  # queue_ticket
    s.home()
    s.shelter_mode = True  # as staff switch it on in the staff menu
    s.flows.services.open_shelter()
    worker.release()
    yield from at()  # shelter
    s.shelter_mode = False
    s.home()
    s.flows.search.open()
    s.flows.search.set_query(s.catalog.life_events[event].name.get(s.language))  # as typed
    yield from at()  # search
    if ports is not None and s.consult_source is not None:
        yield from _consult(s, at, worker, ports)
    s.home()
    s.open_life_events()
    if now is not None:
        s.tick(now() + s.config.idle_timeout_s + 1)
    yield from at()  # still_there
    s.home()
    s.open_procedures()
    s.choose_procedure(kiosk_proc)
    s.start_procedure()
    worker.release()
    for _ in range(3):
        s.submit_pin("0000")
        worker.release()
    yield from at()  # pin_blocked
    s.card_removed()
    s.home()
    if s.config.staff_pin_hash and staff_pin:
        s.open_staff()
        yield from at()  # staff_pin
        yield from _staff(s, at, staff_pin, worker)
        s.open_staff()
        s.submit_staff_pin(staff_pin)
        s.staff_assist()  # an assisted resident picks their language and display as anyone
        s.choose_language(lang)
        s.set_text_scale(large)
        s.set_high_contrast(contrast)
        yield from at("home_assisted")
    s.home()


def _staff(s: Any, at: Callable[..., Iterator[str]], pin: str, worker: HeldWorker) -> Iterator[str]:
    s.submit_staff_pin(pin)
    yield from at()  # staff_menu
    s.staff_diagnostics()
    worker.release()
    yield from at()  # staff_diagnostics
    s.back()
    s.staff_set_out_of_service(True)
    s.staff_exit()
    yield from at()  # out_of_service
    s.open_staff()
    s.submit_staff_pin(pin)
    s.staff_set_out_of_service(False)
    s.staff_exit()


# What a call brings, as the worker reports it (fictional names; never a real call's words).
_CALL_EVENTS = (
    {"event": "answered", "role": "specialist", "name": "見本 一郎"},
    {"event": "connected"},
    {"event": "participants", "staff": [{"role": "specialist", "name": "見本 一郎"},
                                        {"role": "interpreter", "name": "Mihon Lan"}]},
    {"event": "chat", "text": "こんにちは。どのようなご相談ですか？"},
)  # fmt: skip


def _consult(s: Any, at: Callable[..., Iterator[str]], worker: HeldWorker,
             ports: PreviewPorts) -> Iterator[str]:  # fmt: skip
    """相談する: offline first (said plainly, a booking offered), then topic, consent, waiting,
    the call, a hand-over and the end, each screen with what a real call would show."""

    def status(online: bool) -> None:
        ports.online = online
        s.refresh_status()
        worker.release()

    s.home()
    status(False)
    s.flows.consult.open()
    yield from at()  # consult_unavailable
    status(True)
    s.home()
    s.flows.consult.open()
    yield from at()  # consult_topic
    s.flows.consult.choose_topic("general" if "general" in s.catalog.topics else
                                 next(iter(s.catalog.topics)))  # fmt: skip
    yield from at()  # consult_consent
    s.flows.consult.start()
    deliver = ports.consult_deliver
    deliver({"event": "queued", "position": 2})
    deliver({"event": "position", "position": 2, "estimate_s": 170})
    yield from at()  # consult_waiting
    for event in _CALL_EVENTS:
        deliver(event)
    # the はい button: the resident's line in their language, the staff's in Japanese (as
    # ConsultCallScreen.quick_reply sends it)
    from kiosk.ui.app import LOCALE_DIR
    from madoguchi.core.i18n import load_translator

    yes = load_translator(LOCALE_DIR, s.language).gettext("Yes")
    s.flows.consult.send_chat("はい" if yes == "はい" else f"はい（{yes}）", yes)
    yield from at()  # consult_call
    deliver({"event": "handed_over", "topic": "welfare"})
    yield from at("consult_handover")
    deliver({"event": "ended", "by": "network"})
    yield from at()  # consult_ended
    s.home()
    status(False)


def _sample(spec: Any) -> str:
    """A valid fictional value for an asked field (the preview never shows real data)."""
    kind = str(spec.kind)
    if kind == "number":
        return str(spec.min_value if spec.min_value is not None else 1)
    if kind == "choice":
        return spec.choices[0].id
    if kind == "latin":
        return "MIHON HANAKO"
    if kind == "date":
        return "2000-01-01"
    if kind == "address_number":
        return "1-2"
    if kind == "sex":
        return "9"
    return "みほん"


def shot_name(out_dir: Path, index: int, step: str, language: str) -> Path:
    return out_dir / f"{language}_{index:02d}_{step}.png"


def mount(app: Any, window: Any) -> Any:
    """Build `app`'s root into an existing window (tests and the screenshot walker share one
    window per process) and size it to the window. Returns the root."""
    _forget_stale_kv_app(app)
    root = app.build()
    app.root = root
    window.add_widget(root)
    root.size = window.size
    return root


def _forget_stale_kv_app(app: Any) -> None:
    """kv's `app` proxy caches the first running app it is asked for and forgets it only on that
    app's `on_stop`. When it is asked between one app's stop and the next app's creation (a plain
    widget drawn in the shared window does that), it caches the stopped app for good, and every
    kv binding of the next app (`app.tr(...)`, `app.theme`) reads the old app. So a
    mount makes it forget any app that is not the one being mounted."""
    from kivy.lang.parser import global_idmap

    proxy = global_idmap.get("app")
    if proxy is not None and object.__getattribute__(proxy, "_obj") not in (None, app):
        object.__setattr__(proxy, "_obj", None)


def unmount(app: Any, window: Any) -> None:
    app.remove_guards()
    if app.root is not None and app.root in window.children:
        window.remove_widget(app.root)
    # kv's `app` proxy caches the running app until on_stop: let the next app be seen.
    app.dispatch("on_stop")


PREVIEW_STAFF_PIN = "246802"


class PreviewUi:
    """A kiosk app on `PreviewPorts` mounted in `window`, with a clock the caller advances.

    `with PreviewUi(window) as ui:` builds it; `ui.walk()` visits every screen; `ui.advance(s)`
    moves the session clock; leaving the block unmounts the root and wipes the session."""

    def __init__(self, window: Any, catalog: Any = None, display: Any = None) -> None:
        from kiosk.catalog import default_catalog
        from kiosk.session import ConsultHours, KioskSession, SessionConfig, hash_staff_pin
        from kiosk.ui.app import build_app

        self.window = window
        self.now = 1000.0
        self.ports = PreviewPorts()
        self.worker = HeldWorker()
        config = SessionConfig(
            staff_pin_hash=hash_staff_pin(PREVIEW_STAFF_PIN, iterations=1000),
            reference_center="C01",  # references as a configured center prints them: C01-0017-3
        )
        self.session = KioskSession(
            catalog or default_catalog(),
            self.ports.session_ports(),
            config,
            clock=lambda: self.now,
            worker=self.worker,
        )
        self.session.consult_source = self.ports.consult_source
        self.session.consult_hours = ConsultHours.parse(["mon-sun 00:00-24:00", "holidays open"])
        self.app = build_app(self.session, display=display, tick_interval_s=None)
        self.root: Any = None

    def __enter__(self) -> PreviewUi:
        self.root = mount(self.app, self.window)
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.wipe()
        unmount(self.app, self.window)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.session.tick()

    def walk(self) -> Iterator[str]:
        return walk_steps(
            self.session,
            self.worker,
            self.app.render,
            lambda: self.now,
            PREVIEW_STAFF_PIN,
            self.ports,
        )
