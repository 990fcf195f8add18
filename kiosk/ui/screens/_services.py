"""Screens of the other services and endings: certificates, consultation booking, queue
ticket, the satisfaction survey, "still there?", service error and out of service."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.ui.screens._base import KScreen


class CertificateChooseScreen(KScreen):
    GUIDANCE = "Choose the certificate, the number of copies and the purpose."
    cert_id = StringProperty("")  # presentation only until "continue" makes one call
    copies = NumericProperty(1)
    purpose = StringProperty("")
    has_options = BooleanProperty(False)
    # What a 住民票の写し includes (as at コンビニ交付 machines): household "self"/"all" and the
    # items below; central checks them (sync.central.certificate_content).
    OPTION_ITEMS = (
        ("head", "Head of household and relationship"),
        ("domicile", "Registered domicile"),
        ("moved_in", "Date you became a resident"),
        ("my_number", "Individual number (My Number)"),
    )
    OPTION_TYPES = ("resident_record", "resident_record_items")

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.options: dict[str, Any] = {}

    def render(self, s: Any) -> None:
        certs = s.catalog.certificates
        if self.cert_id not in certs:
            self.cert_id = next(iter(certs), "")
        # The fee beside each certificate (per copy), the total by the confirm button.
        self.fill(self.ids.types, [(f"cert_{c.id}",
                                    self.tr("{name}: {fee} yen per copy", name=self.t(s, c.name),
                                            fee=f"{c.fee_yen:,}"),
                                    "selected" if c.id == self.cert_id else "choice",
                                    lambda cid=c.id: self.pick(cid)) for c in certs.values()],
                  personal=False)  # fmt: skip
        cert = certs.get(self.cert_id)
        purposes = cert.purposes if cert else ()
        if purposes and self.purpose not in {p.id for p in purposes}:
            self.purpose = ""
        self.fill(self.ids.purposes, [(f"purpose_{p.id}", self.t(s, p.label),
                                       "selected" if p.id == self.purpose else "choice",
                                       lambda pid=p.id: self.pick_purpose(pid)) for p in purposes],
                  personal=False)  # fmt: skip
        self._render_options()
        fee = cert.fee_yen * int(self.copies) if cert else 0
        self.ids.fee.text = self.tr("Total: {fee} yen", fee=f"{fee:,}")
        if self.flows.certificates.printers_missing():  # marked before the card step
            self.ids.fee.text = "\n".join((self.tr(
                "Certificates cannot be printed here now: the printer is not working."),
                self.ids.fee.text))  # fmt: skip

    def _render_options(self) -> None:
        app = self.host
        self.has_options = self.cert_id in self.OPTION_TYPES
        if not self.has_options:
            self.options = {}
            self.fill(self.ids.options, [], personal=False)
            return
        everyone = self.options.get("household") == "all"
        rows = [
            ("opt_household_self", app.tr("Only me"), "choice" if everyone else "selected",
             lambda: self.set_option("household", "self")),
            ("opt_household_all", app.tr("Whole household"), "selected" if everyone else "choice",
             lambda: self.set_option("household", "all")),
        ]  # fmt: skip
        rows += [
            (f"opt_{key}", app.tr(label), "selected" if self.options.get(key) else "choice",
             lambda k=key: self.set_option(k, not self.options.get(k)))
            for key, label in self.OPTION_ITEMS
        ]  # fmt: skip
        self.fill(self.ids.options, rows, personal=False)

    def set_option(self, key: str, value: Any) -> None:
        self.options = {**self.options, key: value}
        self.render(self.session)

    def pick(self, cid: str) -> None:
        self.cert_id, self.copies, self.purpose = cid, 1, ""
        self.options = {}
        self.render(self.session)

    def pick_purpose(self, pid: str) -> None:
        self.purpose = pid
        self.render(self.session)

    def set_copies(self, n: int) -> None:
        s = self.session
        cert = s.catalog.certificates.get(self.cert_id)
        self.copies = max(1, min(int(n), cert.max_copies if cert else 1))
        self.render(s)

    def submit(self) -> None:
        options = {k: v for k, v in self.options.items() if v} or None
        self.act(
            self.flows.certificates.choose,
            self.cert_id,
            int(self.copies),
            self.purpose or None,
            options,
        )

    def clear(self) -> None:
        self.cert_id, self.copies, self.purpose = "", 1, ""
        self.options = {}
        super().clear()


class CertificatePrintedScreen(KScreen):
    GUIDANCE = "Your certificate was printed. Please take it."


class ClaimSlipScreen(KScreen):
    GUIDANCE = "Your request was saved. Please take the claim slip."

    def render(self, s: Any) -> None:
        app = self.host
        self.ids.reference.text = s.reference or ""
        cert = s.certificate
        certificates = self.flows.certificates
        where = certificates.where_next(cert.certificate_id) if cert is not None else {}
        lines = []
        if where.get("office"):
            lines.append(app.tr("Collect at: {office}", office=where["office"]))
        if where.get("office"):  # when and with what (the card is checked again there)
            lines.append(app.tr("From today, during the counter's opening hours, show this claim"
                                " slip and your My Number Card there."))  # fmt: skip
        if where.get("documents"):
            sep = "、" if s.language in ("ja", "ja-easy", "zh-Hans") else ", "
            lines.append(app.tr("Bring: {documents}", documents=sep.join(where["documents"])))
        paying = s.payment or {}
        if paying.get("status") == "due":  # pay at the counter: the slip says the same amount
            lines.insert(0, app.tr("Amount to pay at the counter: {fee} yen",
                                   fee=f"{paying['amount_yen']:,}"))  # fmt: skip
        elif paying.get("status") == "paid":
            lines.insert(0, app.tr("The fee has been paid."))
        elif cert is not None and cert.fee_yen:  # offline: nothing was charged here
            lines.insert(0, app.tr("Fee: {fee} yen, paid at the counter when you collect it.",
                                   fee=f"{cert.fee_yen:,}"))  # fmt: skip
        self.ids.where_next.text = "\n".join(lines)


class BookingTopicScreen(KScreen):
    GUIDANCE = "Choose a consultation topic."

    def render(self, s: Any) -> None:
        self.fill(
            self.ids.rows,
            [(f"topic_{t.id}", self.t(s, t.name), "choice",
              self.tap(self.flows.services.choose_topic, t.id))
             for t in s.catalog.topics.values()],
            personal=False,
        )  # fmt: skip


class BookingSlotScreen(KScreen):
    GUIDANCE = "Choose a time, or ask for a call back."
    phone_entry = BooleanProperty(False)  # presentation only: the keypad for a call-back number

    def submit_phone(self, value: str) -> None:
        self.ids.phone.clear()
        self.phone_entry = False
        self.act(self.flows.services.request_callback, value)

    def back(self) -> None:
        if self.phone_entry:
            self.phone_entry = False
            self.ids.phone.clear()
            return
        self.act(self.flows.visit.back)

    def clear(self) -> None:
        self.phone_entry = False
        super().clear()

    def render(self, s: Any) -> None:
        choose = self.flows.services.choose_slot
        rows = [(f"slot_{x.id}", x.start.replace("T", " "), "choice", self.tap(choose, x.id))
                for x in s.slots]  # fmt: skip
        self.fill(self.ids.rows, rows)
        self.ids.empty.text = self.tr("No times are available now.") if not rows else ""


class BookingDoneScreen(KScreen):
    GUIDANCE = "Your booking was made. Please take the slip."

    def guidance(self) -> str:
        b = self.session.booking if self.session is not None else None
        if b is not None and not b.start:
            return self.tr("We have received your request for a phone call. Please take the slip.")
        return super().guidance()

    def render(self, s: Any) -> None:
        b = s.booking
        self.ids.reference.text = b.reference if b else ""
        callback = b is not None and not b.start
        # Only a callback was asked for: say so, not "booked" (nothing was booked).
        self.ids.title.text = (
            self.tr("We have received your request for a phone call") if callback
            else self.tr("Your booking was made")
        )  # fmt: skip
        if b is not None and b.start:
            self.ids.when.text = self.tr("Time: {start}", start=b.start.replace("T", " "))
        elif b is not None:
            self.ids.when.text = self.tr(
                "City staff will call you within {days} working days"
                " at the number ending in {digits}.",
                days=s.config.callback_within_days, digits=b.phone_last4 or "-",
            )  # fmt: skip
        else:
            self.ids.when.text = ""


class QueueTicketScreen(KScreen):
    GUIDANCE = "Please take your ticket and wait to be called."

    def guidance(self) -> str:
        # Spoken: the same label as on the screen, the ticket and the calling display.
        t = self.session.ticket if self.session is not None else None
        if t is None:
            return super().guidance()
        take = self.tr(
            "Please take your ticket. When this number appears on the calling display,"
            " please come to the counter."
        )
        first = self.tr("Your number is {number}.", number=t.number)
        return first + ("" if first.endswith("。") else " ") + take  # no space after 。

    def render(self, s: Any) -> None:
        t = s.ticket
        app = self.host
        self.ids.number.text = str(t.number) if t else ""
        self.ids.take.text = (
            app.tr("Please take your ticket. When this number appears on the calling display,"
                   " please come to the counter.") if t else ""
        )  # fmt: skip
        self.ids.wait.text = (
            app.tr("{n} people before you, about {minutes} minutes",
                   n=t.waiting_before, minutes=t.estimated_wait_min) if t else ""
        )  # fmt: skip


class SurveyScreen(KScreen):
    GUIDANCE = "How satisfied were you? Touch a number from 0 to 10."
    score = NumericProperty(-1)

    def render(self, s: Any) -> None:
        from kiosk.ui.screens._card import take_card_text

        self.ids.take_card.text = take_card_text(self.host, s)  # the card reminder, before the end
        self._reasons: set[str] = getattr(self, "_reasons", set())
        self.fill(self.ids.scores, [(f"score_{n}", str(n), "selected" if n == self.score else "choice",
                                     lambda n=n: self.pick(n)) for n in range(11)])  # fmt: skip
        self.fill(self.ids.reasons, [(f"reason_{r.id}", self.t(s, r.label),
                                      "selected" if r.id in self._reasons else "choice",
                                      lambda rid=r.id: self.toggle(rid))
                                     for r in s.catalog.survey_reasons])  # fmt: skip

    def pick(self, n: int) -> None:
        self.score = n
        self.render(self.session)

    def toggle(self, reason: str) -> None:
        self._reasons ^= {reason}
        self.render(self.session)

    def submit(self) -> None:
        if self.score < 0:
            return
        score, reasons = int(self.score), sorted(self._reasons)
        self.clear()
        self.act(self.flows.services.submit_survey, score, reasons)

    def clear(self) -> None:
        self.score = -1
        self._reasons = set()
        super().clear()


class ServiceErrorScreen(KScreen):
    GUIDANCE = "Please go to the counter. The staff will help you."


class OutOfServiceScreen(KScreen):
    GUIDANCE = "This terminal is out of service. Please ask the staff."
