"""Bad catalog input for the fields issue 20 added (per-event details, due days, URLs, sources,
the prefill completion): each is refused with a typed error naming the spot, and a good
document still loads with the event's context applied."""

from __future__ import annotations

import copy

import pytest

from kiosk.catalog import CatalogReferenceError, CatalogSchemaError, CompletionKind, parse_catalog
from madoguchi.core.i18n import LANGUAGES


def _t(text):
    return {lang: f"{text} ({lang})" for lang in LANGUAGES}


_CARD_FIELD = {"name": "name", "label": _t("Name"), "source": "card", "kind": "text",
               "card_item": "name"}  # fmt: skip


def _doc():
    return {
        "format": 1,
        "version": 1,
        "procedures": [
            {
                "id": "pre",
                "name": _t("Pre"),
                "summary": _t("Pre"),
                "completion": {"kind": "prefill", "office": _t("Counter 3")},
                "fields": [_CARD_FIELD],
                "deadline": _t("14 days"),
                "due_days": 14,
                "source": "https://laws.e-gov.go.jp/law/342AC0000000081",
                "checked": "2026-12-03",
            },
            {
                "id": "web",
                "name": _t("Web"),
                "summary": _t("Web"),
                "completion": {"kind": "online"},
                "url": "https://myna.go.jp/",
                "documents": [_t("Card")],
            },
        ],
        "life_events": [
            {
                "id": "ev",
                "name": _t("Event"),
                "date_label": _t("Day"),
                "questions": [{"id": "q", "text": _t("Q?")}],
                "always": ["pre"],
                "rules": [{"if": {"q": True}, "add": ["web"]}],
                "details": {
                    "web": {"deadline": _t("7 days"), "due_days": 6, "documents": [_t("Other")]}
                },  # fmt: skip
            }
        ],
        "certificates": [],
        "topics": [],
    }


def test_good_document_loads_with_event_context():
    catalog = parse_catalog(_doc())
    pre = catalog.procedures["pre"]
    assert pre.completion.kind is CompletionKind.PREFILL and pre.kiosk_capable
    assert not pre.finished_here and pre.due_days == 14 and pre.checked == "2026-12-03"
    event = catalog.life_events["ev"]
    web = catalog.procedure_in(event, "web")
    assert web.due_days == 6 and web.deadline["en"] == "7 days (en)"
    assert [d["en"] for d in web.documents] == ["Other (en)"]
    # Outside the event the shared entry is unchanged.
    assert catalog.procedure_in(None, "web").documents[0]["en"] == "Card (en)"
    assert event.date_label["ja"] == "Day (ja)"


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
P0 = ["procedures", 0]
P1 = ["procedures", 1]
DETAIL = ["life_events", 0, "details", "web"]

CASES = [
    ("prefill without office", _set([*P0, "completion"], {"kind": "prefill"}),
     CatalogSchemaError, "$.procedures[0].completion.office"),
    ("prefill without fields", _set([*P0, "fields"], []), CatalogSchemaError,
     "$.procedures[0].fields"),
    ("online without url", _set([*P1, "url"], _DELETE), CatalogSchemaError, "$.procedures[1].url"),
    ("plain http url", _set([*P1, "url"], "http://myna.go.jp/"), CatalogSchemaError,
     "$.procedures[1].url"),
    ("url with a space", _set([*P1, "url"], "https://myna.go.jp/a b"), CatalogSchemaError,
     "$.procedures[1].url"),
    ("javascript source", _set([*P0, "source"], "javascript:alert(1)"), CatalogSchemaError,
     "$.procedures[0].source"),
    ("checked not a date", _set([*P0, "checked"], "yesterday"), CatalogSchemaError,
     "$.procedures[0].checked"),
    ("negative due days", _set([*P0, "due_days"], -1), CatalogSchemaError,
     "$.procedures[0].due_days"),
    ("due days beyond three years", _set([*P0, "due_days"], 5000), CatalogSchemaError,
     "$.procedures[0].due_days"),
    ("due days without deadline words", _set([*P0, "deadline"], _DELETE), CatalogSchemaError,
     "$.procedures[0].due_days"),
    ("details not an object", _set(["life_events", 0, "details"], ["web"]), CatalogSchemaError,
     "$.life_events[0].details"),
    ("detail with unknown key", _set([*DETAIL, "fee_yen"], 300), CatalogSchemaError,
     "$.life_events[0].details.web"),
    ("empty detail", _set(DETAIL, {}), CatalogSchemaError, "$.life_events[0].details.web"),
    ("detail documents not a list", _set([*DETAIL, "documents"], "Card"), CatalogSchemaError,
     "$.life_events[0].details.web.documents"),
    ("detail due days without deadline", _set(DETAIL, {"due_days": 3}), CatalogSchemaError,
     "$.life_events[0].details.web.due_days"),
    ("detail for a procedure the event never lists",
     _set(["life_events", 0, "details", "pre2"], {"deadline": _t("x")}), CatalogReferenceError,
     "$.life_events[0].details"),
    ("detail with a bad id", _set(["life_events", 0, "details", "Web!"], {"deadline": _t("x")}),
     CatalogSchemaError, "$.life_events[0].details.Web!"),
    ("date label missing a language", _set(["life_events", 0, "date_label", "vi"], _DELETE),
     CatalogSchemaError, "$.life_events[0].date_label"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "change", "error", "where"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_naming_the_spot(name, change, error, where):
    doc = copy.deepcopy(_doc())
    change(doc)
    with pytest.raises(error) as info:
        parse_catalog(doc)
    assert info.value.where == where
