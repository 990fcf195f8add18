"""The layout rules of the kiosk's screens (tests/kiosk/ui/test_ui_layout.py runs them on every
screen × 7 languages × 2 sizes × 2 themes; other UI tests run them on a state of their own):
- 禁則: no line starts with closing punctuation, ー or a small kana, none ends with an opening
  bracket (JIS X 4051 strict, as DADS asks);
- no word is split across lines when it would fit on one; no line holds a single character of a
  longer text; no ASCII comma between Japanese or Chinese words;
- the text fits its widget, the widget lies inside its parent and inside the window (unless a
  scroll view holds it), and buttons in one row have one height;
- every button is at least the touch-target size of STYLE.md.
`check_screen(ui, lang)` returns every problem of the current screen, each a line naming the
widget and its text."""

from __future__ import annotations

import re

from kiosk.theme import MIN_TARGET_MM
from kiosk.ui._linebreak import NO_END, NO_START

__all__ = ["check_screen"]

# "A, B" between Japanese or Chinese words: those languages list with 、 (、 or ，).
_ASCII_COMMA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff],|,\s*[\u3040-\u30ff\u3400-\u9fff]")


def _rect(w):
    x, y = w.to_window(w.x, w.y)
    return x, y, x + w.width, y + w.height


def _inside(inner, outer, slack=1.0):
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _scroller(w):
    from kivy.uix.scrollview import ScrollView

    p = w.parent
    while p is not None and p is not p.parent:
        if isinstance(p, ScrollView):
            return p
        p = p.parent
    return None


def _lines(w):
    core = w._label
    return ["".join(word.text for word in line.words) for line in (core._cached_lines or [])]


def _soft_breaks(text, lines):
    """For each break between two lines: (index in text, hard) — hard when the text itself has
    a newline there. None when the lines cannot be aligned with the text."""
    out = []
    pos = 0
    for line in lines[:-1]:
        stripped = line.strip(" ")
        idx = text.find(stripped, pos) if stripped else pos
        if idx < 0:
            return None
        pos = idx + len(stripped)
        j = pos
        while j < len(text) and text[j] == " ":
            j += 1
        hard = j < len(text) and text[j] == "\n"
        out.append((pos, j, hard))
        pos = j + 1 if hard else j
    return out


def _word_around(text, at):
    a = at
    while a > 0 and not text[a - 1].isspace():
        a -= 1
    b = at
    while b < len(text) and not text[b].isspace():
        b += 1
    return text[a:b]


def _text_problems(w, lang):
    text = w.text
    lines = _lines(w)
    if len(lines) < 2:
        return []
    out = []
    breaks = _soft_breaks(text, lines)
    if breaks is None:
        return [f"lines {lines!r} do not match the text"]
    core = w._label
    pad = core.options["padding"]
    room = (w.text_size[0] or w.width) - pad[0] - pad[2]
    for i, (end, start, hard) in enumerate(breaks):
        if hard:
            continue
        before, after = text[:end][-1:], text[start:][:1]
        nxt = lines[i + 1].lstrip(" ")
        if nxt[:1] in NO_START:
            out.append(f"禁則: a line starts with {nxt[:1]!r}: {' / '.join(lines)!r}")
        if lines[i].rstrip(" ")[-1:] in NO_END:
            out.append(f"禁則: a line ends with {lines[i][-1:]!r}: {' / '.join(lines)!r}")
        wide = any(0x2E80 <= ord(c) <= 0xFFEF for c in before + after)
        spaced = end == start  # no space at the break
        if spaced and before.isalnum() and after.isalnum() and (lang == "ja-easy" or not wide):
            word = _word_around(text, end)
            if core.get_extents(word)[0] <= room:
                out.append(f"word split: {word!r} in {' / '.join(lines)!r}")
        for line in (lines[i], lines[i + 1]):
            letters = sum(1 for c in line if c.isalnum())
            if letters == 1 and len(text.replace(" ", "")) > 2:
                out.append(f"a line of one character: {' / '.join(lines)!r}")
                break
    return out


def _row_problems(root):
    """Buttons side by side in one row (a horizontal box, a grid's row) must have one height
    (a wrapped label made its button taller than its neighbours: "しょく/いん")."""
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.gridlayout import GridLayout

    from kiosk.ui.widgets import KButton

    rows = []
    for box in _shown_widgets(root):
        if isinstance(box, BoxLayout) and box.orientation == "horizontal":
            rows.append(list(box.children))
        elif isinstance(box, GridLayout):
            cols = max(int(box.cols or 1), 1)
            ordered = list(reversed(box.children))
            rows += [ordered[i : i + cols] for i in range(0, len(ordered), cols)]
    out = []
    for row in rows:
        buttons = [b for b in row if isinstance(b, KButton) and b.opacity > 0]
        buttons = [b for b in buttons if b.size_hint_y is None]
        heights = {round(b.height) for b in buttons}
        if len(heights) > 1:
            texts = [b.text for b in buttons]
            out.append(f"buttons of one row differ in height {sorted(heights)}: {texts!r}")
    return out


def _shown_widgets(top):
    """The widget and its descendants as laid out now: a hidden Panel's stashed children are
    not in the tree (their geometry is stale) and are not visited."""
    from kiosk.ui.widgets import is_shown

    stack = [top]
    while stack:
        w = stack.pop()
        if not is_shown(w):
            continue
        yield w
        stack.extend(w.children)


def check_screen(ui, lang):
    from kivy.uix.button import Button

    from kiosk.ui.widgets import KButton, KLabel

    root = ui.root
    window = (0, 0, ui.window.width, ui.window.height)
    minimum = ui.app.display.mm(MIN_TARGET_MM)
    problems = []
    hint = root.ids.arrows.hint  # "More below ▼", in the frame while there is more below
    tops = [root.current_screen, root.ids.status_bar, root.ids.arrows]
    for top in tops + ([hint] if hint is not None and hint.parent is root else []):
        for w in _shown_widgets(top):
            name = getattr(w, "kid", "") or type(w).__name__
            if isinstance(w, Button) and (w.width < minimum - 0.5 or w.height < minimum - 0.5):
                problems.append(
                    f"{name}: target {w.width:.0f}x{w.height:.0f} < {minimum:.0f} px ({w.text!r})"
                )
            if not isinstance(w, KLabel | KButton) or not w.text.strip():
                continue
            tw, th = w.texture_size
            if tw > w.width + 1 or th > w.height + 1:
                problems.append(
                    f"{name}: text {tw:.0f}x{th:.0f} overflows {w.width:.0f}x{w.height:.0f}: "
                    f"{w.text!r}"
                )
            rect = _rect(w)
            scroller = _scroller(w)
            if scroller is None and not _inside(rect, window):
                problems.append(f"{name}: outside the window {rect}: {w.text!r}")
            elif scroller is not None:
                sx0, _, sx1, _ = _rect(scroller)
                if rect[0] < sx0 - 1 or rect[2] > sx1 + 1:
                    problems.append(f"{name}: wider than its scroll view: {w.text!r}")
            parent = w.parent
            if (
                parent is not None
                and parent is not root
                and parent is not scroller  # scroll content is larger than its view
                and not _inside(rect, _rect(parent))
            ):
                problems.append(f"{name}: outside its parent: {w.text!r}")
            problems += [f"{name}: {p}" for p in _text_problems(w, lang)]
            if lang in ("ja", "ja-easy", "zh-Hans") and _ASCII_COMMA.search(w.text):
                problems.append(f"{name}: an ASCII comma in {lang} text: {w.text!r}")
    return problems + _row_problems(root.current_screen)
