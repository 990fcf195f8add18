"""Card insert/remove events from a monitor thread, and an adapter that hands them to the UI clock.

Invariants: `CardWatcher` calls `observer.card_inserted(reader)` / `observer.card_removed(reader)` on
its own thread, in the order pcscd saw the events, at most once per change (a quick
remove-and-insert between two polls is reported as removed then inserted, by pcscd's event
counter). A card already present at `start()` is reported as inserted. An exception raised by the
observer is logged and never stops the thread. `stop()` returns within about a second. If pcscd is
down the thread waits and retries; cards that vanished with it are reported removed.
`ScheduledObserver` forwards each call through a `schedule(fn)` callable (the kiosk passes
`lambda fn: Clock.schedule_once(lambda dt: fn())`), so no UI code runs on the monitor thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from smartcard import scard as _scard

from devices.card._pcsc import PNP_NOTIFICATION, Context
from devices.card.errors import CardError

__all__ = [
    "CardObserver",
    "CardWatcher",
    "ScheduledObserver",
    "card_event_count",
    "wait_for_card",
]

log = logging.getLogger(__name__)

_POLL_MS = 500
_RETRY_S = 1.0

_PRESENT = _scard.SCARD_STATE_PRESENT
_CHANGED = _scard.SCARD_STATE_CHANGED
_UNAWARE = _scard.SCARD_STATE_UNAWARE
_UNKNOWN = _scard.SCARD_STATE_UNKNOWN | _scard.SCARD_STATE_IGNORE


class CardObserver(Protocol):
    def card_inserted(self, reader_name: str) -> None: ...
    def card_removed(self, reader_name: str) -> None: ...


class ScheduledObserver:
    """Wraps an observer so each call runs later through `schedule(fn)` (e.g. on the UI clock)."""

    def __init__(self, observer: CardObserver, schedule: Callable[[Callable[[], None]], object]):
        self._observer = observer
        self._schedule = schedule

    def card_inserted(self, reader_name: str) -> None:
        self._schedule(lambda: self._observer.card_inserted(reader_name))

    def card_removed(self, reader_name: str) -> None:
        self._schedule(lambda: self._observer.card_removed(reader_name))


class CardWatcher:
    """Watch one reader (or every reader, when `reader_name` is None) for card changes."""

    def __init__(self, observer: CardObserver, reader_name: str | None = None) -> None:
        self._observer = observer
        self._reader_name = reader_name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: Context | None = None
        self._lock = threading.Lock()

    def start(self) -> CardWatcher:
        if self._thread is not None:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="card-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._context is not None:
                self._context.cancel()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def __enter__(self) -> CardWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the monitor thread ------------------------------------------------------------------
    def _emit(self, event: str, reader: str) -> None:
        try:
            getattr(self._observer, event)(reader)
        except Exception:  # noqa: BLE001 - an observer bug must not kill card monitoring
            log.exception("card observer failed on %s", event)

    def _run(self) -> None:
        present: dict[str, int] = {}  # reader -> event counter of the card we reported
        while not self._stop.is_set():
            try:
                context = Context()
            except CardError as e:
                log.warning("card watcher: %s; retrying", e)
                self._stop.wait(_RETRY_S)
                continue
            with self._lock:
                self._context = context
            try:
                self._watch(context, present)
            except CardError as e:
                log.warning("card watcher: %s; retrying", e)
                for reader in sorted(present):
                    self._emit("card_removed", reader)
                present.clear()
                self._stop.wait(_RETRY_S)
            finally:
                with self._lock:
                    self._context = None
                context.release()

    def _readers(self, context: Context) -> list[str]:
        names = context.readers()
        if self._reader_name is not None:
            return [n for n in names if n == self._reader_name]
        return names

    def _watch(self, context: Context, present: dict[str, int]) -> None:
        states: dict[str, int] = {}
        readers = self._readers(context)
        for reader in list(present):  # readers that went away while we were not watching
            if reader not in readers:
                del present[reader]
                self._emit("card_removed", reader)
        while not self._stop.is_set():
            query = [(r, states.get(r, _UNAWARE)) for r in readers]
            query.append((PNP_NOTIFICATION, states.get(PNP_NOTIFICATION, _UNAWARE)))
            result = context.status_change(query, _POLL_MS)
            if result is None:
                continue
            reader_list_changed = False
            for reader, state, _atr in result:
                if reader == PNP_NOTIFICATION:
                    if states.get(reader, _UNAWARE) != _UNAWARE and state & _CHANGED:
                        reader_list_changed = True
                    states[reader] = state & ~_CHANGED
                    continue
                states[reader] = state & ~_CHANGED
                self._update(reader, state, present)
            if reader_list_changed:
                new = self._readers(context)
                for gone in set(readers) - set(new):
                    states.pop(gone, None)
                    if gone in present:
                        del present[gone]
                        self._emit("card_removed", gone)
                readers = new

    def _update(self, reader: str, state: int, present: dict[str, int]) -> None:
        counter = (state >> 16) & 0xFFFF
        has_card = bool(state & _PRESENT) and not state & _UNKNOWN
        if reader in present:
            if not has_card:
                del present[reader]
                self._emit("card_removed", reader)
            elif present[reader] != counter and counter > present[reader] + 1:
                # removed and inserted again between two looks: report both
                present[reader] = counter
                self._emit("card_removed", reader)
                self._emit("card_inserted", reader)
            else:
                present[reader] = counter
        elif has_card:
            present[reader] = counter
            self._emit("card_inserted", reader)


def card_event_count(reader_name: str) -> int:
    """pcscd's insert/remove event counter for a reader (it grows by one per change it saw)."""
    with Context() as context:
        result = context.status_change([(reader_name, _UNAWARE)], 0)
    return 0 if result is None else (result[0][1] >> 16) & 0xFFFF


def wait_for_card(
    reader_name: str,
    present: bool = True,
    timeout: float = 10.0,
    *,
    newer_than: int | None = None,
) -> bool:
    """Block until pcscd reports a card (or no card) in `reader_name`; False on timeout.

    Waits on SCardGetStatusChange, so it returns as soon as pcscd's own poll sees the change.
    With `newer_than` (a `card_event_count`), it also waits until pcscd's event counter has
    moved past it: after a card vanished mid-command, pcscd shows "empty" at once but only
    registers the removal at its next poll, and a card inserted before that poll goes unseen.
    """
    deadline = time.monotonic() + timeout
    with Context() as context:
        state = _UNAWARE
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                return False
            result = context.status_change([(reader_name, state)], min(left_ms, _POLL_MS))
            if result is None:
                continue
            state = result[0][1] & ~_CHANGED
            counter = (state >> 16) & 0xFFFF
            if newer_than is not None and counter <= newer_than:
                continue
            if state & _UNKNOWN:
                if not present:
                    return True
                continue
            if bool(state & _PRESENT) == present:
                return True
