"""Strict catalog loader: JSON document → typed `Catalog`, or a typed error naming the spot.

Invariants: unknown keys are errors (a typo must not silently drop a rule); every text has all
seven languages and none is empty; ids match `[a-z][a-z0-9_]*` and are unique per kind; every
reference resolves (see `_model`). The loader does no signature checking: `sync.bundles` verifies
the signed downlink and hands the verified bytes here. Reading the packaged default is the only
file access, and it happens when called, never at import.
"""

from __future__ import annotations

import json
import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

from kiosk.catalog._model import (
    CARD_ITEMS,
    Catalog,
    CertificateType,
    Choice,
    Completion,
    CompletionKind,
    ConsultationTopic,
    FieldKind,
    FieldSource,
    FieldSpec,
    LifeEvent,
    Procedure,
    ProcedureDetail,
    Question,
    Rule,
    Slot,
    SurveyReason,
    Text,
)
from kiosk.catalog._search_data import parse_search
from kiosk.catalog.errors import CatalogError, CatalogReferenceError, CatalogSchemaError
from madoguchi.core.i18n import LANGUAGES

__all__ = [
    "FORMAT",
    "catalog_from_bundle",
    "current_catalog",
    "default_catalog",
    "load_catalog",
    "parse_catalog",
]

_log = logging.getLogger("kiosk.catalog")

FORMAT = 1
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_BYTES = 4 * 1024 * 1024
# A printed QR and a `source` must lead to a public page over TLS: no http, no spaces, bounded.
_URL = re.compile(r"^https://[A-Za-z0-9.-]+(/[!-~]*)?$")
_MAX_DUE_DAYS = 3 * 366  # the longest claim period in the catalog is 2 years


class _Obj:
    """A JSON object being read: tracks its path and which keys were consumed."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise CatalogSchemaError(where, "expected an object")
        self.value = value
        self.where = where
        self.used: set[str] = set()

    def _get(self, key: str, default: Any, required: bool) -> Any:
        self.used.add(key)
        if key not in self.value:
            if required:
                raise CatalogSchemaError(f"{self.where}.{key}", "missing")
            return default
        return self.value[key]

    def str(self, key: str, required: bool = True, default: str | None = None) -> Any:
        v = self._get(key, default, required)
        if v is default and not required:
            return v
        if not isinstance(v, str) or not v:
            raise CatalogSchemaError(f"{self.where}.{key}", "expected a non-empty string")
        return v

    def id(self, key: str = "id") -> str:
        v = self.str(key)
        if not _ID.match(v):
            raise CatalogSchemaError(f"{self.where}.{key}", f"bad id {v!r}")
        return v

    def int(self, key: str, required: bool = True, default: int | None = None, lo: int = 0) -> Any:
        v = self._get(key, default, required)
        if v is default and not required:
            return v
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise CatalogSchemaError(f"{self.where}.{key}", f"expected an integer >= {lo}")
        return v

    def bool(self, key: str, default: bool) -> bool:
        v = self._get(key, default, False)
        if not isinstance(v, bool):
            raise CatalogSchemaError(f"{self.where}.{key}", "expected true or false")
        return v

    def list(self, key: str, required: bool = True) -> list[Any]:
        v = self._get(key, [], required)
        if not isinstance(v, list):
            raise CatalogSchemaError(f"{self.where}.{key}", "expected a list")
        return v

    def text(self, key: str, required: bool = True) -> Text | None:
        v = self._get(key, None, required)
        if v is None and not required:
            return None
        return _text(v, f"{self.where}.{key}")

    def done(self) -> None:
        extra = sorted(set(self.value) - self.used)
        if extra:
            raise CatalogSchemaError(self.where, f"unknown key(s) {', '.join(extra)}")


def _text(v: Any, where: str) -> Text:
    if not isinstance(v, dict):
        raise CatalogSchemaError(where, "expected an object of translations")
    missing = [lang for lang in LANGUAGES if lang not in v]
    if missing:
        raise CatalogSchemaError(where, f"missing language(s) {', '.join(missing)}")
    extra = sorted(set(v) - set(LANGUAGES))
    if extra:
        raise CatalogSchemaError(where, f"unknown language(s) {', '.join(extra)}")
    for lang in LANGUAGES:
        if not isinstance(v[lang], str) or not v[lang].strip():
            raise CatalogSchemaError(f"{where}.{lang}", "empty or not a string")
    return Text(tuple((lang, v[lang]) for lang in LANGUAGES))


def _url(o: _Obj, key: str, required: bool = False) -> str | None:
    v = o.str(key, required=required)
    if v is not None and (not _URL.match(v) or len(v) > 300):
        raise CatalogSchemaError(f"{o.where}.{key}", "expected an https URL")
    return v


def _date(o: _Obj, key: str) -> str | None:
    v = o.str(key, required=False)
    if v is not None and not _DATE.match(v):
        raise CatalogSchemaError(f"{o.where}.{key}", "expected YYYY-MM-DD")
    return v


def _due_days(o: _Obj, deadline: Text | None) -> int | None:
    v = o.int("due_days", required=False)
    if v is None:
        return None
    if v > _MAX_DUE_DAYS:
        raise CatalogSchemaError(f"{o.where}.due_days", f"more than {_MAX_DUE_DAYS} days")
    if deadline is None:
        # A date without the words saying how it is counted would be shown out of context.
        raise CatalogSchemaError(f"{o.where}.due_days", "needs a deadline text")
    return v


def _ids(values: list[Any], where: str) -> tuple[str, ...]:
    out = []
    for i, v in enumerate(values):
        if not isinstance(v, str) or not _ID.match(v):
            raise CatalogSchemaError(f"{where}[{i}]", "expected an id")
        out.append(v)
    return tuple(out)


def _choices(o: _Obj, key: str) -> tuple[Choice, ...]:
    out = []
    for i, raw in enumerate(o.list(key, required=False)):
        c = _Obj(raw, f"{o.where}.{key}[{i}]")
        out.append(Choice(id=c.id(), label=c.text("label")))
        c.done()
    _unique([c.id for c in out], f"{o.where}.{key}")
    return tuple(out)


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise CatalogSchemaError(where, f"duplicate id {i!r}")
        seen.add(i)


def _enum(enum: Any, value: str, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise CatalogSchemaError(where, f"{value!r} is not one of {allowed}") from None


def _field(raw: Any, where: str) -> FieldSpec:
    o = _Obj(raw, where)
    name = o.id("name")
    source = _enum(FieldSource, o.str("source"), f"{where}.source")
    kind = _enum(FieldKind, o.str("kind"), f"{where}.kind")
    card_item = o.str("card_item", required=False)
    if source is FieldSource.CARD:
        if card_item not in CARD_ITEMS:
            raise CatalogSchemaError(
                f"{where}.card_item", f"expected one of {', '.join(CARD_ITEMS)}"
            )
    elif card_item is not None:
        raise CatalogSchemaError(f"{where}.card_item", "only for source=card")
    choices = _choices(o, "choices")
    if (kind is FieldKind.CHOICE) != bool(choices):
        raise CatalogSchemaError(f"{where}.choices", "required exactly for kind=choice")
    spec = FieldSpec(
        name=name,
        label=o.text("label"),
        source=source,
        kind=kind,
        card_item=card_item,
        required=o.bool("required", True),
        choices=choices,
        min_value=o.int("min", required=False),
        max_value=o.int("max", required=False),
        max_length=o.int("max_length", required=False, default=200, lo=1),
    )
    o.done()
    return spec


def _procedure(raw: Any, where: str) -> Procedure:
    o = _Obj(raw, where)
    pid = o.id()
    c = _Obj(o._get("completion", None, True), f"{where}.completion")
    kind = _enum(CompletionKind, c.str("kind"), f"{where}.completion.kind")
    office = c.text("office", required=kind in (CompletionKind.OFFICE, CompletionKind.PREFILL))
    c.done()
    fields = tuple(_field(f, f"{where}.fields[{i}]") for i, f in enumerate(o.list("fields", False)))
    _unique([f.name for f in fields], f"{where}.fields")
    if kind in (CompletionKind.KIOSK, CompletionKind.PREFILL) and not fields:
        raise CatalogSchemaError(f"{where}.fields", f"a {kind.value} procedure needs fields")
    docs = tuple(
        _text(d, f"{where}.documents[{i}]") for i, d in enumerate(o.list("documents", False))
    )
    record_kind = o.str("record_kind", required=False, default="application")
    if record_kind not in ("application", "shelter_checkin"):
        raise CatalogSchemaError(f"{where}.record_kind", "expected application or shelter_checkin")
    deadline = o.text("deadline", required=False)
    proc = Procedure(
        id=pid,
        name=o.text("name"),
        summary=o.text("summary"),
        completion=Completion(kind=kind, office=office),
        fields=fields,
        documents=docs,
        fee_yen=o.int("fee_yen", required=False, default=0),
        deadline=deadline,
        record_kind=record_kind,
        due_days=_due_days(o, deadline),
        url=_url(o, "url", required=kind is CompletionKind.ONLINE),
        source=_url(o, "source"),
        checked=_date(o, "checked"),
    )
    o.done()
    return proc


def _life_event(raw: Any, where: str) -> LifeEvent:
    o = _Obj(raw, where)
    eid = o.id()
    questions = []
    for i, q in enumerate(o.list("questions")):
        qo = _Obj(q, f"{where}.questions[{i}]")
        qid, text = qo.id(), qo.text("text")
        ask_if = qo._get("ask_if", {}, False)
        if not isinstance(ask_if, dict):
            raise CatalogSchemaError(f"{qo.where}.ask_if", "expected an object")
        earlier = {x.id for x in questions}
        for ref, value in ask_if.items():
            if ref not in earlier:  # only an earlier answer can settle a question
                raise CatalogReferenceError(f"{qo.where}.ask_if", ref)
            if not isinstance(value, bool):
                raise CatalogSchemaError(f"{qo.where}.ask_if.{ref}", "expected true or false")
        unsure = qo._get("unsure", None, False)
        if unsure is not None and not isinstance(unsure, bool):
            raise CatalogSchemaError(f"{qo.where}.unsure", "expected true or false")
        hint = qo.text("hint", False)
        questions.append(
            Question(id=qid, text=text, ask_if=tuple(ask_if.items()), unsure=unsure, hint=hint)
        )
        qo.done()
    _unique([q.id for q in questions], f"{where}.questions")
    rules = []
    for i, r in enumerate(o.list("rules", False)):
        ro = _Obj(r, f"{where}.rules[{i}]")
        cond = ro._get("if", None, True)
        if not isinstance(cond, dict) or not cond:
            raise CatalogSchemaError(f"{ro.where}.if", "expected a non-empty object")
        for q, v in cond.items():
            if not isinstance(v, bool):
                raise CatalogSchemaError(f"{ro.where}.if.{q}", "expected true or false")
        add = _ids(ro.list("add", False), f"{ro.where}.add")
        remove = _ids(ro.list("remove", False), f"{ro.where}.remove")
        if not add and not remove:
            raise CatalogSchemaError(ro.where, "a rule needs add or remove")
        rules.append(Rule(when=tuple(cond.items()), add=add, remove=remove))
        ro.done()
    raw_details = o._get("details", {}, False)
    if not isinstance(raw_details, dict):
        raise CatalogSchemaError(f"{where}.details", "expected an object")
    details = []
    for pid, raw in raw_details.items():
        dwhere = f"{where}.details.{pid}"
        if not isinstance(pid, str) or not _ID.match(pid):
            raise CatalogSchemaError(dwhere, "expected a procedure id")
        do = _Obj(raw, dwhere)
        deadline = do.text("deadline", required=False)
        raw_docs = do._get("documents", None, False)
        docs = None
        if raw_docs is not None:
            if not isinstance(raw_docs, list):
                raise CatalogSchemaError(f"{dwhere}.documents", "expected a list")
            docs = tuple(_text(d, f"{dwhere}.documents[{i}]") for i, d in enumerate(raw_docs))
        detail = ProcedureDetail(
            deadline=deadline, due_days=_due_days(do, deadline), documents=docs
        )
        if deadline is None and docs is None:
            raise CatalogSchemaError(dwhere, "a detail needs a deadline or documents")
        do.done()
        details.append((pid, detail))
    ev = LifeEvent(
        id=eid,
        name=o.text("name"),
        questions=tuple(questions),
        always=_ids(o.list("always"), f"{where}.always"),
        rules=tuple(rules),
        details=tuple(details),
        date_label=o.text("date_label", required=False),
    )
    o.done()
    return ev


def _certificate(raw: Any, where: str) -> CertificateType:
    o = _Obj(raw, where)
    cert = CertificateType(
        id=o.id(),
        name=o.text("name"),
        fee_yen=o.int("fee_yen"),
        max_copies=o.int("max_copies", required=False, default=10, lo=1),
        purposes=_choices(o, "purposes"),
        office=o.text("office", required=False),
        documents=tuple(
            _text(d, f"{where}.documents[{i}]") for i, d in enumerate(o.list("documents", False))
        ),
    )
    o.done()
    return cert


def parse_catalog(doc: Any) -> Catalog:
    """Validate a decoded catalog document and build the typed `Catalog`."""
    o = _Obj(doc, "$")
    if o.int("format") != FORMAT:
        raise CatalogSchemaError("$.format", f"unsupported format (expected {FORMAT})")
    version = o.int("version", lo=1)
    expires = o.str("expires", required=False)
    if expires is not None and not _DATE.match(expires):
        raise CatalogSchemaError("$.expires", "expected YYYY-MM-DD")
    procs = [_procedure(p, f"$.procedures[{i}]") for i, p in enumerate(o.list("procedures"))]
    _unique([p.id for p in procs], "$.procedures")
    events = [_life_event(e, f"$.life_events[{i}]") for i, e in enumerate(o.list("life_events"))]
    _unique([e.id for e in events], "$.life_events")
    certs = [_certificate(c, f"$.certificates[{i}]") for i, c in enumerate(o.list("certificates"))]
    _unique([c.id for c in certs], "$.certificates")
    topics = []
    for i, t in enumerate(o.list("topics")):
        to = _Obj(t, f"$.topics[{i}]")
        topics.append(ConsultationTopic(id=to.id(), name=to.text("name")))
        to.done()
    _unique([t.id for t in topics], "$.topics")
    slots = []
    for i, s in enumerate(o.list("slots", False)):
        so = _Obj(s, f"$.slots[{i}]")
        slot = Slot(
            id=so.id(), topic=so.id("topic"), start=so.str("start"), minutes=so.int("minutes", lo=1)
        )
        if not _DATETIME.match(slot.start):
            raise CatalogSchemaError(f"{so.where}.start", "expected YYYY-MM-DDTHH:MM")
        so.done()
        slots.append(slot)
    _unique([s.id for s in slots], "$.slots")
    reasons = []
    for i, r in enumerate(o.list("survey_reasons", False)):
        ro = _Obj(r, f"$.survey_reasons[{i}]")
        reasons.append(SurveyReason(id=ro.id(), label=ro.text("label")))
        ro.done()
    _unique([r.id for r in reasons], "$.survey_reasons")
    known = {
        "life_event": {e.id for e in events},
        "procedure": {p.id for p in procs},
        "certificate": {c.id for c in certs},
        "topic": {t.id for t in topics},
    }
    faqs, search_terms = parse_search(o._get("search", None, False), known, _Obj)
    o.done()
    catalog = Catalog(
        version=version,
        procedures={p.id: p for p in procs},
        life_events={e.id: e for e in events},
        certificates={c.id: c for c in certs},
        topics={t.id: t for t in topics},
        slots=tuple(slots),
        survey_reasons=tuple(reasons),
        expires=expires,
        faqs=faqs,
        search_terms=search_terms,
    )
    _check_references(catalog)
    return catalog


def _check_references(catalog: Catalog) -> None:
    for e_index, event in enumerate(catalog.life_events.values()):
        where = f"$.life_events[{e_index}]"
        for pid in event.always:
            if pid not in catalog.procedures:
                raise CatalogReferenceError(f"{where}.always", pid)
        qids = {q.id for q in event.questions}
        for r_index, rule in enumerate(event.rules):
            for q, _ in rule.when:
                if q not in qids:
                    raise CatalogReferenceError(f"{where}.rules[{r_index}].if", q)
            for pid in rule.add + rule.remove:
                if pid not in catalog.procedures:
                    raise CatalogReferenceError(f"{where}.rules[{r_index}]", pid)
        reachable = set(event.always) | {p for rule in event.rules for p in rule.add}
        for pid, _ in event.details:
            # A detail for a procedure the event never lists is a typo that would silently
            # leave the shared (out-of-context) text in place.
            if pid not in reachable:
                raise CatalogReferenceError(f"{where}.details", pid)
    for i, slot in enumerate(catalog.slots):
        if slot.topic not in catalog.topics:
            raise CatalogReferenceError(f"$.slots[{i}].topic", slot.topic)


def load_catalog(source: bytes | str | Path) -> Catalog:
    """Parse a catalog from JSON bytes/text, or from a file path."""
    if isinstance(source, Path):
        source = source.read_bytes()
    if len(source) > _MAX_BYTES:
        raise CatalogSchemaError("$", f"document larger than {_MAX_BYTES} bytes")
    try:
        doc = json.loads(source)
    except (ValueError, UnicodeDecodeError) as e:
        raise CatalogSchemaError("$", f"not JSON: {e}") from e
    return parse_catalog(doc)


def default_catalog() -> Catalog:
    """The catalog shipped with the package (used until a signed downlink replaces it)."""
    data = resources.files("kiosk.catalog").joinpath("default_catalog.json").read_bytes()
    return load_catalog(data)


def catalog_from_bundle(bundle: Any) -> Catalog:
    """The catalog of a verified `sync.bundles.Bundle` of type "catalog" (its payload is the
    catalog document; the document's `version` must equal the signed bundle version)."""
    if getattr(bundle, "type", None) != "catalog":
        raise CatalogSchemaError("$", "not a catalog bundle")
    catalog = parse_catalog(bundle.payload)
    if catalog.version != bundle.version:
        raise CatalogSchemaError("$.version", "differs from the signed bundle version")
    return catalog


def current_catalog(store: Any = None) -> Catalog:
    """The newest of the applied downlink (`BundleStore.current("catalog")`) and the packaged
    default. A downlink that does not parse is logged and ignored, never fatal: the kiosk must
    keep serving with the catalog it ships."""
    shipped = default_catalog()
    bundle = store.current("catalog") if store is not None else None
    if bundle is None:
        return shipped
    try:
        downlinked = catalog_from_bundle(bundle)
    except CatalogError as e:
        _log.warning("downlinked catalog v%s ignored: %s", getattr(bundle, "version", "?"), e)
        return shipped
    return downlinked if downlinked.version >= shipped.version else shipped
