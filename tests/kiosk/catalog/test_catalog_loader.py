"""The strict loader: table-driven bad documents give typed errors that name the spot."""

from __future__ import annotations

import copy
import json

import pytest

from kiosk.catalog import (
    CatalogReferenceError,
    CatalogSchemaError,
    LifeEvent,
    Rule,
    load_catalog,
    parse_catalog,
    select_procedures,
)
from madoguchi.core.i18n import LANGUAGES


def _t(text):
    return {lang: f"{text} ({lang})" for lang in LANGUAGES}


def _doc():
    return {
        "format": 1,
        "version": 3,
        "procedures": [
            {
                "id": "a",
                "name": _t("A"),
                "summary": _t("A"),
                "completion": {"kind": "kiosk"},
                "fields": [
                    {
                        "name": "name",
                        "label": _t("Name"),
                        "source": "card",
                        "kind": "text",
                        "card_item": "name",
                    },
                    {"name": "n", "label": _t("N"), "source": "asked", "kind": "number", "min": 1},
                ],
            },
            {
                "id": "b",
                "name": _t("B"),
                "summary": _t("B"),
                "completion": {"kind": "office", "office": _t("Office")},
            },
        ],
        "life_events": [
            {
                "id": "ev",
                "name": _t("Event"),
                "questions": [{"id": "q", "text": _t("Q?")}],
                "always": ["a"],
                "rules": [{"if": {"q": True}, "add": ["b"]}],
            }
        ],
        "certificates": [{"id": "c", "name": _t("C"), "fee_yen": 300}],
        "topics": [{"id": "t", "name": _t("T")}],
        "slots": [{"id": "s1", "topic": "t", "start": "2027-01-01T10:00", "minutes": 30}],
    }


def test_minimal_document_loads():
    catalog = parse_catalog(_doc())
    assert catalog.version == 3
    assert catalog.procedures["a"].fields[1].min_value == 1
    assert load_catalog(json.dumps(_doc()).encode()).version == 3


def _set(path, value):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


_DELETE = object()

BAD = [
    ("format", _set(["format"], 2), CatalogSchemaError, "$.format"),
    ("version zero", _set(["version"], 0), CatalogSchemaError, "$.version"),
    ("version string", _set(["version"], "1"), CatalogSchemaError, "$.version"),
    ("unknown top key", _set(["extras"], 1), CatalogSchemaError, "$"),
    ("missing procedures", _set(["procedures"], _DELETE), CatalogSchemaError, "$.procedures"),
    ("bad id", _set(["procedures", 0, "id"], "A-1"), CatalogSchemaError, "$.procedures[0].id"),
    ("duplicate id", _set(["procedures", 1, "id"], "a"), CatalogSchemaError, "$.procedures"),
    (
        "missing language",
        _set(["procedures", 0, "name", "vi"], _DELETE),
        CatalogSchemaError,
        "$.procedures[0].name",
    ),
    (
        "empty text",
        _set(["procedures", 0, "name", "ko"], " "),
        CatalogSchemaError,
        "$.procedures[0].name.ko",
    ),
    (
        "extra language",
        _set(["procedures", 0, "name", "fr"], "x"),
        CatalogSchemaError,
        "$.procedures[0].name",
    ),
    (
        "bad completion",
        _set(["procedures", 0, "completion", "kind"], "fax"),
        CatalogSchemaError,
        "$.procedures[0].completion.kind",
    ),
    (
        "office without office",
        _set(["procedures", 1, "completion"], {"kind": "office"}),
        CatalogSchemaError,
        "$.procedures[1].completion.office",
    ),
    (
        "kiosk without fields",
        _set(["procedures", 0, "fields"], []),
        CatalogSchemaError,
        "$.procedures[0].fields",
    ),
    (
        "card item",
        _set(["procedures", 0, "fields", 0, "card_item"], "my_number"),
        CatalogSchemaError,
        "$.procedures[0].fields[0].card_item",
    ),
    (
        "asked with card item",
        _set(["procedures", 0, "fields", 1, "card_item"], "name"),
        CatalogSchemaError,
        "$.procedures[0].fields[1].card_item",
    ),
    (
        "bad kind",
        _set(["procedures", 0, "fields", 1, "kind"], "signature"),
        CatalogSchemaError,
        "$.procedures[0].fields[1].kind",
    ),
    (
        "choice without choices",
        _set(["procedures", 0, "fields", 1, "kind"], "choice"),
        CatalogSchemaError,
        "$.procedures[0].fields[1].choices",
    ),
    (
        "negative fee",
        _set(["procedures", 0, "fee_yen"], -1),
        CatalogSchemaError,
        "$.procedures[0].fee_yen",
    ),
    (
        "bool fee",
        _set(["procedures", 0, "fee_yen"], True),
        CatalogSchemaError,
        "$.procedures[0].fee_yen",
    ),
    (
        "record kind",
        _set(["procedures", 0, "record_kind"], "metric"),
        CatalogSchemaError,
        "$.procedures[0].record_kind",
    ),
    (
        "rule unknown procedure",
        _set(["life_events", 0, "rules", 0, "add"], ["zzz"]),
        CatalogReferenceError,
        "$.life_events[0].rules[0]",
    ),
    (
        "rule unknown question",
        _set(["life_events", 0, "rules", 0, "if"], {"nope": True}),
        CatalogReferenceError,
        "$.life_events[0].rules[0].if",
    ),
    (
        "rule non-bool",
        _set(["life_events", 0, "rules", 0, "if"], {"q": "yes"}),
        CatalogSchemaError,
        "$.life_events[0].rules[0].if.q",
    ),
    (
        "rule empty if",
        _set(["life_events", 0, "rules", 0, "if"], {}),
        CatalogSchemaError,
        "$.life_events[0].rules[0].if",
    ),
    (
        "rule no effect",
        _set(["life_events", 0, "rules", 0, "add"], []),
        CatalogSchemaError,
        "$.life_events[0].rules[0]",
    ),
    (
        "always unknown",
        _set(["life_events", 0, "always"], ["zzz"]),
        CatalogReferenceError,
        "$.life_events[0].always",
    ),
    ("slot topic", _set(["slots", 0, "topic"], "zzz"), CatalogReferenceError, "$.slots[0].topic"),
    ("slot start", _set(["slots", 0, "start"], "tomorrow"), CatalogSchemaError, "$.slots[0].start"),
    ("not an object", lambda d: d["procedures"].append([]), CatalogSchemaError, "$.procedures[2]"),
]


@pytest.mark.parametrize("name, change, error, where", BAD, ids=[b[0] for b in BAD])
def test_bad_documents_are_refused_with_the_spot(name, change, error, where):
    doc = copy.deepcopy(_doc())
    change(doc)
    with pytest.raises(error) as info:
        parse_catalog(doc)
    assert info.value.where == where


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[]", b"null"])
def test_not_json_or_not_an_object(raw):
    with pytest.raises(CatalogSchemaError):
        load_catalog(raw)


def test_rules_engine_order_add_remove_and_unanswered():
    event = LifeEvent(
        id="e",
        name=None,  # type: ignore[arg-type]
        questions=(),
        always=("x", "y"),
        rules=(
            Rule(when=(("a", True),), add=("z", "x")),
            Rule(when=(("a", True), ("b", False)), remove=("y",)),
            Rule(when=(("c", True),), add=("w",)),
        ),
    )
    assert select_procedures(event, {}) == ["x", "y"]
    assert select_procedures(event, {"a": True}) == ["x", "y", "z"]
    assert select_procedures(event, {"a": True, "b": False}) == ["x", "z"]
    assert select_procedures(event, {"a": True, "b": True, "c": True}) == ["x", "y", "z", "w"]
    assert select_procedures(event, {"c": False}) == ["x", "y"]
