"""The catalog's `search` section: FAQ answers and the synonyms residents use.

    "search": {
      "faqs": [{"id": "forgot_pin", "question": {..7 languages..}, "answer": {...},
                "offer": "staff" | "consult:<topic id>"}],
      "terms": {"procedure:seal_registration": ["はんこ", "hanko", "inkan", "carimbo"], ...}
    }

Invariants (errors name the JSON path, as the rest of the loader): the section is optional (a
catalog without it still loads, and search then uses the names alone); every key of `terms` is
"<kind>:<id>" for a kind of `SEARCH_KINDS` and an id the catalog defines; terms are non-empty
strings of at most 60 characters, at most 64 per entry, none repeated; an `offer` names
"staff" or a consultation topic that exists.
"""

from __future__ import annotations

from typing import Any

from kiosk.catalog._model import SEARCH_KINDS, Faq
from kiosk.catalog.errors import CatalogReferenceError, CatalogSchemaError

__all__ = ["parse_search"]

_MAX_TERM = 60
_MAX_TERMS = 64


def parse_search(
    raw: Any, known: dict[str, set[str]], obj: Any
) -> tuple[dict[str, Faq], dict[str, tuple[str, ...]]]:
    """Read the section. `known` maps each kind but "faq" to its ids; `obj` is the loader's
    strict object reader (passed in: the loader imports this module, not the other way)."""
    schema_error, reference_error = CatalogSchemaError, CatalogReferenceError
    if raw is None:
        return {}, {}
    o = obj(raw, "$.search")
    faqs: dict[str, Faq] = {}
    for i, f in enumerate(o.list("faqs", False)):
        fo = obj(f, f"$.search.faqs[{i}]")
        offer = fo.str("offer", required=False)
        if offer is not None and offer != "staff":
            topic = offer.removeprefix("consult:")
            if topic == offer:
                raise schema_error(f"{fo.where}.offer", "expected staff or consult:<topic id>")
            if topic not in known["topic"]:
                raise reference_error(f"{fo.where}.offer", topic)
        faq = Faq(id=fo.id(), question=fo.text("question"), answer=fo.text("answer"), offer=offer)
        if faq.id in faqs:
            raise schema_error("$.search.faqs", f"duplicate id {faq.id!r}")
        faqs[faq.id] = faq
        fo.done()
    ids = dict(known, faq=set(faqs))
    raw_terms = o._get("terms", {}, False)
    if not isinstance(raw_terms, dict):
        raise schema_error("$.search.terms", "expected an object")
    terms: dict[str, tuple[str, ...]] = {}
    for key, values in raw_terms.items():
        where = f"$.search.terms.{key}"
        kind, _, ident = str(key).partition(":")
        if kind not in SEARCH_KINDS:
            raise schema_error(where, f"expected <kind>:<id> with kind one of {SEARCH_KINDS}")
        if ident not in ids[kind]:
            raise reference_error(where, ident)
        if not isinstance(values, list) or not values or len(values) > _MAX_TERMS:
            raise schema_error(where, f"expected a list of 1 to {_MAX_TERMS} terms")
        for j, v in enumerate(values):
            if not isinstance(v, str) or not v.strip() or len(v) > _MAX_TERM:
                raise schema_error(f"{where}[{j}]", f"expected 1 to {_MAX_TERM} characters")
        if len(set(values)) != len(values):
            raise schema_error(where, "a term is repeated")
        terms[key] = tuple(values)
    o.done()
    return faqs, terms
