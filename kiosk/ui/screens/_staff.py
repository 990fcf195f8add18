"""Staff screens: the staff PIN, the staff menu and diagnostics (counts and states only)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from kivy.properties import BooleanProperty

from kiosk.ui.screens._base import KScreen


class StaffPinScreen(KScreen):
    GUIDANCE = ""

    def submit(self, value: str) -> None:
        self.ids.pin.value = ""
        if value:
            self.act(self.flows.staff.submit_pin, value)


class StaffMenuScreen(KScreen):
    def render(self, s: Any) -> None:
        app = self.host
        sync = s.sync
        self.ids.queue.text = (
            app.tr("Waiting: {n}", n=s.queue_waiting)
            + ("   " + app.tr("Now calling: {n}", n=s.called_ticket) if s.called_ticket else "")
            + "   "
            + app.tr("Staff calls: {n}", n=s.staff_calls)
        )
        # Each printer by what it prints (a role not reported follows the receipt printer's
        # state), its reasons only when it cannot print; the words carry their own label.
        reasons = dict((r[0], r[2]) for r in s.printer.roles)
        parts = []
        for role, ok in (
            ("receipt", s.printer.role_ok("receipt")),
            ("document", s.printer.role_ok("document")),
        ):
            word = (
                app.tr("Receipts: ready" if ok else "Receipts: unavailable")
                if role == "receipt"
                else app.tr("A4: ready" if ok else "A4: unavailable")
            )
            why = reasons.get(role, s.printer.reasons if role == "receipt" else ())
            parts.append(word + (f" ({', '.join(why)})" if not ok and why else ""))
        self.ids.printer.text = app.tr(
            "{printers}; failed prints waiting: {n}",
            printers="  ".join(parts), n=s.printer.pending_reprints,
        )  # fmt: skip
        self.ids.outbox.text = app.tr(
            "Outbox: {n} records waiting; {online}", n=sync.outbox_depth,
            online=app.tr("Online" if sync.online else "Offline"),
        ) + "   " + (
            app.tr("Last sync: {time}", time=_when(sync.last_sync)) if sync.last_sync
            else app.tr("Never synced")
        )  # fmt: skip


def _when(t: float | None) -> str:
    """Local date and time of a wall-clock timestamp (what staff read out to IT)."""
    return _dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S") if t is not None else "-"


def _bytes(n: int | None) -> str:
    if n is None:
        return "?"
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    return f"{n / 1024**2:.0f} MB"


def _failed(v: Any) -> bool:
    return type(v).__name__ == "ProbeFailed"


def _unknown(app: Any, v: Any) -> str:
    cause = getattr(v, "cause", "")
    return app.tr("Unknown ({cause})", cause=cause) if cause else app.tr("Unknown")


def _role_name(app: Any, role: str) -> str:
    if role == "receipt":
        return app.tr("Receipt printer")
    if role == "document":
        return app.tr("Document printer")
    return role


class StaffDiagnosticsScreen(KScreen):
    """The session's `Diagnostics` snapshot, one row per part; a part that needs a look is drawn
    in the warning style. Names, states, counts and times only: nothing here is personal."""

    refreshing = BooleanProperty(False)
    ROWS = ("device", "software", "reader", "printers", "outbox", "disk", "sync", "clock")
    PROBLEM_ROW = {"site": "device", "reader": "reader", "printer": "printers",
                   "reprints": "printers", "outbox": "outbox", "disk": "disk", "sync": "sync",
                   "clock": "clock"}  # fmt: skip

    def render(self, s: Any) -> None:
        app = self.host
        self.refreshing = bool(s.diagnostics_refreshing)
        d = s.diagnostics
        if d is None:
            self.ids.taken_at.text = app.tr("Reading...")
            for row in self.ROWS:
                self._row(row, "", False)
            return
        self.ids.taken_at.text = app.tr("Taken at {time}", time=_when(d.taken_at))
        warn = {self.PROBLEM_ROW[p] for p in d.problems if p in self.PROBLEM_ROW}
        site = _unknown(app, d.site) if _failed(d.site) else " / ".join(
            x for x in (d.site.center, d.site.city) if x
        )  # fmt: skip
        self._row("device", f"{d.device_id} · {site}", "device" in warn)
        self._row("software", app.tr("Version {version}, catalog {catalog}",
                                     version=d.software_version, catalog=d.catalog_version),
                  "software" in warn)  # fmt: skip
        self._row("reader", self._reader(app, d), "reader" in warn)
        self._row("printers", self._printers(app, d), "printers" in warn)
        self._row("outbox", self._outbox(app, d), "outbox" in warn)
        self._row("disk", self._disk(app, d), "disk" in warn)
        self._row("sync", self._sync(app, d), "sync" in warn)
        self._row("clock", self._clock(app, d), "clock" in warn)

    def _row(self, name: str, text: str, warn: bool) -> None:
        label = self.ids[name]
        label.text = text
        label.style = "warn" if warn else "body"
        label.filled = warn

    @staticmethod
    def _reader(app: Any, d: Any) -> str:
        r = d.reader
        if _failed(r):
            text = _unknown(app, r)
        elif r.present:
            text = r.name
        elif r.name:
            text = app.tr("Not found: {name}", name=r.name)
        else:
            text = app.tr("No reader")
        card = app.tr("Card inserted" if d.card_present else "No card in the reader")
        refusal = getattr(d, "last_card_refusal", None)
        if refusal:  # a code for staff (e.g. revoked, not_genuine:bad_signature), no card data
            return f"{text} · {card}\n" + app.tr("Last card refused: {reason}", reason=refusal)
        return f"{text} · {card}"

    @staticmethod
    def _printers(app: Any, d: Any) -> str:
        lines = []
        if _failed(d.printers):
            lines.append(_unknown(app, d.printers))
        else:
            for p in d.printers:
                if p.ok:
                    lines.append(app.tr("{role}: ready (queue {queue})",
                                        role=_role_name(app, p.role), queue=p.queue))  # fmt: skip
                else:
                    lines.append(app.tr("{role}: {state}, {reasons} (queue {queue})",
                                        role=_role_name(app, p.role), state=p.state,
                                        reasons=", ".join(p.reasons) or "-", queue=p.queue))  # fmt: skip
        n = _unknown(app, d.pending_reprints) if _failed(d.pending_reprints) else d.pending_reprints
        lines.append(app.tr("Failed prints waiting: {n}", n=n))
        return "\n".join(lines)

    @staticmethod
    def _outbox(app: Any, d: Any) -> str:
        o = d.outbox
        if _failed(o):
            return _unknown(app, o)
        return app.tr("{n} records waiting; last seq {seq}, last acked {acked}",
                         n=o.pending, seq=o.last_seq, acked=o.last_acked_seq)  # fmt: skip

    @staticmethod
    def _disk(app: Any, d: Any) -> str:
        o = d.outbox
        if _failed(o) or o.free_bytes is None:
            return _unknown(app, o)
        return app.tr("{free} free (reserve {reserve})",
                         free=_bytes(o.free_bytes), reserve=_bytes(o.reserve_bytes))  # fmt: skip

    @staticmethod
    def _sync(app: Any, d: Any) -> str:
        online = getattr(d.sync, "online", None)
        state = (
            _unknown(app, d.sync) if online is None else app.tr("Online" if online else "Offline")
        )
        last = d.last_sync
        when = app.tr("Last sync: {time}", time=_when(last)) if last else app.tr("Never synced")
        a = d.agent
        if a is None:
            agent = app.tr("No status from the sync agent")
        elif _failed(a):
            agent = app.tr("Sync agent: {state}", state=_unknown(app, a))
        else:
            agent = " · ".join((
                app.tr("Sync agent: {state}", state=a.state)
                + (f" ({a.last_error})" if a.last_error else ""),
                app.tr("Reconnects: {n}; catalog received: {version}",
                       n=a.reconnects, version=a.catalog_version),
            ))  # fmt: skip
        return f"{state} · {when}\n{agent}"

    @staticmethod
    def _clock(app: Any, d: Any) -> str:
        c = d.clock
        if _failed(c):
            return _unknown(app, c)
        trusted = {True: app.tr("Synchronized"), False: app.tr("Not synchronized")}.get(
            c.synchronized, app.tr("Not known whether synchronized")
        )
        return f"{_when(c.now)} · {trusted}"

    def clear(self) -> None:
        for row in self.ROWS:
            self._row(row, "", False)
        self.ids.taken_at.text = ""
        super().clear()
