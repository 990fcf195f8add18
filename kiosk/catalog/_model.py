"""Typed, immutable catalog objects: what the kiosk knows about procedures, life events,
certificates and consultations.

Invariants (checked by the loader, relied on everywhere else):
- every human-readable text is a `Text` holding all seven languages of `madoguchi.core.i18n.LANGUAGES`;
- ids are lowercase ASCII identifiers, unique within their kind;
- every rule and life event refers only to procedures that exist; every rule condition refers only
  to questions of its own life event;
- fees are whole yen, never negative;
- an `online` procedure has the https URL where it is done (printed as a QR); an `office` or
  `prefill` one names its counter; `source` (when present) is the https page the entry was checked
  against, on the ISO date `checked`;
- a life event's `details` override a shared procedure's deadline and documents in that event's
  context (国保加入 after a birth is due 14 days from the birth and needs no certificate of loss),
  so no text is shown out of context: use `Catalog.procedure_in(event, id)`.
Objects here are frozen: the session can hand them to the UI without copying.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from madoguchi.core.i18n import DEFAULT_LANGUAGE

__all__ = [
    "CARD_ITEMS",
    "Catalog",
    "CertificateType",
    "Choice",
    "Completion",
    "CompletionKind",
    "ConsultationTopic",
    "Faq",
    "FieldKind",
    "FieldSource",
    "FieldSpec",
    "LifeEvent",
    "Procedure",
    "ProcedureDetail",
    "Question",
    "Rule",
    "Slot",
    "SurveyReason",
    "Text",
]

# What the card's input-helper AP gives (basic-4 attributes), in form-field names.
CARD_ITEMS: tuple[str, ...] = ("name", "address", "birth_date", "sex")


@dataclass(frozen=True)
class Text:
    """One text in every kiosk language. `get(lang)` never fails for a known language."""

    by_language: tuple[tuple[str, str], ...]

    def get(self, language: str) -> str:
        for lang, text in self.by_language:
            if lang == language:
                return text
        return dict(self.by_language)[DEFAULT_LANGUAGE]

    def __getitem__(self, language: str) -> str:
        return self.get(language)

    def as_dict(self) -> dict[str, str]:
        return dict(self.by_language)


class FieldSource(StrEnum):
    CARD = "card"  # prefilled from the card's basic-4 attributes
    ASKED = "asked"  # entered on the kiosk's keyboards


class FieldKind(StrEnum):
    """How a field is entered: picks the on-screen keyboard and the validation."""

    TEXT = "text"  # card text (name, address): corrected with the kana/Latin keyboards
    DATE = "date"  # YYYY-MM-DD
    SEX = "sex"  # ISO 5218 code: "1", "2", "9"
    CHOICE = "choice"
    NUMBER = "number"
    KANA = "kana"
    LATIN = "latin"
    # An address's block and lot (1-2-3, 1番2号): digits with -, 丁目, 番, 号 keys.
    ADDRESS_NUMBER = "address_number"


@dataclass(frozen=True)
class Choice:
    id: str
    label: Text


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Text
    source: FieldSource
    kind: FieldKind
    card_item: str | None = None  # for source=card: one of CARD_ITEMS
    required: bool = True
    choices: tuple[Choice, ...] = ()
    min_value: int | None = None  # number fields
    max_value: int | None = None
    max_length: int = 200


class CompletionKind(StrEnum):
    KIOSK = "kiosk"  # done here, now, with the card
    # Entered here with the card (事前入力), finished at the counter `office` names: the kiosk
    # never says such a procedure is done, only that it was pre-entered.
    PREFILL = "prefill"
    ONLINE = "online"  # at home (マイナポータル); `url` says where
    OFFICE = "office"  # at a counter; `office` names which


@dataclass(frozen=True)
class Completion:
    kind: CompletionKind
    office: Text | None = None


@dataclass(frozen=True)
class Procedure:
    id: str
    name: Text
    summary: Text
    completion: Completion
    fields: tuple[FieldSpec, ...] = ()
    documents: tuple[Text, ...] = ()
    fee_yen: int = 0
    deadline: Text | None = None
    record_kind: str = "application"  # outbox record kind on submission
    # Last day = event date + due_days (the catalog author counts: 出生届 "生まれた日を含めて
    # 14日" is 13, 転入届 "14日以内" is 14). None: no deadline a date can be given for.
    due_days: int | None = None
    url: str | None = None  # where an online procedure is done (printed as a QR)
    source: str | None = None  # the public page this entry was checked against
    checked: str | None = None  # ISO date of that check

    @property
    def kiosk_capable(self) -> bool:
        """The card journey runs here (done here, or pre-entered here for the counter)."""
        return self.completion.kind in (CompletionKind.KIOSK, CompletionKind.PREFILL)

    @property
    def finished_here(self) -> bool:
        """A submission at the kiosk completes the procedure (no counter visit needed)."""
        return self.completion.kind is CompletionKind.KIOSK


@dataclass(frozen=True)
class ProcedureDetail:
    """A life event's own deadline and documents for a shared procedure (None: keep the
    procedure's)."""

    deadline: Text | None = None
    due_days: int | None = None
    documents: tuple[Text, ...] | None = None


@dataclass(frozen=True)
class Question:
    id: str
    text: Text
    # Asked only when every earlier (question, answer) here holds: a question an earlier answer
    # settles is skipped (no school children after "no children under 18"). Unasked questions
    # stay unanswered, and unanswered questions never match a rule.
    ask_if: tuple[tuple[str, bool], ...] = ()
    # 「わからない」 is offered (a resident in their 70s often cannot say which health insurance
    # they are on): the answer it counts as, the one that keeps the procedures on the checklist
    # for the counter to confirm. None: only はい / いいえ.
    unsure: bool | None = None
    hint: Text | None = None  # one line under the question: how to tell (保険証を見る)

    def asked(self, answers: Mapping[str, bool | None]) -> bool:
        return all(answers.get(q) is v for q, v in self.ask_if)


@dataclass(frozen=True)
class Rule:
    """If every (question, answer) in `when` holds, add then remove procedures (in that order)."""

    when: tuple[tuple[str, bool], ...]
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class LifeEvent:
    id: str
    name: Text
    questions: tuple[Question, ...]
    always: tuple[str, ...]  # procedures every household with this event needs
    rules: tuple[Rule, ...] = ()
    details: tuple[tuple[str, ProcedureDetail], ...] = ()
    date_label: Text | None = None  # what the event date is called (引っ越した日, 生まれた日)

    def detail(self, procedure_id: str) -> ProcedureDetail | None:
        for pid, detail in self.details:
            if pid == procedure_id:
                return detail
        return None


@dataclass(frozen=True)
class CertificateType:
    id: str
    name: Text
    fee_yen: int
    max_copies: int = 10
    purposes: tuple[Choice, ...] = ()
    office: Text | None = None  # the counter that hands over a claimed certificate
    documents: tuple[Text, ...] = ()  # what to bring to collect it (besides the claim slip)


@dataclass(frozen=True)
class ConsultationTopic:
    id: str
    name: Text


@dataclass(frozen=True)
class Slot:
    """A consultation slot downlinked with the catalog (local time, ISO 8601 without zone)."""

    id: str
    topic: str
    start: str
    minutes: int


@dataclass(frozen=True)
class SurveyReason:
    id: str
    label: Text


# What a search hit can be, as "<kind>:<id>" keys of `Catalog.search_terms`.
SEARCH_KINDS: tuple[str, ...] = ("life_event", "procedure", "certificate", "topic", "faq")


@dataclass(frozen=True)
class Faq:
    """A short answer the search box can give. `offer` is what a resident whose question needs a
    person is offered: "staff" (係員を呼ぶ), "consult:<topic id>" (相談する), or None."""

    id: str
    question: Text
    answer: Text
    offer: str | None = None


@dataclass(frozen=True)
class Catalog:
    version: int
    procedures: dict[str, Procedure]
    life_events: dict[str, LifeEvent]
    certificates: dict[str, CertificateType]
    topics: dict[str, ConsultationTopic]
    slots: tuple[Slot, ...] = ()
    survey_reasons: tuple[SurveyReason, ...] = ()
    expires: str | None = None  # ISO date; the bundle layer enforces it
    faqs: dict[str, Faq] = field(default_factory=dict)
    # Synonyms and readings per "<kind>:<id>" (see SEARCH_KINDS), in any language: how residents
    # name a thing when it is not the catalog's own word (ひっこし, hanko, baby).
    search_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    def kiosk_procedures(self) -> list[Procedure]:
        return [p for p in self.procedures.values() if p.kiosk_capable]

    def procedure_in(self, event: LifeEvent | None, procedure_id: str) -> Procedure:
        """The procedure as it applies after `event`: the event's details replace the shared
        deadline and documents (KeyError for an unknown id, as `procedures[...]`)."""
        proc = self.procedures[procedure_id]
        detail = event.detail(procedure_id) if event is not None else None
        if detail is None:
            return proc
        changes: dict[str, object] = {}
        if detail.deadline is not None:
            changes["deadline"] = detail.deadline
            changes["due_days"] = detail.due_days
        if detail.documents is not None:
            changes["documents"] = detail.documents
        return replace(proc, **changes)

    def slots_for(self, topic: str) -> list[Slot]:
        return [s for s in self.slots if s.topic == topic]
