"""Accessibility, computed rather than eyeballed: WCAG contrast of every theme style, touch
targets ≥ 15 mm at the configured panel DPI on every screen (normal and large text), every text
widget drawing its style's colours, no untranslated UI string, no glyph missing from the font."""

from __future__ import annotations

import pytest
from kivy.config import Config

# The kiosk's panel size; set before the process's one window is created (first Kivy test).
Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.theme import HIGH_CONTRAST, MIN_TARGET_MM, NORMAL, contrast_ratio, hex_rgba  # noqa: E402
from kiosk.ui.walk import PreviewUi  # noqa: E402
from madoguchi.core.i18n import LANGUAGES  # noqa: E402


@pytest.mark.parametrize("theme,minimum", [(NORMAL, 4.5), (HIGH_CONTRAST, 7.0)])
def test_every_style_meets_wcag_contrast(theme, minimum):
    assert theme.min_contrast == minimum
    for name, style in theme.styles.items():
        ratio = contrast_ratio(style.fg, style.bg)
        assert ratio >= minimum, f"{theme.name}.{name}: {ratio:.2f} < {minimum}"


@pytest.mark.parametrize(
    "fg,bg,expected",
    [("#000000", "#FFFFFF", 21.0), ("#FFFFFF", "#FFFFFF", 1.0), ("#777777", "#FFFFFF", 4.48)],
)
def test_contrast_formula_matches_wcag_reference_values(fg, bg, expected):
    assert contrast_ratio(hex_rgba(fg), hex_rgba(bg)) == pytest.approx(expected, abs=0.01)


def _visible_buttons(root):
    from kivy.uix.button import Button

    from kiosk.ui import iter_widgets
    from kiosk.ui.widgets import is_shown

    for top in (root.current_screen, root.ids.status_bar):
        for w in iter_widgets(top):
            if isinstance(w, Button) and is_shown(w):
                yield w


@pytest.mark.parametrize(
    "large_text", [True, pytest.param(False, marks=pytest.mark.slow)]
)  # large text is the worst case for target sizes; normal text runs with the slow tests
def test_touch_targets_and_styles_on_every_screen(kivy_window, large_text):
    from kiosk.ui import iter_widgets
    from kiosk.ui.widgets import KButton, KLabel
    from tests.support.kivy_ui import frames

    with PreviewUi(kivy_window) as ui:
        minimum = ui.app.display.mm(MIN_TARGET_MM)
        ui.session.set_text_scale(large_text)
        seen = set()
        for step in ui.walk():
            frames(2)
            seen.add(step)
            root = ui.root
            theme = ui.app.theme
            for b in _visible_buttons(root):
                assert b.width >= minimum and b.height >= minimum, (
                    f"{step}: button {b.kid or b.text!r} is {b.width:.0f}x{b.height:.0f} px, "
                    f"below {MIN_TARGET_MM} mm ({minimum:.0f} px)"
                )
            for w in iter_widgets(root.current_screen):
                if isinstance(w, KLabel | KButton):
                    assert w.style in theme.styles, f"{step}: unknown style {w.style}"
                    assert tuple(w.color) == pytest.approx(theme.fg(w.style))
        assert {"home", "pin_entry", "form_confirm", "survey", "staff_menu"} <= seen


def test_no_untranslated_ui_string_in_any_language():

    from kiosk.app import LOCALE_DIR
    from kiosk.ui._msgids import ui_msgids
    from madoguchi.core.i18n import load_translator

    msgids = ui_msgids()
    assert len(msgids) > 100
    for lang in LANGUAGES:
        missing = load_translator(LOCALE_DIR, lang).missing(msgids)
        assert not missing, f"{lang}: untranslated {sorted(missing)[:5]}"


@pytest.mark.parametrize(
    "languages",
    [("ja-easy", "vi"), pytest.param(LANGUAGES, marks=pytest.mark.slow)],
)
def test_no_untranslated_string_shown_at_run_time(kivy_window, languages):
    """Walk every screen; no string the screens looked up fell back to its English msgid."""
    from tests.support.kivy_ui import frames

    with PreviewUi(kivy_window) as ui:
        for lang in languages:
            ui.session.choose_language(lang)
            for _ in ui.walk():
                frames(1)
            assert not ui.app.translator(lang).missing(), lang


def test_every_ui_character_is_in_the_font():
    """A character the font lacks is drawn as a box: check every msgstr against the cmap."""
    from babel.messages.pofile import read_po
    from fontTools.ttLib import TTCollection

    from devices.fonts import cjk_font_path
    from kiosk.app import LOCALE_DIR
    from madoguchi.core.i18n import LANGUAGE_NAMES

    cmap = set(TTCollection(str(cjk_font_path("regular"))).fonts[0].getBestCmap())
    for lang in LANGUAGES:
        with (LOCALE_DIR / f"{lang}.po").open("rb") as f:
            texts = [m.string for m in read_po(f) if m.id and m.string]
        texts.append(LANGUAGE_NAMES[lang])
        lacking = {c for t in texts for c in t if not c.isspace() and ord(c) not in cmap}
        assert not lacking, f"{lang}: no glyph for {sorted(lacking)}"


def test_every_language_draws_distinct_ink(kivy_window, tmp_path):
    """The home title in each language is drawn (ink) and differs from the others (not boxes)."""
    from PIL import Image

    from tests.support.kivy_ui import frames

    bitmaps = {}
    with PreviewUi(kivy_window) as ui:
        for lang in LANGUAGES:
            ui.session.choose_language(lang)
            ui.app.render()
            frames(3)
            title = ui.root.current_screen.ids.title
            path = kivy_window.screenshot(str(tmp_path / f"{lang}.png"))
            x, y = title.to_window(title.x, title.y)
            top = kivy_window.height - (y + title.height)
            with Image.open(path) as img:
                crop = img.convert("L").crop(
                    (int(x), int(top), int(x + title.width), int(top + title.height))
                )
                dark = sum(1 for p in crop.getdata() if p < 128)  # title text is dark on light
                bitmaps[lang] = crop.tobytes()
            assert dark > 200, f"{lang}: title drew nothing"
    assert len(set(bitmaps.values())) == len(LANGUAGES)


def test_every_session_step_has_a_screen_and_every_notice_a_text():
    from kiosk.session import NoticeCode, Step
    from kiosk.ui import SCREENS
    from kiosk.ui._root import NOTICE_TEXT

    assert {s.value for s in Step} <= set(SCREENS)
    assert {n.value for n in NoticeCode} <= set(NOTICE_TEXT)


def test_contrast_and_text_size_toggles_restyle_every_widget(kivy_window):
    """Tapping the toggles at home re-colours and re-sizes what is already on screen."""
    from kiosk.ui import iter_widgets
    from kiosk.ui.widgets import KButton, KLabel
    from tests.support.kivy_ui import frames, tap

    with PreviewUi(kivy_window) as ui:
        frames(2)
        title = ui.root.current_screen.ids.title
        normal_size = title.font_size
        tap(ui.root.find("contrast"))
        tap(ui.root.find("text_size"))
        frames(2)
        assert ui.app.theme is HIGH_CONTRAST
        # the page background is the window's clear colour
        assert tuple(kivy_window.clearcolor) == pytest.approx(HIGH_CONTRAST.fill("body"))
        for w in iter_widgets(ui.root):
            if isinstance(w, KLabel | KButton):
                assert tuple(w.color) == pytest.approx(HIGH_CONTRAST.fg(w.style)), w.kid or w.text
                if isinstance(w, KButton):
                    assert tuple(w.background_color) == pytest.approx(HIGH_CONTRAST.fill(w.style))
        assert title.font_size >= 1.5 * normal_size
