"""「係員を呼ぶ」 answered for real: the call goes to the center's staff console and the terminal
says honestly where it stands.

With an alert port that reaches the queue host (`raise_call(screen) -> id`,
`call_state(id) -> {"state", "repeats"}`, e.g. `kiosk.staff_alert.StaffAlert` with a center), the
notice walks: `staff_calling` (呼び出し中) → `staff_coming` (係員が向かっています) once a staff
member tapped 向かいます; while nobody answered for `StaffAlert.repeat_s` it is
`staff_unanswered{repeats}` and the terminal's spoken call repeats; a call that could not be
delivered is `staff_call_failed` (please go to the counter), never a promise that someone comes.
Without such a port the old behaviour stays (`staff_called`, spoken at the terminal).

Invariants: only the screen's name and the terminal's id leave the terminal; polling runs on the
worker every `_POLL_S`, at most one request in flight; a wipe drops the resident's notice (the call
stays on the console until answered).
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.session._base import _SessionCore
from kiosk.session.steps import NoticeCode

log = logging.getLogger("kiosk.session")

_POLL_S = 2.0


class _StaffCallFlow(_SessionCore):
    _staff_call_id: str | None = None
    _staff_call_busy = False
    _staff_call_polled = float("-inf")
    _staff_call_repeats = 0
    staff_call_state: str | None = None  # calling, coming, unanswered, failed

    def call_staff(self) -> None:
        alert = self.ports.alert
        if alert is None or not hasattr(alert, "raise_call"):
            super().call_staff()
            return
        active = self._staff_call_id is not None and self.staff_call_state != "coming"
        super().call_staff()  # metric, spoken call at the terminal, repeat limit
        if active or self._staff_call_busy:
            self._show_staff_call()
            self._changed()
            return
        screen = self.step.value
        self._staff_call_busy = True
        self.staff_call_state = "calling"
        self._staff_call_repeats = 0
        self._show_staff_call()

        def done(call_id: Any, error: BaseException | None) -> None:
            self._staff_call_busy = False
            if error is not None:
                log.warning("staff call not delivered: %s", type(error).__name__)
                self._staff_call_id = None
                self.staff_call_state = "failed"
            else:
                self._staff_call_id = str(call_id)
                self._staff_call_polled = self._clock()
            self._show_staff_call()

        self._changed()
        self._worker.submit(lambda: alert.raise_call(screen), self._on_ui(done))

    def tick(self, now: float | None = None) -> None:
        super().tick(now)
        now = self._clock() if now is None else now
        call_id, alert = self._staff_call_id, self.ports.alert
        if call_id is None or self._staff_call_busy or alert is None:
            return
        if self.staff_call_state == "coming" or now - self._staff_call_polled < _POLL_S:
            return
        self._staff_call_polled = now
        self._staff_call_busy = True

        def done(state: Any, error: BaseException | None) -> None:
            self._staff_call_busy = False
            if error is not None:
                log.info("staff call state unknown: %s", type(error).__name__)
                return  # keep the last honest state; ask again on the next poll
            if state.get("state") == "answered":
                self.staff_call_state = "coming"
            elif int(state.get("repeats", 0)) > self._staff_call_repeats:
                self._staff_call_repeats = int(state["repeats"])
                self.staff_call_state = "unanswered"
                self._worker.submit(lambda: alert.staff_called(self.staff_calls), self._log_alert)
            self._show_staff_call()

        self._worker.submit(lambda: alert.call_state(call_id), self._on_ui(done))

    def _on_ui(self, done):
        # Results come back through the worker's callback; the UI thread's observers then see
        # the change. A wipe meanwhile only drops the resident's notice (see _show_staff_call).
        def callback(result: Any, error: BaseException | None) -> None:
            done(result, error)
            self._changed()

        return callback

    def _show_staff_call(self) -> None:
        if not self.staff_called:  # wiped since: the next resident sees nothing of it
            return
        code = {
            "calling": NoticeCode.STAFF_CALLING,
            "coming": NoticeCode.STAFF_COMING,
            "unanswered": NoticeCode.STAFF_UNANSWERED,
            "failed": NoticeCode.STAFF_CALL_FAILED,
        }.get(self.staff_call_state or "")
        if code is NoticeCode.STAFF_UNANSWERED:
            self._notice(code, repeats=self._staff_call_repeats)
        elif code is not None:
            self._notice(code)
