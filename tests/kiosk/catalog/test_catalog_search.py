"""さがす (issue 19): the search box's engine over the shipped catalog, offline.

The table in data/search_queries.toml is what residents type (kana, kanji, romaji and words in
the seven languages, with typos and whole sentences) and the first hit each must give."""

from __future__ import annotations

import copy
import json
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from kiosk.catalog import (
    MAX_QUERY,
    SEARCH_KINDS,
    CatalogReferenceError,
    CatalogSchemaError,
    SearchIndex,
    default_catalog,
    parse_catalog,
)
from madoguchi.core.i18n import LANGUAGES

pytestmark = pytest.mark.timeout(60)

TABLE = tomllib.loads((Path(__file__).parent / "data" / "search_queries.toml").read_text())["query"]


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


@pytest.fixture(scope="module")
def index(catalog):
    return SearchIndex(catalog)


def test_the_table_covers_seven_languages_and_sixty_queries(catalog):
    assert len(TABLE) >= 60
    assert {row["lang"] for row in TABLE} == set(LANGUAGES)
    for row in TABLE:
        kind, _, ident = row["first"].partition(":")
        assert kind in SEARCH_KINDS, row
        pool = {
            "life_event": catalog.life_events,
            "procedure": catalog.procedures,
            "certificate": catalog.certificates,
            "topic": catalog.topics,
            "faq": catalog.faqs,
        }[kind]
        assert ident in pool, f"{row['q']!r}: {row['first']} is not in the catalog"


@pytest.mark.parametrize("row", TABLE, ids=[f"{r['lang']}:{r['q']}" for r in TABLE])
def test_first_hit(index, row):
    hits = index.search(row["q"])
    assert hits, f"{row['q']!r} found nothing"
    assert hits[0].key == row["first"], (
        f"{row['q']!r} ({row.get('why', row['lang'])}): first {hits[0].key}, expected "
        f"{row['first']}; top 3 {[(h.key, h.score) for h in hits[:3]]}"
    )


def test_hits_carry_titles_in_every_language_and_what_to_offer(index, catalog):
    pin = index.search("暗証番号を忘れた")[0]
    assert pin.kind == "faq" and pin.offer == "staff"
    assert pin.title.get("vi") == catalog.faqs["forgot_pin"].question.get("vi")
    money = index.search("生活費に困っている")[0]
    assert money.key == "faq:living_costs" and money.offer == "consult:welfare"
    tax = index.search("税金")[0]
    assert tax.key == "topic:tax" and tax.offer == "consult:tax"
    event = index.search("baby")[0]
    assert event.offer is None
    assert set(event.title.as_dict()) == set(LANGUAGES)


def test_results_are_ordered_deterministic_and_limited(index):
    first = index.search("hoken", limit=20)
    assert len(first) > 3
    assert [h.key for h in first] == [
        h.key for h in SearchIndex(default_catalog()).search("hoken", limit=20)
    ]
    assert [h.score for h in first] == sorted((h.score for h in first), reverse=True)
    assert len(index.search("hoken", limit=2)) == 2
    assert index.search("hoken", limit=0) == []


def test_a_typo_is_forgiven_but_nonsense_is_not_guessed(index):
    assert index.search("registratoin")  # a swap of two letters
    for nonsense in ("qx", "zz", "xq", "ぬ", "ぬぬ", "qxzv"):
        assert index.search(nonsense) == [], nonsense


BAD_QUERIES = [
    ("empty", ""),
    ("spaces only", "   \u3000 "),
    ("punctuation only", "？！・、。()--"),
    ("control characters", "\x00\x1b[2J\x07"),
    ("emoji only", "🙂🙂"),
    ("only stop words", "the of to"),
]


@pytest.mark.parametrize("query", [q for _, q in BAD_QUERIES], ids=[n for n, _ in BAD_QUERIES])
def test_bad_query_gives_no_hits_and_no_error(index, query):
    assert index.search(query) == []


def test_overlong_query_is_cut_not_refused(index):
    long = "引っ越し" + "あ" * 5000
    hits = index.search(long)  # cut to MAX_QUERY characters; no error, bounded work
    assert len(long) > MAX_QUERY
    assert isinstance(hits, list)
    assert index.search("ひっこし " * 200)[0].key == "life_event:moving_in"


def test_every_catalog_entry_is_found_by_its_own_name_in_every_language(index, catalog):
    """Each entry's own name finds it among the first three hits, in each of the 7 languages
    (names shared between entries, such as 介護 for the event and the topic, may tie)."""
    entries = [("life_event", e.id, e.name) for e in catalog.life_events.values()]
    entries += [("certificate", c.id, c.name) for c in catalog.certificates.values()]
    entries += [("faq", f.id, f.question) for f in catalog.faqs.values()]
    for kind, ident, name in entries:
        for lang in LANGUAGES:
            keys = [h.key for h in index.search(name.get(lang), limit=3)]
            assert f"{kind}:{ident}" in keys, (lang, name.get(lang), keys)


def _doc():
    raw = resources.files("kiosk.catalog").joinpath("default_catalog.json").read_bytes()
    return json.loads(raw)


def _t(text):
    return {lang: text for lang in LANGUAGES}


def _change(fn):
    def apply(doc):
        fn(doc["search"])
        return doc

    return apply


CASES = [
    ("terms not an object", _change(lambda s: s.__setitem__("terms", ["hanko"])),
     CatalogSchemaError, "$.search.terms"),
    ("unknown kind", _change(lambda s: s["terms"].__setitem__("office:x", ["a"])),
     CatalogSchemaError, "$.search.terms.office:x"),
    ("unknown id", _change(lambda s: s["terms"].__setitem__("procedure:nope", ["a"])),
     CatalogReferenceError, "$.search.terms.procedure:nope"),
    ("empty term list", _change(lambda s: s["terms"].__setitem__("procedure:moving_in", [])),
     CatalogSchemaError, "$.search.terms.procedure:moving_in"),
    ("blank term", _change(lambda s: s["terms"].__setitem__("procedure:moving_in", [" "])),
     CatalogSchemaError, "$.search.terms.procedure:moving_in[0]"),
    ("term not a string", _change(lambda s: s["terms"].__setitem__("procedure:moving_in", [7])),
     CatalogSchemaError, "$.search.terms.procedure:moving_in[0]"),
    ("overlong term", _change(lambda s: s["terms"].__setitem__("procedure:moving_in", ["x" * 61])),
     CatalogSchemaError, "$.search.terms.procedure:moving_in[0]"),
    ("too many terms", _change(lambda s: s["terms"].__setitem__(
        "procedure:moving_in", [f"t{i}" for i in range(65)])),
     CatalogSchemaError, "$.search.terms.procedure:moving_in"),
    ("repeated term", _change(lambda s: s["terms"].__setitem__("procedure:moving_in", ["a", "a"])),
     CatalogSchemaError, "$.search.terms.procedure:moving_in"),
    ("term for an unknown faq", _change(lambda s: s["terms"].__setitem__("faq:nope", ["a"])),
     CatalogReferenceError, "$.search.terms.faq:nope"),
    ("faq missing a language", _change(lambda s: s["faqs"][0]["answer"].pop("vi")),
     CatalogSchemaError, "$.search.faqs[0].answer"),
    ("faq offer neither staff nor consult", _change(lambda s: s["faqs"][0].__setitem__("offer", "police")),
     CatalogSchemaError, "$.search.faqs[0].offer"),
    ("faq offer of an unknown topic", _change(lambda s: s["faqs"][0].__setitem__("offer", "consult:x")),
     CatalogReferenceError, "$.search.faqs[0].offer"),
    ("duplicate faq id", _change(lambda s: s["faqs"].append(copy.deepcopy(s["faqs"][0]))),
     CatalogSchemaError, "$.search.faqs"),
    ("unknown key in the section", _change(lambda s: s.__setitem__("synonyms", {})),
     CatalogSchemaError, "$.search"),
    ("unknown key in a faq", _change(lambda s: s["faqs"][0].__setitem__("url", "https://x.jp")),
     CatalogSchemaError, "$.search.faqs[0]"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "change", "error", "where"), CASES, ids=[c[0] for c in CASES])
def test_bad_search_section_is_refused_naming_the_spot(name, change, error, where):
    with pytest.raises(error) as e:
        parse_catalog(change(_doc()))
    assert e.value.where == where, str(e.value)


def test_a_catalog_without_a_search_section_still_searches_by_names():
    doc = _doc()
    del doc["search"]
    catalog = parse_catalog(doc)
    assert catalog.faqs == {} and catalog.search_terms == {}
    assert SearchIndex(catalog).search("結婚")[0].key == "life_event:marriage"
