"""さがす: the kiosk's search over its own catalog, on the device and offline.

A resident types or taps kana, kanji, romaji or words in any of the seven languages and gets
life events, procedures, certificates, consultation topics and short FAQ answers, best first.

Guarantees:
- Pure and deterministic: no I/O, no clock, no randomness; the same catalog and query give the
  same hits in the same order (ties go to life events, then procedures, certificates, topics,
  FAQs, each in catalog order).
- Every language's names are searched whatever the screen's language (a Vietnamese resident
  reading やさしい日本語 may still type "con"); the catalog's `search.terms` add the words
  residents use that the catalog's names do not (ひっこし, hanko, baby).
- Input is folded first (`kiosk.catalog._fold`): full-width, case, katakana/hiragana,
  accents and tone marks make no difference; a romaji word is also tried as kana.
- Several words typed without spaces (Chinese, Japanese): a run is also scored by the share of
  its two-character pieces a text contains, and a Japanese sentence by its kanji words.
- Typos: a word that matches nothing exactly is compared with the catalog's words by edit
  distance (1 for words of 4-7 letters, 2 from 8; kana from 3); a shorter word is never
  guessed, so "ab" does not pretend to mean anything.
- Bounded: a query is cut to `MAX_QUERY` characters and `MAX_WORDS` words; an empty or
  punctuation-only query gives no hits, never an error.
- No resident data: the index holds only catalog texts, and queries are neither stored nor logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.catalog._fold import fold, is_kana, loose_kana, romaji_to_kana, words
from kiosk.catalog._model import SEARCH_KINDS, Catalog, Text

__all__ = ["MAX_QUERY", "MAX_WORDS", "SearchHit", "SearchIndex"]

MAX_QUERY = 80
MAX_WORDS = 6

# Words that carry no meaning of their own in a typed question ("how do I register my seal").
_STOP = frozenset(
    "a an the to of for in on at my is do i how what where can and or with "
    "de da do das dos em no na o os um uma para com que e "
    "cua va cho la toi "
    "".split()
)
_KIND_ORDER = {k: i for i, k in enumerate(SEARCH_KINDS)}


@dataclass(frozen=True)
class SearchHit:
    """One result: what it is (`kind`, `id`), its title in every language, and, for an answer
    that needs a person, what to offer ("staff" or "consult:<topic id>")."""

    kind: str
    id: str
    title: Text
    score: float
    offer: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class _Field:
    compact: str  # folded, spaces removed (CJK has none to keep)
    words: tuple[str, ...]
    loose: str  # loose_kana(compact)
    weight: float


@dataclass(frozen=True)
class _Entry:
    kind: str
    id: str
    title: Text
    offer: str | None
    fields: tuple[_Field, ...]


def _field(text: str, weight: float) -> _Field | None:
    f = fold(text)
    if not f:
        return None
    compact = f.replace(" ", "")
    return _Field(compact, tuple(words(f)), loose_kana(compact), weight)


def _entry(kind: str, ident: str, title: Text, texts: list[tuple[str, float]], offer: str | None):
    fields = tuple(x for x in (_field(t, w) for t, w in texts) if x is not None)
    return _Entry(kind, ident, title, offer, fields)


def _wide(c: str) -> bool:
    """A kanji, hanzi or Hangul syllable: one of them already means something."""
    return "\u4e00" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7a3" or "\u3400" <= c <= "\u4dbf"


def _exact_score(v: str, f: _Field) -> float:
    if v == f.compact:
        s = 100.0
    elif v in f.words:
        s = 90.0
    elif any(w.startswith(v) for w in f.words) and (len(v) >= 2 or _wide(v)):
        s = 75.0
    elif v in f.compact and (len(v) >= 2 or _wide(v)):
        s = 60.0
    elif is_kana(v) and len(loose_kana(v)) >= 2 and loose_kana(v) in f.loose:
        s = 55.0
    elif not v.isascii() and len(f.compact) >= 2 and f.compact in v:
        # The whole catalog word inside what was typed without spaces (印鑑証明 in
        # 印鑑証明書がほしい): as good as a word found, scaled by how much of the input it is.
        return (50.0 + 40.0 * len(f.compact) / len(v)) * f.weight
    else:
        return 0.0
    # Of two texts containing the word, the one the word says more of is the better answer.
    return (s + 10.0 * min(len(v), len(f.compact)) / len(f.compact)) * f.weight


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of two letters counts 1), or limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _limit(v: str) -> int:
    if is_kana(v):  # compared with kana words (やさしい日本語 and the terms are spaced)
        return 1 if len(v) >= 3 else 0
    if not v.isascii():
        return 0  # kanji, hanzi and Hangul: one wrong character is another word
    return 2 if len(v) >= 8 else 1 if len(v) >= 4 else 0


def _fuzzy_score(v: str, f: _Field, memo: dict[tuple[str, str], int]) -> float:
    limit = _limit(v)
    if limit == 0:
        return 0.0
    best = limit + 1
    for w in f.words:
        d = memo.get((v, w))
        if d is None:
            # A word typed in part (the resident stopped typing) counts one more than whole.
            d = min(_distance(v, w, limit), _distance(v, w[: len(v)], limit) + 1)
            memo[(v, w)] = d
        best = min(best, d)
    if best > limit:
        return 0.0
    return (45.0 - 12.0 * best) * f.weight


def _bigram_score(v: str, f: _Field) -> float:
    """For a run of kanji, hanzi or kana typed without spaces ("忘记密码", "印鑑証明書が欲しい"),
    which holds more than one catalog word: the share of its two-character pieces the text has."""
    if v.isascii() or len(v) < 3:
        return 0.0
    grams = {v[i : i + 2] for i in range(len(v) - 1)}
    found = sum(1 for g in grams if g in f.compact)
    if found < 2 and found * 2 < len(grams):
        return 0.0
    return (30.0 + 30.0 * found / len(grams)) * f.weight


def _variants(word: str) -> list[tuple[str, float]]:
    """The ways to read a typed word, each with how much a match of it counts."""
    out = [(word, 1.0)]
    kana = romaji_to_kana(word) if word.isascii() and word.isalpha() else None
    if kana and len(kana) >= 2:
        out.append((kana, 1.0))
    if not word.isascii() and any(_wide(c) for c in word) and not all(_wide(c) for c in word):
        # Japanese typed as a sentence (住民票がほしい, 犬を飼っている): its kanji words carry
        # the meaning; a lone kanji says less than a compound, so it counts less.
        for run in re.findall(r"[\u3400-\u9fff]+", word):
            out.append((run, 1.0 if len(run) >= 2 else 0.6))
    return out


class SearchIndex:
    """The catalog prepared for searching; build once per catalog (cheap: a few ms)."""

    def __init__(self, catalog: Catalog) -> None:
        terms = catalog.search_terms
        entries: list[_Entry] = []

        def add(kind: str, ident: str, title: Text, extra: list[Text], offer: str | None = None):
            texts = [(t, 1.0) for t in title.as_dict().values()]
            texts += [(t, 1.0) for t in terms.get(f"{kind}:{ident}", ())]
            texts += [(t, 0.4) for x in extra for t in x.as_dict().values()]
            entries.append(_entry(kind, ident, title, texts, offer))

        for e in catalog.life_events.values():
            add("life_event", e.id, e.name, [])
        for p in catalog.procedures.values():
            add("procedure", p.id, p.name, [p.summary])
        for c in catalog.certificates.values():
            add("certificate", c.id, c.name, [])
        for t in catalog.topics.values():
            add("topic", t.id, t.name, [], offer=f"consult:{t.id}")
        for q in catalog.faqs.values():
            add("faq", q.id, q.question, [q.answer], offer=q.offer)
        self._entries = tuple(entries)
        self._order = {(e.kind, e.id): i for i, e in enumerate(entries)}

    def search(self, query: str, limit: int = 8) -> list[SearchHit]:
        """The best `limit` hits for `query`, best first; [] when nothing fits."""
        q = words(fold(query[:MAX_QUERY]))
        marked = words(fold(query[:MAX_QUERY], keep_marks=True))
        if len(marked) != len(q):
            marked = q
        meaningful = [w for w, m in zip(q, marked, strict=True) if m not in _STOP]
        q = meaningful[:MAX_WORDS]  # only stop words ("the of to"): nothing asked
        if not q:
            return []
        variants = [_variants(w) for w in q]
        # A word that matches exactly somewhere is taken at its word; only a word that matches
        # nothing at all is read as a typo (else "con" would also find "com" and "cor").
        exact = [
            [
                [
                    max(_bigram_score(w, f), *(_exact_score(v, f) * k for v, k in vs))
                    for w, vs in zip(q, variants, strict=True)
                ]
                for f in e.fields
            ]
            for e in self._entries
        ]
        found = [any(row[i] > 0 for per in exact for row in per) for i in range(len(q))]
        hits = []
        memo: dict[tuple[str, str], int] = {}
        for e, per_field in zip(self._entries, exact, strict=True):
            total, matched = 0.0, 0
            for i, vs in enumerate(variants):
                best = max((row[i] for row in per_field), default=0.0)
                if best == 0.0 and not found[i]:
                    best = max(
                        (_fuzzy_score(v, f, memo) * k for v, k in vs for f in e.fields),
                        default=0.0,
                    )
                if best > 0:
                    matched += 1
                    total += best
                else:
                    total -= 25.0
            if len(q) > 1:
                # The words together, as one of the entry's texts says them ("mất thẻ"), beat
                # the same words scattered over its texts.
                phrase = "".join(q)
                if any(phrase == f.compact for f in e.fields):
                    total += 30.0
                elif any(phrase in f.compact for f in e.fields):
                    total += 15.0
            if matched == 0 or matched * 2 < len(q):
                continue
            hits.append(SearchHit(e.kind, e.id, e.title, round(total, 3), e.offer))
        hits.sort(key=lambda h: (-h.score, _KIND_ORDER[h.kind], self._order[(h.kind, h.id)]))
        return hits[: max(limit, 0)]
