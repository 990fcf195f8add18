"""The session through the real parts: the simulated My Number card behind the test pcscd (events
from the real `CardWatcher`), the real outbox (records sealed to a central key), the test cupsd
with a capture queue, and LocalState queue counters. Adapters in `kiosk.services`."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from devices.card import CardReader, CardWatcher, ScheduledObserver
from devices.card.simulator import SimulatedCard
from devices.printer import Printer, PrinterConfig
from devices.printer.documents import DocumentRenderer
from kiosk.catalog import default_catalog
from kiosk.services import (
    CardReaderAdapter,
    LocalQueueAdapter,
    OutboxAdapter,
    PrinterAdapter,
)
from kiosk.session import (
    KioskSession,
    NoticeCode,
    SessionConfig,
    SessionPorts,
    Step,
    ThreadWorker,
    hash_staff_pin,
)
from sync.localstate import LocalState
from sync.outbox import Outbox, OutboxConfig
from sync.sealing import open_record

CENTRAL = X25519PrivateKey.generate()
STAFF_HASH = hash_staff_pin("864200", salt=b"x" * 16, iterations=1000)


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


@pytest.fixture
def outbox(tmp_path):
    ob = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0), "C01", CENTRAL.public_key(), "s1"
    ).open()
    yield ob
    ob.close()


@pytest.fixture
def printer(cups_server, capture_queue, renderer):
    queue, listener = capture_queue
    p = Printer(
        PrinterConfig(
            server=str(cups_server.socket_path), queues={"receipt": queue, "document": queue}
        )
    )
    adapter = PrinterAdapter(p, renderer, city_name="豊橋市", center_name="東部地域センター")
    adapter.queue = queue
    return adapter, listener


class UiThread:
    """Stands in for Kivy's clock: device threads post callables, the test thread runs them."""

    def __init__(self) -> None:
        self.pending: list = []
        self.lock = threading.Lock()

    def schedule(self, fn) -> None:
        with self.lock:
            self.pending.append(fn)

    def pump_until(self, condition, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                batch, self.pending = self.pending, []
            for fn in batch:
                fn()
            if condition():
                return True
            threading.Event().wait(0.02)
        return False


@pytest.fixture
def kiosk(pcsc, outbox, printer, tmp_path):
    adapter, listener = printer
    state = LocalState(tmp_path / "local.db")
    reader = pcsc.reader_name(0)
    ports = SessionPorts(
        card=CardReaderAdapter(CardReader(reader)),
        outbox=OutboxAdapter(outbox),
        printer=adapter,
        queue=LocalQueueAdapter(state, today=lambda: "2026-11-29"),
    )
    config = SessionConfig(device_id="C01", staff_pin_hash=STAFF_HASH)
    session = KioskSession(default_catalog(), ports, config)
    ui = UiThread()
    watcher = CardWatcher(ScheduledObserver(session, ui.schedule), reader).start()
    yield session, ui, listener, reader
    session.wipe()  # closes a card handle a test left open, as the app does at the end
    watcher.stop()
    state.close()


def _sealed_bodies(outbox, kind):
    bodies = []
    for record in outbox.records_from(1, 100, 10_000_000):
        if record.header.kind == kind:
            bodies.append(open_record(record, CENTRAL))
    return bodies


def test_moving_in_journey_with_the_real_card_outbox_and_printer(kiosk, pcsc, outbox):
    session, ui, listener, reader = kiosk
    session.open_life_events()
    session.choose_life_event("moving_in")
    for q in list(session.life_event.questions):
        session.answer(q.id, q.id == "has_children_under_18")
    assert [i.procedure_id for i in session.checklist][:3] == [
        "moving_in",
        "mynumber_card_update",
        "pension_address",
    ]
    session.choose_procedure("moving_in")
    session.start_procedure()
    assert session.step is Step.PLACE_CARD
    with SimulatedCard("ordinary", port=pcsc.vpcd_port, reader_name=reader) as card:
        assert ui.pump_until(lambda: session.step is Step.PIN_ENTRY)
        assert session.tries_left == 3
        session.submit_pin("1234")
        assert session.step is Step.FORM_CONFIRM
        assert session.form.get("name") == "山田 花子"
        assert session.form.get("sex") == "2"
        for name, value in [
            ("name_kana", "ヤマダ ハナコ"),
            ("name_latin", "Hanako Yamada"),
            ("new_town", "sakura"),
            ("new_chome", "2"),
            ("new_lot", "15"),
            ("moved_on", "2026-11-20"),
            ("household_size", "3"),
            ("phone", "0532000000"),
        ]:
            assert session.correct_field(name, value), name
        assert session.confirm()
        assert session.step is Step.DONE, session.notice
        assert session.receipt_printed
        assert card.sim.verify_apdus(with_data=True).__len__() == 1
    assert ui.pump_until(lambda: not session.card_present)
    assert session.step is Step.DONE  # taking the card after submission is expected
    [pdf] = listener.wait_for_jobs(1, timeout=30)
    assert pdf.startswith(b"%PDF")
    [body] = _sealed_bodies(outbox, "application")
    assert body["procedure"] == "moving_in"
    assert body["values"]["name"] == "山田 花子"
    assert body["values"]["new_town"] == "sakura"
    [app_seq] = [
        r.header.seq
        for r in outbox.records_from(1, 100, 10_000_000)
        if r.header.kind == "application"
    ]
    assert session.reference.startswith(f"C01-{app_seq:06d}-")  # reference = device + seq
    session.finish()
    session.submit_survey(10, ["ease"])
    assert session.step is Step.HOME
    assert _sealed_bodies(outbox, "survey")[0]["score"] == 10


def test_wrong_then_right_pin_on_the_real_card(kiosk, pcsc):
    session, ui, listener, reader = kiosk
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    with SimulatedCard("ordinary", port=pcsc.vpcd_port, reader_name=reader) as card:
        assert ui.pump_until(lambda: session.step is Step.PIN_ENTRY)
        session.submit_pin("9999")
        assert session.step is Step.PIN_ENTRY
        assert session.notice.code is NoticeCode.WRONG_PIN and session.tries_left == 2
        assert len(card.sim.verify_apdus(with_data=True)) == 1  # no retry behind our back
        session.submit_pin("1234")
        assert session.step is Step.FORM_CONFIRM
        assert len(card.sim.verify_apdus(with_data=True)) == 2
        assert card.sim.tries["kenhojo"] == 3


def test_one_try_left_card_warns_before_entry(kiosk, pcsc):
    session, ui, listener, reader = kiosk
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    with SimulatedCard("one-try-left", port=pcsc.vpcd_port, reader_name=reader) as card:
        assert ui.pump_until(lambda: session.step is Step.PIN_ENTRY)
        assert session.last_try_warning
        assert card.sim.verify_apdus(with_data=True) == []


def test_card_pulled_mid_form_wipes_via_the_watcher(kiosk, pcsc):
    session, ui, listener, reader = kiosk
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    card = SimulatedCard("ordinary", port=pcsc.vpcd_port, reader_name=reader).insert()
    try:
        ok = ui.pump_until(lambda: session.step is Step.PIN_ENTRY)
        assert ok, (session.step, session.notice, session.card_present)
        session.submit_pin("1234")
        form = session.form
        assert form.get("name") == "山田 花子"
    finally:
        card.remove()
    assert ui.pump_until(lambda: session.step is Step.HOME)
    assert session.notice.code is NoticeCode.CARD_REMOVED
    assert form.get("name") == "" and session.form is None


def test_queue_tickets_from_localstate_and_printed(kiosk):
    session, ui, listener, reader = kiosk
    assert session.take_queue_ticket()
    assert session.step is Step.QUEUE_TICKET and session.ticket.number == "A-001"
    session.finish()
    session.skip_survey()
    session.take_queue_ticket()
    assert session.ticket.number == "A-002" and session.ticket.waiting_before == 1
    assert len(listener.wait_for_jobs(2, timeout=30)) == 2


def test_paper_out_at_receipt_time_then_staff_reprint(kiosk, pcsc, printer, cups_server, outbox):
    session, ui, listener, reader = kiosk
    queue = printer[0].queue
    session.choose_procedure("seal_registration_cancel")
    session.start_procedure()
    with SimulatedCard("ordinary", port=pcsc.vpcd_port, reader_name=reader):
        assert ui.pump_until(lambda: session.step is Step.PIN_ENTRY)
        session.submit_pin("1234")
        session.correct_field("phone", "0532000000")
        subprocess.run(["cupsdisable", "-h", cups_server.server, queue], check=True, timeout=30)
        assert session.confirm()
    assert session.step is Step.DONE
    assert not session.receipt_printed
    assert session.notice.code is NoticeCode.PRINTER_FAILED
    assert "paused" in session.notice.params["reasons"]
    assert session.reference and outbox.stats().last_seq == 1  # submitted all the same
    session.finish()
    session.skip_survey()
    session.refresh_status()
    assert not session.printer.ok and session.printer.pending_reprints == 1
    subprocess.run(["cupsenable", "-h", cups_server.server, queue], check=True, timeout=30)
    assert session.open_staff()
    assert session.submit_staff_pin("864200")
    assert session.staff_reprint()
    assert session.notice.params == {"count": 1}
    assert session.printer.ok and session.printer.pending_reprints == 0
    assert len(listener.wait_for_jobs(1, timeout=30)) == 1


@pytest.mark.parametrize(
    "profile, step, notice",
    [
        ("rare-kanji", Step.FORM_CONFIRM, None),
        ("long-address", Step.FORM_CONFIRM, None),
        ("sex-not-applicable", Step.FORM_CONFIRM, None),
        ("not-mynumber", Step.PLACE_CARD, NoticeCode.NOT_MYNUMBER_CARD),
        ("blocked", Step.PIN_BLOCKED, NoticeCode.PIN_BLOCKED),
        ("malformed-tlv", Step.PLACE_CARD, NoticeCode.CARD_ERROR),
    ],
)
def test_card_profiles_through_the_session(kiosk, pcsc, profile, step, notice):
    session, ui, listener, reader = kiosk
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    with SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=reader) as card:
        assert ui.pump_until(lambda: session.step is not Step.PLACE_CARD or session.notice)
        if session.step is Step.PIN_ENTRY:
            session.submit_pin(card.sim.profile.kenhojo_pin)
        assert session.step is step, (session.step, session.notice)
        assert (session.notice.code if session.notice else None) is notice
        if step is Step.FORM_CONFIRM:
            assert session.form.missing() == ["name_kana", "insured_count", "phone"]
            if profile == "rare-kanji":
                assert "𠮷" in session.form.get("name")
            if profile == "sex-not-applicable":
                assert session.form.get("sex") == "9"
        if profile == "blocked":
            assert card.sim.verify_apdus(with_data=True) == []
    session.wipe()


def test_threaded_worker_like_the_app(pcsc, outbox, printer, tmp_path):
    """As the app runs it: card I/O on the session's job thread, outcomes on the "UI thread"."""
    adapter, listener = printer
    ui = UiThread()
    reader = pcsc.reader_name(0)
    worker = ThreadWorker(ui.schedule)
    ports = SessionPorts(
        card=CardReaderAdapter(CardReader(reader)), outbox=OutboxAdapter(outbox), printer=adapter
    )
    session = KioskSession(default_catalog(), ports, SessionConfig(device_id="C01"), worker=worker)
    watcher = CardWatcher(ScheduledObserver(session, ui.schedule), reader).start()
    try:
        session.choose_procedure("seal_registration_cancel")
        session.start_procedure()
        with SimulatedCard("ordinary", port=pcsc.vpcd_port, reader_name=reader):
            assert ui.pump_until(lambda: session.step is Step.PIN_ENTRY)
            session.submit_pin("0000")
            assert session.step is Step.READING_CARD
            assert ui.pump_until(lambda: session.step is Step.PIN_ENTRY)
            assert session.tries_left == 2
            session.submit_pin("1234")
            assert ui.pump_until(lambda: session.step is Step.FORM_CONFIRM)
            session.correct_field("phone", "0532000000")
            session.confirm()
            assert ui.pump_until(lambda: session.step is Step.DONE)
        assert session.receipt_printed
        session.finish()
        session.submit_survey(7)
        assert ui.pump_until(lambda: outbox.stats().last_seq == 3)  # application, metric, survey
    finally:
        session.wipe()
        ui.pump_until(lambda: True, timeout=1)
        watcher.stop()
        worker.stop()
