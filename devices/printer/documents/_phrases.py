"""Where a Japanese or Chinese line may break on paper: between phrases, never inside a word.

Wrapping at any character cut 「支払\\nい済み」 and 「保管してくださ\\nい。」 on the 80 mm roll
(review B4). `pieces` cuts a run of text into phrases a line may end after, by the scripts on
either side of each gap (a small, dependency-free cousin of BudouX):
- after a space, after 、。，．・：；？！ and closing brackets and quotes;
- after hiragana when the next character is not hiragana (the particle or okurigana ends a
  phrase: 「決済で|支払い|済みです。」), and between katakana and kanji either way; before the
  honorific お/ご of a kanji word, never after it (「市役所へ|お問い」, 「お支払い」);
- never between two characters of one word: kanji → hiragana (okurigana: 支払い), kana → kana,
  digits and Latin letters among themselves and with the 年月日 that follow a number.
A phrase wider than a whole line is still cut by the caller, at characters, with 禁則.
Pure functions, no I/O.
"""

from __future__ import annotations

__all__ = ["pieces"]

_AFTER = frozenset(" 、。，．,.・：:；;？?！!）)」』】〕〉》］]｝}’”")


def _script(c: str) -> str:
    o = ord(c)
    if 0x3041 <= o <= 0x309F:
        return "hira"
    if 0x30A0 <= o <= 0x30FF or 0xFF66 <= o <= 0xFF9F:
        return "kata"
    if 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or c in "々〆〇":
        return "kanji"
    if c.isalnum():
        return "alnum"
    return "other"


def _may_break(text: str, i: int) -> bool:
    """Whether a line may break between text[i] and text[i + 1]."""
    prev, nxt = text[i], text[i + 1]
    if prev in _AFTER:
        return True
    a, b = _script(prev), _script(nxt)
    after = text[i + 2] if i + 2 < len(text) else ""
    if a == "hira" and b == "hira":  # before the honorific お/ご of a kanji word: 市役所へ|お問い
        return nxt in "おご" and _script(after) == "kanji"
    if a == "hira":  # ... but never between お/ご and its word (お支払い)
        return b not in ("hira", "other") and not (prev in "おご" and (i == 0 or
                                                   _script(text[i - 1]) != "hira" or
                                                   _may_break(text, i - 1)))  # fmt: skip
    return {a, b} == {"kata", "kanji"} and prev != "ー"


def pieces(text: str) -> list[str]:
    """`text` cut after every place a line may break; "".join(result) == text."""
    out: list[str] = []
    cur = ""
    for i, c in enumerate(text):
        cur += c
        if i + 1 < len(text) and _may_break(text, i):
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out
