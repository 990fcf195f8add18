"""The staff-PIN failure count and lockout, kept in a small JSON file so that a restart or a
power cycle does not reset them (issue 16.7).

Invariants:
- Every change (a failure, a lockout, a success) is written with `madoguchi.core.durable.write_atomic`
  (temp file, fsync, rename, directory fsync) before the session answers: after a crash the
  file holds the old or the new state, never a mix, and never less than what staff were shown.
- Times are wall-clock seconds (the monotonic clock restarts with the process). A Pi has no
  real-time clock, so the wall clock may jump back at boot: a lockout that seems to end later
  than `now + lockout_s` is cut to `now + lockout_s`, never lifted early by that jump.
- An unreadable or damaged file counts as a lockout starting now (logged by class name): a
  damaged counter must not hand out fresh tries. A missing file is a clean start.
- Without a path (`None`) the state lives in memory only (tests, the preview).
- No PIN, hash or personal data is ever written; only counts and times.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from madoguchi.core.durable import write_atomic

log = logging.getLogger("kiosk.session")


@dataclass
class _State:
    failures: int = 0
    locked_until: float = 0.0


class StaffLockout:
    """`max_failures` wrong entries in a row lock staff entry for `lockout_s` seconds."""

    def __init__(
        self, path: Path | str | None, *, max_failures: int, lockout_s: float, now: float
    ) -> None:
        self.path = None if path is None else Path(path)
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self._state = self._load(now)

    def _load(self, now: float) -> _State:
        if self.path is None:
            return _State()
        try:
            data = json.loads(self.path.read_text(encoding="ascii"))
            failures, locked_until = data["failures"], data["locked_until"]
            if type(failures) is not int or not isinstance(locked_until, int | float):
                raise ValueError("wrong types")
            if failures < 0:
                raise ValueError("negative count")
            return _State(failures, float(locked_until))
        except FileNotFoundError:
            return _State()
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("staff lockout file unreadable (%s): locked for now", type(e).__name__)
            state = _State(0, now + self.lockout_s)
            self._save(state)
            return state

    def _save(self, state: _State) -> None:
        if self.path is None:
            return
        data = {"failures": state.failures, "locked_until": state.locked_until}
        write_atomic(self.path, json.dumps(data).encode("ascii"))

    def locked(self, now: float) -> bool:
        if self._state.locked_until - now > self.lockout_s:
            # The wall clock went back (no RTC): the lockout still lasts a full period from now.
            self._state.locked_until = now + self.lockout_s
            self._save(self._state)
        return now < self._state.locked_until

    @property
    def failures(self) -> int:
        return self._state.failures

    def failed(self, now: float) -> None:
        """One wrong entry (or any entry while locked): count it, lock at the limit."""
        failures = self._state.failures + 1
        if failures >= self.max_failures:
            self._state = _State(0, now + self.lockout_s)
            log.warning("staff PIN: %d wrong entries, locked for %.0f s", failures, self.lockout_s)
        else:
            self._state = _State(failures, self._state.locked_until)
        self._save(self._state)

    def succeeded(self) -> None:
        if self._state != _State():
            self._state = _State()
            self._save(self._state)
