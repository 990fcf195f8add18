"""How the session runs blocking port calls and how results reach the UI thread.

`InlineWorker` runs a job at once on the calling thread (tests, benches: deterministic, no
threads). `ThreadWorker(scheduler)` runs each job on a daemon thread and hands the outcome to
`scheduler` (the UI passes e.g. `lambda fn: Clock.schedule_once(lambda dt: fn())`), so session
state is only ever touched on the UI thread. The session discards outcomes of jobs started before
a wipe (generation check), so a late card answer can never refill a wiped session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Done", "InlineWorker", "Scheduler", "ThreadWorker", "Worker"]

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


class ThreadWorker:
    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler

    def submit(self, job: Callable[[], Any], done: Done) -> None:
        def run() -> None:
            try:
                result = job()
            except Exception as e:  # noqa: BLE001 - handed to the session, which translates it
                error = e
                self._scheduler(lambda: done(None, error))
                return
            self._scheduler(lambda: done(result, None))

        threading.Thread(target=run, name="kiosk-session-job", daemon=True).start()
