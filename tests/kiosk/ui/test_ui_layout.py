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

import pytest
from kivy.config import Config

# The kiosk's panel size; set before the process's one window is created (first Kivy test).
Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui.walk import PreviewUi  # noqa: E402
from madoguchi.core.i18n import LANGUAGES  # noqa: E402
from tests.kiosk.ui.layout_checks import _inside, _rect, _shown_widgets, check_screen  # noqa: E402

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
