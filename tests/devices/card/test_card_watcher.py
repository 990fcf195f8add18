"""Card insert/remove events: the watcher reports them from its own thread, in order, for the
reader(s) it watches, including a card already present at start; `ScheduledObserver` hands them
to whatever clock the UI passes in; an observer that raises does not stop the watching."""

import queue
import threading

from devices.card import CardReader, CardRemovedError, CardWatcher, ScheduledObserver
from devices.card.simulator import SimulatedCard

TIMEOUT = 10


class Recorder:
    def __init__(self, fail_first=False):
        self.events: queue.Queue = queue.Queue()
        self.threads: set[str] = set()
        self.fail_first = fail_first

    def _record(self, kind, reader):
        self.threads.add(threading.current_thread().name)
        self.events.put((kind, reader))
        if self.fail_first:
            self.fail_first = False
            raise RuntimeError("observer bug")

    def card_inserted(self, reader_name):
        self._record("inserted", reader_name)

    def card_removed(self, reader_name):
        self._record("removed", reader_name)

    def next(self):
        return self.events.get(timeout=TIMEOUT)


def _card(pcsc, slot=0, profile="ordinary"):
    return SimulatedCard(profile, port=pcsc.vpcd_port + slot, reader_name=pcsc.reader_name(slot))


def test_insert_and_remove_reported_from_the_watcher_thread(pcsc):
    rec = Recorder(fail_first=True)
    r0 = pcsc.reader_name(0)
    with CardWatcher(rec) as watcher:
        for _ in range(2):  # the first callback raised: the second round proves it survived
            with _card(pcsc):
                assert rec.next() == ("inserted", r0)
            assert rec.next() == ("removed", r0)
        assert watcher._thread is not None and watcher._thread.is_alive()
        thread = watcher._thread
    assert not thread.is_alive()
    assert rec.threads == {"card-watcher"}
    assert rec.events.empty()


def test_card_present_at_start_and_pulled_mid_command(pcsc):
    rec = Recorder()
    r0 = pcsc.reader_name(0)
    with _card(pcsc) as inserted:
        with CardWatcher(rec, reader_name=r0):
            assert rec.next() == ("inserted", r0)
            with CardReader(r0).connect() as card:
                inserted.link.remove_after_apdus(1)
                try:
                    card.kenhojo_tries_left()
                except CardRemovedError:
                    pass
            assert rec.next() == ("removed", r0)


def test_watching_one_reader_ignores_the_other(pcsc):
    rec = Recorder()
    r0, r1 = pcsc.reader_name(0), pcsc.reader_name(1)
    with CardWatcher(rec, reader_name=r1):
        with _card(pcsc, slot=0):
            with _card(pcsc, slot=1):
                assert rec.next() == ("inserted", r1)  # nothing came for slot 0 before it
            assert rec.next() == ("removed", r1)
    assert rec.events.empty()
    assert r0 != r1


def test_scheduled_observer_runs_callbacks_on_the_ui_clock(pcsc):
    rec = Recorder()
    ui_queue: queue.Queue = queue.Queue()  # stands for Clock.schedule_once
    r0 = pcsc.reader_name(0)
    with CardWatcher(ScheduledObserver(rec, ui_queue.put)):
        with _card(pcsc):
            fn = ui_queue.get(timeout=TIMEOUT)
            assert rec.events.empty()  # nothing ran on the watcher thread
            fn()
            assert rec.next() == ("inserted", r0)
        ui_queue.get(timeout=TIMEOUT)()
        assert rec.next() == ("removed", r0)
    assert rec.threads == {threading.current_thread().name}


def test_stop_is_idempotent_and_restartable(pcsc):
    rec = Recorder()
    watcher = CardWatcher(rec)
    watcher.stop()  # never started
    watcher.start()
    watcher.stop()
    watcher.stop()
    with watcher, _card(pcsc):
        assert rec.next() == ("inserted", pcsc.reader_name(0))
