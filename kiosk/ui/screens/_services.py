"""Screens of the other services and endings: certificates, consultation booking, queue
ticket, the satisfaction survey, "still there?", service error and out of service."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.ui.screens._base import KScreen
from kiosk.ui.screens._card import CardReminder
from kiosk.ui.screens._datewords import slot_words


class CertificateChooseScreen(KScreen):
    """One question at a time (review A8): which certificate, how many, whose details and
    which items (住民票 only), what for, then a summary before the card step. The choices are
    presentation until "continue" on the summary makes one `flows.certificates.choose(...)`
    call. A chosen row says so in words (✓ … (selected)), not only in colour."""

    GUIDANCE = "Choose the certificate, the number of copies and the purpose."
    cert_id = StringProperty("")
    copies = NumericProperty(1)
    purpose = StringProperty("")
    has_options = BooleanProperty(False)
    stage = StringProperty("type")  # type, copies, include, purpose, summary
    question = StringProperty("")
    step_n = NumericProperty(1)
    step_total = NumericProperty(4)
    choice_cols = NumericProperty(2)
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

    # -- the steps --------------------------------------------------------------------------
    def stages(self) -> list[str]:
        cert = self.session.catalog.certificates.get(self.cert_id)
        out = ["type", "copies"]
        if self.cert_id in self.OPTION_TYPES:
            out.append("include")
        if cert is not None and cert.purposes:
            out.append("purpose")
        return [*out, "summary"]

    def forward(self) -> None:
        """Next question; on the summary, the one call that takes the choice to the card."""
        if self.stage == "summary":
            self.submit()
            return
        stages = self.stages()
        self.stage = stages[min(stages.index(self.stage) + 1, len(stages) - 1)]
        self.render(self.session)

    def back(self) -> None:
        """The previous question; on the first, back out of certificates."""
        stages = self.stages()
        at = stages.index(self.stage) if self.stage in stages else 0
        if at == 0:
            self.act(self.flows.visit.back)
            return
        self.stage = stages[at - 1]
        self.render(self.session)

    def chosen(self, label: str, on: bool) -> str:
        return self.tr("✓ {label} (selected)", label=label) if on else label

    def hint(self, cid: str) -> str:
        """One line on what the certificate is for, so a resident can tell them apart."""
        return {
            "resident_record": self.tr("Proves your address. Often needed at banks and offices."),
            "resident_record_items": self.tr(
                "Proves only the items asked for (for example by a pension office or employer)."),
            "seal_certificate": self.tr(
                "Proves your registered seal (inkan). For cars, houses and contracts."),
            "tax_certificate": self.tr(
                "Proves your income and tax. For loans, daycare and housing."),
            "family_register": self.tr(
                "Proves family relations (parents, children, marriage). For passports."),
            "family_register_annex": self.tr("Proves the addresses you lived at before."),
        }.get(cid, "")  # fmt: skip

    # -- rendering ----------------------------------------------------------------------------
    def render(self, s: Any) -> None:
        certs = s.catalog.certificates
        if self.cert_id not in certs:
            hint = self.flows.search.certificate_hint  # さがす: the certificate a search hit chose
            self.cert_id = hint if hint in certs else next(iter(certs), "")
        cert = certs.get(self.cert_id)
        stages = self.stages()
        if self.stage not in stages:
            self.stage = "type"
        self.step_n, self.step_total = stages.index(self.stage) + 1, len(stages)
        large = getattr(self.host, "text_scale", 1.0) > 1.0
        purposes = cert.purposes if cert else ()
        if purposes and self.purpose not in {p.id for p in purposes}:
            self.purpose = ""
        self.has_options = self.cert_id in self.OPTION_TYPES
        if not self.has_options:
            self.options = {}
        rows: list[tuple[str, str, str, Any]] = []
        if self.stage == "type":
            self.question = self.tr("Which certificate do you need?")
            self.choice_cols = 1 if large else 2
            for c in certs.values():
                on = c.id == self.cert_id
                text = "\n".join((self.chosen(self.t(s, c.name), on), self.hint(c.id),
                                   self.tr("{fee} yen per copy", fee=f"{c.fee_yen:,}")))  # fmt: skip
                rows.append((f"cert_{c.id}", text, "selected" if on else "choice",
                             lambda cid=c.id: self.pick(cid)))  # fmt: skip
        elif self.stage == "copies":
            self.question = self.tr("How many copies do you need?")
        elif self.stage == "include":
            self.question = self.tr("What should it show?")
            self.choice_cols = 1
            rows = self._option_rows()
        elif self.stage == "purpose":
            self.question = self.tr("What is it for?")
            self.choice_cols = 2 if large else 3
            rows = [(f"purpose_{p.id}", self.chosen(self.t(s, p.label), p.id == self.purpose),
                     "selected" if p.id == self.purpose else "choice",
                     lambda pid=p.id: self.pick_purpose(pid)) for p in purposes]  # fmt: skip
        else:
            self.question = self.tr("Please check your choice")
        self.fill(self.ids.choices, rows, personal=False)
        self.ids.summary.text = self._summary(s) if self.stage == "summary" else ""
        fee = cert.fee_yen * int(self.copies) if cert else 0
        self.ids.fee.text = self.tr("Total: {fee} yen", fee=f"{fee:,}")
        unavailable = ""
        if not getattr(getattr(s, "sync", None), "online", False):
            unavailable = self.tr(
                "Certificates cannot be printed here right now. You can still apply, and"
                " collect them at the counter with the claim slip you get here."
            )
        self.ids.unavailable.text = unavailable
        if self.flows.certificates.printers_missing():  # marked before the card step
            self.ids.fee.text = "\n".join((self.tr(
                "Certificates cannot be printed here now: the printer is not working."),
                self.ids.fee.text))  # fmt: skip

    def _option_rows(self) -> list[tuple[str, str, str, Any]]:
        everyone = self.options.get("household") == "all"
        rows: list[tuple[str, str, str, Any]] = [
            ("opt_whose", self.tr("Whose details?"), "body", None),
            ("opt_household_self", self.chosen(self.tr("Only me"), not everyone),
             "choice" if everyone else "selected", lambda: self.set_option("household", "self")),
            ("opt_household_all", self.chosen(self.tr("Whole household"), everyone),
             "selected" if everyone else "choice", lambda: self.set_option("household", "all")),
            ("opt_items", self.tr("Also show these (only if you were asked for them):"),
             "body", None),
        ]  # fmt: skip
        rows += [
            (f"opt_{key}", self.chosen(self.tr(label), bool(self.options.get(key))),
             "selected" if self.options.get(key) else "choice",
             lambda k=key: self.set_option(k, not self.options.get(k)))
            for key, label in self.OPTION_ITEMS
        ]  # fmt: skip
        return rows

    def _summary(self, s: Any) -> str:
        cert = s.catalog.certificates.get(self.cert_id)
        if cert is None:
            return ""
        lines = [
            self.tr("{label}: {value}", label=self.tr("Certificate"), value=self.t(s, cert.name)),
            self.tr("{label}: {value}", label=self.tr("Copies"),
                    value=self.tr("{n} copies", n=int(self.copies))),
        ]  # fmt: skip
        if self.has_options:
            whose = self.tr("Whole household" if self.options.get("household") == "all"
                            else "Only me")  # fmt: skip
            lines.append(self.tr("{label}: {value}", label=self.tr("What to include"),
                                 value=whose))  # fmt: skip
            lines += ["✓ " + self.tr(label) for key, label in self.OPTION_ITEMS
                      if self.options.get(key)]  # fmt: skip
        purpose = next((p for p in cert.purposes if p.id == self.purpose), None)
        if purpose is not None:
            lines.append(self.tr("{label}: {value}", label=self.tr("Purpose"),
                                 value=self.t(s, purpose.label)))  # fmt: skip
        return "\n".join(lines)

    def set_option(self, key: str, value: Any) -> None:
        self.options = {**self.options, key: value}
        self.render(self.session)

    def pick(self, cid: str) -> None:
        if cid != self.cert_id:
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
        self.cert_id, self.copies, self.purpose, self.stage = "", 1, "", "type"
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
        rows = [(f"slot_{x.id}", slot_words(x.start, s.language), "choice", self.tap(choose, x.id))
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
        procedure = s.catalog.procedures.get(t.procedure) if t and t.procedure else None
        if procedure is not None:  # taken without a card: which procedure the number is for
            self.ids.wait.text = "\n".join((
                app.tr("This ticket is for: {procedure}", procedure=self.t(s, procedure.name)),
                self.ids.wait.text,
            ))  # fmt: skip


class SurveyScreen(CardReminder, KScreen):
    GUIDANCE = "How satisfied were you? Touch a number from 0 to 10."
    score = NumericProperty(-1)

    def render(self, s: Any) -> None:
        from kiosk.ui.screens._card import show_take_card

        show_take_card(self.ids.take_card, self.host, s)  # the card reminder, before the end
        self.remind_card(s)
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
        self.stop_reminder()
        self.score = -1
        self._reasons = set()
        super().clear()


class ServiceErrorScreen(KScreen):
    GUIDANCE = "Please go to the counter. The staff will help you."


class OutOfServiceScreen(KScreen):
    GUIDANCE = "This terminal is out of service. Please ask the staff."

    def render(self, s: Any) -> None:
        from madoguchi.core.i18n import LANGUAGES

        shown = getattr(self.host, "lang", "ja")

        def lines(lang: str) -> str:
            def tr(msgid: str) -> str:
                return self.host.translator(lang).gettext(msgid)

            return "\n".join((tr("Out of service"), tr("Please ask the staff.")))

        self.ids.japanese.text = lines("ja") if shown != "ja" else ""
        # ja-easy shares the Japanese script of the two above: one line per other language
        self.ids.others.text = "\n".join(
            lines(lang).replace("\n", " — ")
            for lang in LANGUAGES
            if lang not in (shown, "ja", "ja-easy")
        )
