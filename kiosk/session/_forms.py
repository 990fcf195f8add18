"""The forms flow: the form prefilled from the card and the visit, corrected and confirmed by the
resident, then submitted to the outbox with a receipt (`KioskSession.flows.forms`).

Invariants:
- A value is set only when it validates for its field (`Form.set`); a bad one is refused with a
  notice naming the field, and the form keeps its other values.
- The submission is one outbox append; the card data and form values are blanked right after the
  outbox accepted it (the receipt and the done screen carry only the reference number). With the
  resident's consent, a copy is kept for the visit first (`_visit`).
- An outbox that refuses (disk full) leaves the form on screen, nothing lost, with a notice.
- The flow keeps no state of its own: the form is the session's `VisitState`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from kiosk.session._base import _SessionCore
from kiosk.session.ports import PortOutboxFullError, PortPrintError
from kiosk.session.steps import NoticeCode, Step
from sync.readable_reference import format_reference

__all__ = ["FormsFlow", "readable_reference", "stamp"]


def readable_reference(s: _SessionCore, seq: int) -> str:
    """`C01-0017-3` (`C01B-0017-3` with a terminal mark) when the center code is configured:
    unique city-wide without coordination, read out and typed in at the counter
    (`sync.readable_reference`); else the former `<device>-<seq>-<check>` (`s._reference`).
    Bookings keep the former form: central's booking look-up parses that."""
    if not s.config.reference_center:
        return s._reference(seq)
    return format_reference(s.config.reference_center, s.config.reference_mark, seq)


def stamp(s: _SessionCore) -> str:
    """The date and time printed on receipts and slips (local wall clock)."""
    return _dt.datetime.fromtimestamp(s._wall_clock()).strftime("%Y-%m-%d %H:%M")


class FormsFlow:
    """The form: values prefilled from the card and the visit, corrected and confirmed by the
    resident, then submitted to the outbox with a receipt."""

    __slots__ = ("_s",)

    def __init__(self, session: _SessionCore) -> None:
        self._s = session  # the KioskSession (typed as its core: no import of the session)

    def use_card_for_visit(self, on: bool) -> bool:
        """The consent question sits on the first form (see `_visit`)."""
        return self._s.use_card_for_visit(on)

    def cancel(self) -> bool:
        """Cancel on the form: back (the visit's hub, or the end of the service)."""
        return self._s.back()

    def correct_field(self, name: str, value: str) -> bool:
        s = self._s
        if s.step is not Step.FORM_CONFIRM or s.form is None:
            return False
        s.touch()
        ok = s.form.set(name, value)
        if ok:
            s.notice = None
        else:
            s._notice(NoticeCode.INVALID_VALUE, field=name)
        s._changed()
        return ok

    def confirm(self) -> bool:
        """Submit the confirmed form to the outbox, then print the receipt."""
        s = self._s
        if s.step is not Step.FORM_CONFIRM or s.form is None or s.procedure is None:
            return False
        s.touch()
        missing = s.form.missing()
        if missing:
            s._notice(NoticeCode.MISSING_VALUES, fields=missing)
            s._changed()
            return False
        proc, lang = s.procedure, s.language
        body = {
            "procedure": proc.id,
            "catalog_version": s.catalog.version,
            "language": lang,
            "submitted_at": s._wall_clock(),
            **s.form.record_body(),
        }
        # Where next (counter, deadline, what to bring) in the life event's context.
        next_steps = s.where_next(proc)
        s.notice = None
        s._go(Step.SUBMITTING)
        s._changed()

        def job() -> tuple[Any, str, PortPrintError | None]:
            appended = s.ports.outbox.append(proc.record_kind, body)
            reference = readable_reference(s, appended.seq)
            receipt = {
                "reference": reference,
                "qr": reference,
                "title": proc.name[lang],
                "completion": proc.completion.kind.value,
                "office": proc.completion.office[lang] if proc.completion.office else None,
                "documents": [d[lang] for d in proc.documents],
                "fee_yen": proc.fee_yen,
                "date": stamp(s),
                **next_steps,
            }
            try:
                s._print("receipt", receipt)
            except PortPrintError as e:
                return appended, reference, e
            return appended, reference, None

        def done(result: Any, error: BaseException | None) -> None:
            if isinstance(error, PortOutboxFullError):
                s._go(Step.FORM_CONFIRM)
                s._notice(NoticeCode.OUTBOX_FULL)
                return
            if error is not None:
                raise error
            _, s.reference, print_error = result
            if s.form is not None:
                s.flows.visit.keep_for_visit(s.form)  # with the resident's consent only
            self.drop_personal_data()
            s.receipt_printed = print_error is None
            if print_error is not None:
                s._notice(NoticeCode.PRINTER_FAILED, reasons=list(print_error.reasons))
            s._go(Step.DONE)

        s._run(job, done)
        return True

    def drop_personal_data(self) -> None:
        s = self._s
        if s._card_data is not None:
            s._card_data.wipe()
            s._card_data = None
        if s.form is not None:
            s.form.wipe()
            s.form = None
        s._auth = None
