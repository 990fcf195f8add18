"""How the session runs blocking port calls and how results reach the UI thread.

`InlineWorker` runs a job at once on the calling thread (tests, benches: deterministic, no
threads). `HeldWorker` keeps jobs until `release()` (a busy step stays up for a screenshot; a
test runs each held `(job, done)` when it likes, e.g. after a wipe). `ThreadWorker(scheduler)` runs each job on a daemon thread and hands the outcome to
`scheduler` (the UI passes e.g. `lambda fn: Clock.schedule_once(lambda dt: fn())`), so session
state is only ever touched on the UI thread. The session discards outcomes of jobs started before
a wipe (generation check), so a late card answer can never refill a wiped session.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Done", "HeldWorker", "InlineWorker", "Scheduler", "ThreadWorker", "Worker"]

Scheduler = Callable[[Callable[[], None]], None]
# done(result, error): exactly one of them is meaningful.
Done = Callable[[Any, BaseException | None], None]


class Worker(Protocol):
    def submit(self, job: Callable[[], Any], done: Done) -> None: ...


class InlineWorker:
    def submit(self, job: Callable[[], Any], done: Done) -> None:
        try:
            result = job()
        except Exception as e:  # noqa: BLE001 - handed to the session, which translates it
            done(None, e)
            return
        done(result, None)


class HeldWorker:
    """A `Worker` that runs a job only when `release()` is called; `pending` holds the
    `(job, done)` pairs submitted since. With `hold` False it runs each job as it comes."""

    def __init__(self) -> None:
        self.pending: list[tuple[Callable[[], Any], Done]] = []
        self.hold = True

    def submit(self, job: Callable[[], Any], done: Done) -> None:
        self.pending.append((job, done))
        if not self.hold:
            self.release()

    def release(self) -> None:
        """Run the jobs held so far (a job's outcome may submit the next one: that one waits)."""
        batch, self.pending = self.pending, []
        inline = InlineWorker()
        for job, done in batch:
            inline.submit(job, done)


class ThreadWorker:
    """One long-lived daemon thread runs the jobs in order: card calls always come from the same
    thread (a PC/SC connection belongs to the thread that made it) and never overlap."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Done] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], Any], done: Done) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="kiosk-session-jobs", daemon=True
                )
                self._thread.start()
        self._jobs.put((job, done))

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, done = item
            try:
                result = job()
            except Exception as e:  # noqa: BLE001 - handed to the session, which translates it
                error = e
                self._scheduler(lambda done=done, error=error: done(None, error))
                continue
            self._scheduler(lambda done=done, result=result: done(result, None))
