"""Text folding for the kiosk's search: what a resident types and what the catalog says are
brought to one comparable form.

Guarantees (pure functions, no I/O, no state):
- `fold(s)` is NFKC (full-width Latin and half-width kana become ordinary), case-folded,
  katakana written as hiragana, Latin accents and Vietnamese tone marks dropped (đ → d), and
  every run of punctuation or space one space; Hangul, kanji and Chinese characters are kept
  as they are (decomposing Hangul would make every syllable match every other).
- `loose_kana(s)` also drops what romaji and quick typing leave out: the long-vowel mark ー and
  a long vowel spelled with う (おう, ゆう → お, ゆ), so "tokyo" meets とうきょう.
- `romaji_to_kana(s)` reads Hepburn, Kunrei and typing romaji (shi/si, tsu/tu, chi/ti, nn, n',
  double consonants, ja/zya) as hiragana; it returns None when the word is not romaji, so
  English, Portuguese and Vietnamese words are never forced into kana.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "is_kana", "loose_kana", "romaji_to_kana", "words"]

_SPACE = re.compile(r"[\s\u3000]+")


def _strip_latin_marks(c: str) -> str:
    # Only Latin letters lose their marks: NFD of a Hangul syllable or of が would split it
    # into parts that then match far too much.
    o = ord(c)
    if c in "đĐ":
        return "d"
    if o < 0x0250 or 0x1E00 <= o < 0x1F00:
        return "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x))
    return c


def fold(text: str, keep_marks: bool = False) -> str:
    """The comparable form of `text` (see the module docstring); `keep_marks` keeps accents
    and tone marks (to tell the Vietnamese word "thẻ" from the English "the")."""
    out = []
    for c in unicodedata.normalize("NFKC", text).casefold():
        if "ァ" <= c <= "ヶ":
            c = chr(ord(c) - 0x60)
        if not keep_marks:
            c = _strip_latin_marks(c)
        cat = unicodedata.category(c[:1]) if c else "Zs"
        # Letters, digits and the marks kana and Hangul need stay; the long-vowel mark ー is a
        # letter (Lm). Everything else (・（）、。, - ' ?) separates words.
        out.append(c if cat[0] in "LNM" else " ")
    return _SPACE.sub(" ", "".join(out)).strip()


def words(folded: str) -> list[str]:
    return [w for w in folded.split(" ") if w]


def is_kana(text: str) -> bool:
    return bool(text) and all("ぁ" <= c <= "ゖ" or c == "ー" for c in text)


_U_ROW = set("うくすつぬふむゆるぐずづぶぷゅぅ")
_O_ROW = set("おこそとのほもよろをごぞどぼぽょぉ")


def loose_kana(text: str) -> str:
    """Drop long-vowel spellings: ー, and う after a u- or o-row kana (ゆう, こう)."""
    out: list[str] = []
    for c in text:
        if c == "ー":
            continue
        if c == "う" and out and (out[-1] in _U_ROW or out[-1] in _O_ROW):
            continue
        out.append(c)
    return "".join(out)


_ROMAJI = {
    "a": "あ", "i": "い", "u": "う", "e": "え", "o": "お",
    "ka": "か", "ki": "き", "ku": "く", "ke": "け", "ko": "こ",
    "ga": "が", "gi": "ぎ", "gu": "ぐ", "ge": "げ", "go": "ご",
    "sa": "さ", "shi": "し", "si": "し", "su": "す", "se": "せ", "so": "そ",
    "za": "ざ", "ji": "じ", "zi": "じ", "zu": "ず", "ze": "ぜ", "zo": "ぞ",
    "ta": "た", "chi": "ち", "ti": "ち", "tsu": "つ", "tu": "つ", "te": "て", "to": "と",
    "da": "だ", "di": "ぢ", "du": "づ", "de": "で", "do": "ど",
    "na": "な", "ni": "に", "nu": "ぬ", "ne": "ね", "no": "の",
    "ha": "は", "hi": "ひ", "fu": "ふ", "hu": "ふ", "he": "へ", "ho": "ほ",
    "ba": "ば", "bi": "び", "bu": "ぶ", "be": "べ", "bo": "ぼ",
    "pa": "ぱ", "pi": "ぴ", "pu": "ぷ", "pe": "ぺ", "po": "ぽ",
    "ma": "ま", "mi": "み", "mu": "む", "me": "め", "mo": "も",
    "ya": "や", "yu": "ゆ", "yo": "よ",
    "ra": "ら", "ri": "り", "ru": "る", "re": "れ", "ro": "ろ",
    "wa": "わ", "wo": "を", "n'": "ん", "nn": "ん",
    "kya": "きゃ", "kyu": "きゅ", "kyo": "きょ", "gya": "ぎゃ", "gyu": "ぎゅ", "gyo": "ぎょ",
    "sha": "しゃ", "shu": "しゅ", "sho": "しょ", "sya": "しゃ", "syu": "しゅ", "syo": "しょ",
    "ja": "じゃ", "ju": "じゅ", "jo": "じょ", "zya": "じゃ", "zyu": "じゅ", "zyo": "じょ",
    "jya": "じゃ", "jyu": "じゅ", "jyo": "じょ", "je": "じぇ",
    "cha": "ちゃ", "chu": "ちゅ", "cho": "ちょ", "tya": "ちゃ", "tyu": "ちゅ", "tyo": "ちょ",
    "che": "ちぇ", "she": "しぇ",
    "nya": "にゃ", "nyu": "にゅ", "nyo": "にょ", "hya": "ひゃ", "hyu": "ひゅ", "hyo": "ひょ",
    "bya": "びゃ", "byu": "びゅ", "byo": "びょ", "pya": "ぴゃ", "pyu": "ぴゅ", "pyo": "ぴょ",
    "mya": "みゃ", "myu": "みゅ", "myo": "みょ", "rya": "りゃ", "ryu": "りゅ", "ryo": "りょ",
    "fa": "ふぁ", "fi": "ふぃ", "fe": "ふぇ", "fo": "ふぉ", "-": "ー",
}  # fmt: skip
_LONGEST = max(len(k) for k in _ROMAJI)


def romaji_to_kana(word: str) -> str | None:
    """Hiragana for a romaji word, or None if `word` is not entirely romaji."""
    w = word.lower()
    if not w or not w.isascii():
        return None
    out: list[str] = []
    i = 0
    while i < len(w):
        c = w[i]
        nxt = w[i + 1] if i + 1 < len(w) else ""
        # A doubled consonant is a small っ (kko, tchi); a lone n before a consonant is ん.
        if c == nxt and c not in "aeioun":
            out.append("っ")
            i += 1
            continue
        if c == "t" and w.startswith("tch", i):
            out.append("っ")
            i += 1
            continue
        after = w[i + 2] if i + 2 < len(w) else ""
        if c == "n" and (
            not nxt or nxt not in "aeiouyn'" or (nxt == "n" and after != "" and after in "aeiouy")
        ):
            out.append("ん")
            i += 1
            continue
        for size in range(min(_LONGEST, len(w) - i), 0, -1):
            kana = _ROMAJI.get(w[i : i + size])
            if kana is not None:
                out.append(kana)
                i += size
                break
        else:
            return None
    return "".join(out)
