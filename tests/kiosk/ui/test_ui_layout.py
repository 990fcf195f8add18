"""Layout on every screen × 7 languages × 2 text sizes × 2 themes (issue 19).

One app is mounted once; for each combination the walk renders every screen once and each
shown text widget is checked as Kivy actually laid it out (its core label's lines):
- 禁則: no line starts with closing punctuation, ー or a small kana, none ends with an opening
  bracket (JIS X 4051 strict, as DADS asks);
- no word is split across lines when it would fit on one (Latin, Hangul, Vietnamese,
  やさしい日本語's spaced kana words; numbers everywhere);
- no line holds a single character of a longer text ("や/め/る", "1/字/消/す");
- no ASCII comma between Japanese or Chinese words (they list with 、);
- the text fits its widget, the widget lies inside its parent and inside the window (unless a
  scroll view holds it), and buttons in one row have one height;
- every button is at least the touch-target size of STYLE.md (15 mm at the panel's DPI).
Every problem of a combination is reported at once, with the screen, widget and text.
"""

from __future__ import annotations

import re

import pytest
from kivy.config import Config

# The kiosk's panel size; set before the process's one window is created (first Kivy test).
Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.theme import MIN_TARGET_MM  # noqa: E402
from kiosk.ui._linebreak import NO_END, NO_START  # noqa: E402
from kiosk.ui.walk import PreviewUi  # noqa: E402
from madoguchi.core.i18n import LANGUAGES  # noqa: E402

# "A, B" between Japanese or Chinese words: those languages list with 、 (、 or ，).
_ASCII_COMMA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff],|,\s*[\u3040-\u30ff\u3400-\u9fff]")
COMBOS = [
    (lang, large, contrast)
    for lang in LANGUAGES
    for large in (False, True)
    for contrast in (False, True)
]


@pytest.fixture(scope="module")
def ui(kivy_window):
    with PreviewUi(kivy_window) as preview:
        yield preview


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


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("lang", "large", "contrast"),
    COMBOS,
    ids=[
        f"{lang}-{'large' if lg else 'normal'}-{'hc' if hc else 'std'}" for lang, lg, hc in COMBOS
    ],
)
def test_layout_of_every_screen(ui, lang, large, contrast):
    from tests.support.kivy_ui import frames

    s = ui.session
    s.choose_language(lang)
    s.set_text_scale(large)
    s.set_high_contrast(contrast)
    problems: list[str] = []
    seen = set()
    for step in ui.walk():
        frames(1)
        seen.add(step)
        problems += [f"{step}: {p}" for p in check_screen(ui, lang)]
    assert {"home", "pin_entry", "form_confirm", "checklist", "survey", "staff_menu"} <= seen
    # The certificate screen's questions (one screen, a question at a time: review A8).
    s.home()
    s.open_certificates()
    ui.app.render()
    screen = ui.root.current_screen
    screen.pick("resident_record")
    for _ in range(6):
        frames(1)
        problems += [f"certificate_choose/{screen.stage}: {p}" for p in check_screen(ui, lang)]
        if screen.stage == "summary":
            break
        screen.forward()
    assert screen.stage == "summary"
    s.home()
    # オンライン窓口 (issue 18): the way in and every screen of a call, with what a call shows.
    assert {"consult_topic", "consult_unavailable", "consult_consent", "consult_waiting",
            "consult_call", "consult_handover", "consult_ended"} <= seen  # fmt: skip
    # The certificate screen's questions (one screen, a question at a time: review A8).
    s.home()
    s.open_certificates()
    ui.app.render()
    screen = ui.root.current_screen
    screen.pick("resident_record")
    for _ in range(6):
        frames(1)
        problems += [f"certificate_choose/{screen.stage}: {p}" for p in check_screen(ui, lang)]
        if screen.stage == "summary":
            break
        screen.forward()
    assert screen.stage == "summary"
    s.home()
    unique = list(dict.fromkeys(problems))
    assert not unique, f"{len(unique)} layout problems:\n" + "\n".join(unique[:80])


# The form's editors, one per keyboard a field opens: kana, Latin letters, digits, the address
# keys (- 丁目 番 号) and a date typed as digits.
EDITOR_KINDS = ("kana", "latin", "number", "address_number", "date")


def _keyboard_problems(ui, field_kid):
    """With a keyboard open: it lies inside the window, and the field it types into is shown
    above it (a resident sees what they type), also inside the window."""
    from kiosk.ui.widgets import Keyboard

    root = ui.root
    window = (0, 0, ui.window.width, ui.window.height)
    keyboards = [w for w in _shown_widgets(root.current_screen) if isinstance(w, Keyboard)]
    if not keyboards:
        return ["no keyboard shown"]
    field = root.find(field_kid)
    if field is None or field not in list(_shown_widgets(root.current_screen)):
        return [f"the field {field_kid!r} is not shown with the keyboard"]
    out = []
    frect = _rect(field)
    if not _inside(frect, window):
        out.append(f"{field_kid}: outside the window {frect}")
    for kb in keyboards:
        krect = _rect(kb)
        if not _inside(krect, window):
            out.append(f"{kb.kid}: keyboard outside the window {krect}")
        if frect[1] < krect[3] - 1:
            out.append(f"{field_kid}: not above the keyboard {kb.kid} ({frect} vs {krect})")
    return out


def _open_editors(ui, lang):
    """The form's editors (one per keyboard kind) on the first form of the walk."""
    from tests.support.kivy_ui import frames

    s = ui.session
    steps = ui.walk()
    for step in steps:
        if step == "form_confirm":
            break
    screen = ui.root.current_screen
    problems, seen = [], []
    for kind in EDITOR_KINDS:
        fv = next((v for v in s.form.values if str(v.spec.kind) == kind), None)
        if fv is None:
            continue
        screen.edit(fv.name)
        frames(2)
        seen.append(kind)
        found = check_screen(ui, lang) + _keyboard_problems(ui, "edit_value")
        problems += [f"form_confirm editor {kind} ({fv.name}): {p}" for p in found]
        screen.cancel_edit()
    steps.close()
    return problems, seen


def _search_states(ui, lang):
    """The search screen with each keyboard: empty, with hits, nothing found, a FAQ answer."""
    from tests.support.kivy_ui import frames

    s = ui.session
    s.home()
    assert s.flows.search.open()
    ui.app.render()
    frames(2)
    screen = ui.root.current_screen
    problems = []
    for keyboard, words in (("kana", "ひっこし"), ("latin", "JUMINHYO"), ("latin", "QZXV")):
        screen.keyboard = keyboard
        for typed in ("", words):
            screen._keyboards[keyboard].value = typed
            screen._search_now()
            ui.app.render()
            frames(2)
            found = check_screen(ui, lang) + _keyboard_problems(ui, "query")
            problems += [f"search {keyboard} {typed!r}: {p}" for p in found]
    screen._keyboards["latin"].value = "GOMI"
    screen._search_now()
    assert s.flows.search.choose("faq:garbage")
    ui.app.render()
    frames(2)
    problems += [f"search faq: {p}" for p in check_screen(ui, lang)]
    s.home()
    return problems


KEYBOARD_COMBOS = pytest.mark.parametrize(
    ("lang", "large", "contrast"),
    COMBOS,
    ids=[
        f"{lang}-{'large' if lg else 'normal'}-{'hc' if hc else 'std'}" for lang, lg, hc in COMBOS
    ],
)


def _set(s, lang, large, contrast):
    s.choose_language(lang)
    s.set_text_scale(large)
    s.set_high_contrast(contrast)


@pytest.mark.timeout(600)
@KEYBOARD_COMBOS
def test_form_editors_with_keyboards_open(ui, lang, large, contrast):
    """Each of the form's editors with its keyboard open (kana, Latin letters, digits, the
    address keys, a date): nothing clipped, every key at least the touch target, the field
    being edited shown above the keyboard."""
    _set(ui.session, lang, large, contrast)
    problems, seen = _open_editors(ui, lang)
    assert set(EDITOR_KINDS) <= set(seen), seen
    unique = list(dict.fromkeys(problems))
    assert not unique, f"{len(unique)} layout problems:\n" + "\n".join(unique[:80])


@pytest.mark.timeout(600)
@KEYBOARD_COMBOS
def test_search_with_keyboards_open(ui, lang, large, contrast):
    """The search screen with each keyboard open, empty, with hits and with none, and a FAQ's
    answer: nothing clipped, every key at least the touch target, the words typed shown
    above the keyboard."""
    _set(ui.session, lang, large, contrast)
    problems = list(dict.fromkeys(_search_states(ui, lang)))
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems[:80])
