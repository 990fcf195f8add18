"""Line breaking for the kiosk's labels and buttons: Japanese 禁則 and whole words.

Kivy wraps at spaces and, when a run without spaces is longer than the line, at any character.
So Japanese lines started with 」。、）ー or small kana, a word of やさしい日本語 was cut
("あかち/ゃん") and a long Latin word too ("media-em/pty"). `break_lines` places the breaks
itself and the widget renders the lines it returns (Kivy then has nothing left to wrap).

Guarantees (pure: the caller passes `measure(text) -> px` for its font):
- A line never starts with a character of `NO_START` (closing brackets and quotes, 、。，．・：
  ；？！, ー, small kana, 々) and never ends with one of `NO_END` (opening brackets and quotes).
- Words written with spaces (English, Portuguese, Vietnamese, Korean, やさしい日本語) break
  only at spaces or after a hyphen; Japanese and Chinese break at spaces too when there are
  any, and inside a run wider than the line between any two kanji or kana the rules above
  allow; digits and Latin letters always stay together.
- Only a word longer than a whole line is cut, and then still with 禁則.
- The last line of a paragraph holds two characters or more when the line above can give
  them ("くらしの出来事（引っ越し・出生な / ど）" becomes "…出生 / など）").
- Every line fits `width` as `measure` counts it; the text is unchanged but for line ends
  (spaces at a break are dropped, "\n" is inserted). Explicit "\n" are kept.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["NO_END", "NO_START", "break_lines", "split_word_breaks"]

NO_START = frozenset(
    "、。，．,.・：:；;？?！!ー）)」』】〕〉》］]｝}’”ゝゞヽヾぁぃぅぇぉっゃゅょゎゕゖ"
    "ァィゥェォッャュョヮヵヶ々〻～"
)
NO_END = frozenset("（(「『【〔〈《［[｛{‘“")


def _wide(c: str) -> bool:
    """A character after which a line may break in a run without spaces (kanji, kana, CJK
    punctuation, full-width forms)."""
    o = ord(c)
    return (
        0x3000 <= o <= 0x30FF
        or 0x3400 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF01 <= o <= 0xFF60
        or 0x2E80 <= o <= 0x2FDF
    )


def _pieces(text: str) -> list[str]:
    """The text cut at every allowed break: a piece ends with its trailing spaces, after a
    hyphen between letters, or between two characters a Japanese/Chinese line may break at."""
    out: list[str] = []
    cur = ""
    for i, c in enumerate(text):
        nxt = text[i + 1] if i + 1 < len(text) else ""
        cur += c
        if not nxt:
            break
        if c == " ":
            if nxt != " ":
                out.append(cur)
                cur = ""
            continue
        if nxt == " ":
            continue
        if c == "-" and cur[:-1][-1:].isalpha() and nxt.isalpha():
            out.append(cur)
            cur = ""
            continue
        if (_wide(c) or _wide(nxt)) and nxt not in NO_START and c not in NO_END:
            # Between a spaced script and CJK (「Madoguchi」, 14日) a break is allowed as in
            # JIS X 4051 — but not inside やさしい日本語's spaced kana words: see break_lines.
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def split_word_breaks(text: str) -> list[str]:
    """Pieces for text written with spaces between words: a piece is a whole word with its
    spaces; inside a word only 禁則-free breaks after a hyphen are allowed."""
    out: list[str] = []
    for piece in _pieces(text):
        if out and not out[-1].endswith(_WORD_ENDS):
            out[-1] += piece
        else:
            out.append(piece)
    return out


# After these a word of spaced text ends even without a space (プリンター：つかえます).
_WORD_ENDS = (" ", "-", "、", "。", "：", "，", "）", "」", "』", "】", "・")


def _cut(word: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """A word longer than a line, cut by characters, still with 禁則."""
    lines: list[str] = []
    line = ""
    for c in word:
        if line and measure(line + c) > width:
            nxt = c
            while len(line) > 1 and (nxt[0] in NO_START or line[-1] in NO_END):
                nxt, line = line[-1] + nxt, line[:-1]
            lines.append(line)
            line = nxt
        else:
            line += c
    while len(lines) > 0 and sum(ch.isalnum() for ch in line) < 2 < len(lines[-1]):
        # no last line of one character: take one more from the line above (禁則 still)
        moved, rest = lines[-1][-1] + line, lines[-1][:-1]
        if moved[0] in NO_START or rest[-1] in NO_END or measure(moved) > width:
            break
        lines[-1], line = rest, moved
    lines.append(line)
    return lines


def break_lines(text: str, width: float, measure: Callable[[str], float], cjk: bool = True) -> str:
    """`text` with "\\n" where its lines must break to fit `width` (see the module docstring).
    `cjk`: breaks between kanji and kana are allowed (Japanese and Chinese text, also shown in
    another language's screen: an address); False for やさしい日本語, whose spaced kana words
    stay whole. Latin, Vietnamese and Hangul words are never broken inside either way."""
    if width <= 0 or not text:
        return text
    out: list[str] = []
    for para in text.split("\n"):
        if not para or measure(para) <= width:
            out.append(para)
            continue
        pieces = split_word_breaks(para)
        if cjk:
            # Spaces first ("市役所 市民課 窓口", a やさしい日本語 name on a Japanese screen);
            # a word wider than the line breaks between its kanji and kana.
            pieces = [
                p for word in pieces for p in (_pieces(word) if measure(word) > width else [word])
            ]
        lines: list[list[str]] = [[]]
        for piece in pieces:
            line = "".join(lines[-1])
            if line and measure((line + piece).rstrip(" ")) > width:
                lines.append([])
            if not lines[-1] and measure(piece.rstrip(" ")) > width:
                *full, rest = _cut(piece, width, measure)
                lines[-1:] = [[x] for x in full] + [[rest]]
                continue
            lines[-1].append(piece)
        _no_orphan(lines, width, measure)
        out.extend("".join(line).rstrip(" ") for line in lines)
    return "\n".join(out)


def _letters(pieces: list[str]) -> int:
    return sum(1 for p in pieces for c in p if c.isalnum())


def _no_orphan(lines: list[list[str]], width: float, measure: Callable[[str], float]) -> None:
    """A last line of one character ("ど）", "す。") takes pieces from the line above while
    that line keeps two and the last line still fits."""
    while len(lines) > 1 and _letters(lines[-1]) < 2 and len(lines[-2]) > 1:
        moved = [lines[-2][-1], *lines[-1]]
        if _letters(lines[-2][:-1]) < 2 or measure("".join(moved).rstrip(" ")) > width:
            return
        lines[-2].pop()
        lines[-1] = moved
