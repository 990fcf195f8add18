"""What a resident in their 70s sees (s3 review A1, A8, A10, A11, A15), through the real Kivy
app on the preview ports, with real touches:

- A1: no network badge on resident screens (staff screens keep it); offline, the certificate
  screen says in words what that means for the resident;
- A8: the certificate screen asks one thing at a time, marks the choice with ✓ in words, and
  shows a summary before the card step; Back and Next stay on screen in every language at 1.5x;
- A10: no resident text below 22 px in any language or size, Latin-script text larger than
  Japanese at the same role;
- A11: every button draws a visible edge (≥ 3:1 against the page, WCAG 1.4.11) in both themes;
  enabled ▲▼ look enabled, and "More below ▼" shows while there is more and goes at the end;
- A15: the out-of-service screen in the screen's language, in Japanese and in the others.
"""

from __future__ import annotations

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.theme import HIGH_CONTRAST, MIN_TEXT_PX, NORMAL, DisplayConfig, contrast_ratio  # noqa: E402
from kiosk.ui.walk import PreviewUi  # noqa: E402
from madoguchi.core.i18n import LANGUAGES  # noqa: E402

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def ui(kivy_window):
    with PreviewUi(kivy_window) as preview:
        yield preview


def _show(ui, n=3):
    from tests.support.kivy_ui import frames

    ui.app.render()
    frames(n)


def _widgets(top):
    from kiosk.ui.widgets import is_shown

    stack = [top]
    while stack:
        w = stack.pop()
        if is_shown(w):
            yield w
            stack.extend(w.children)


def _tap(ui, kid):
    from tests.support.kivy_ui import frames, tap

    w = ui.root.find(kid)
    assert w is not None, f"no {kid!r} on {ui.root.step}: {ui.root.kids()}"
    tap(w)
    frames(2)


# -- A1 ----------------------------------------------------------------------------------------
def test_no_network_badge_for_residents_and_the_certificate_screen_says_what_offline_means(ui):
    s = ui.session
    s.choose_language("ja")
    ui.ports.online = False
    s.refresh_status()
    ui.worker.release()  # the status read runs on the (held) worker
    _show(ui)
    badge = ui.root.find("status_network")
    assert badge.text == "" and badge.width == 0 and not badge.filled  # home: nothing drawn
    _tap(ui, "certificates")
    assert ui.root.step == "certificate_choose"
    assert ui.root.find("status_network").text == ""
    said = ui.root.find("cert_unavailable").text
    assert said == (
        "いまはこの場で証明書を印刷できません。申し込みはできます。"
        "ここで出る引換票を持って、窓口でお受け取りください。"
    )  # and where to collect them (review: it did not say)
    # online: nothing to say
    ui.ports.online = True
    s.refresh_status()
    ui.worker.release()  # the status read runs on the (held) worker
    _show(ui)
    assert ui.root.find("cert_unavailable").text == ""


def test_staff_screens_keep_the_network_state(ui):
    from kiosk.ui.walk import PREVIEW_STAFF_PIN

    s = ui.session
    s.choose_language("en")
    ui.ports.online = False
    s.refresh_status()
    ui.worker.release()  # the status read runs on the (held) worker
    s.open_staff()
    s.submit_staff_pin(PREVIEW_STAFF_PIN)
    _show(ui)
    assert ui.root.step == "staff_menu"
    badge = ui.root.find("status_network")
    assert badge.text == "Offline" and badge.width > 0 and badge.filled
    s.staff_exit()
    _show(ui)
    assert ui.root.find("status_network").text == ""


# -- A8 ----------------------------------------------------------------------------------------
def test_certificate_questions_one_at_a_time_with_a_summary_before_the_card(ui):
    s = ui.session
    s.choose_language("ja")
    _show(ui)
    _tap(ui, "certificates")
    question = ui.root.find("cert_question")
    assert question.text == "どの証明書ですか？"
    shown = list(_widgets(ui.root.current_screen))
    assert ui.root.find("copies_plus") not in shown  # not on this question
    assert ui.root.find("continue") is None  # no card step from here
    _tap(ui, "cert_tax_certificate")
    assert ui.root.find("cert_tax_certificate").text.startswith("✓ 課税（所得）証明書（選択中）")
    assert "✓" not in ui.root.find("cert_resident_record").text
    _tap(ui, "cert_resident_record")
    _tap(ui, "next")
    assert question.text == "何通いりますか？"
    _tap(ui, "copies_plus")
    _tap(ui, "copies_plus")
    assert ui.root.find("copies").text == "3"
    _tap(ui, "back")  # back one question, nothing lost
    assert question.text == "どの証明書ですか？"
    assert ui.root.find("cert_resident_record").text.startswith("✓ 住民票の写し（選択中）")
    _tap(ui, "next")
    assert ui.root.find("copies").text == "3"
    _tap(ui, "next")
    assert question.text == "だれの分と、どの項目を載せますか？"
    assert ui.root.find("opt_household_self").text == "✓ 本人のみ（選択中）"
    _tap(ui, "opt_household_all")
    _tap(ui, "opt_head")
    assert ui.root.find("opt_household_all").text == "✓ 世帯全員（選択中）"
    assert ui.root.find("opt_household_self").text == "本人のみ"
    _tap(ui, "next")
    assert question.text == "何に使いますか？"
    _tap(ui, "purpose_bank")
    _tap(ui, "next")
    assert question.text == "この内容でよろしいですか？"
    summary = ui.root.find("cert_summary").text.split("\n")
    assert summary == ["証明書：住民票の写し", "通数：3通", "記載する内容：世帯全員", "✓ 世帯主・続柄",
                       "使い道：金融機関"]  # fmt: skip
    assert ui.root.find("fee").text == "合計：900円"
    assert ui.root.find("next") is None  # the same button now leads to the card
    _tap(ui, "continue")
    assert ui.root.step == "place_card"
    order = s.certificate
    assert (order.certificate_id, order.copies, order.purpose) == ("resident_record", 3, "bank")
    assert order.options == {"household": "all", "head": True}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_certificate_buttons_stay_on_screen_at_large_text(ui, lang):
    """Back and Next never go below the fold, on any question, at 1.5x text."""
    s = ui.session
    s.choose_language(lang)
    s.set_text_scale(True)
    s.open_certificates()
    _show(ui)
    screen = ui.root.current_screen
    for _ in range(5):
        for kid in ("back", "continue" if screen.stage == "summary" else "next", "fee"):
            w = ui.root.find(kid)
            x, y = w.to_window(w.x, w.y)
            assert y >= 0 and y + w.height <= ui.window.height, (screen.stage, kid)
        if screen.stage == "summary":
            break
        _tap(ui, "next")
    assert screen.stage == "summary"


# -- A10 ---------------------------------------------------------------------------------------
def test_text_sizes_have_a_floor_in_every_language():
    with pytest.raises(ValueError):
        DisplayConfig(text_px={"body": 28, "small": 16})
    display = DisplayConfig()
    for lang in LANGUAGES:
        for role in display.text_px:
            assert display.font_px(role, 1.0, lang) >= MIN_TEXT_PX
            large, normal = display.font_px(role, 1.5, lang), display.font_px(role, 1.0, lang)
            assert large == pytest.approx(normal * 1.5)  # 文字を大きく in every language
    assert display.font_px("small", 1.0, "en") > display.font_px("small", 1.0, "ja")  # 24.2 > 22
    assert display.font_px("small", 1.5, "vi") == pytest.approx(22 * 1.1 * 1.5)


@pytest.mark.parametrize("lang", ["en", "vi", "ja-easy"])
def test_no_resident_text_under_the_floor_on_screen(ui, lang):
    from kiosk.ui.widgets import KButton, KLabel

    s = ui.session
    s.choose_language(lang)
    for step in ui.walk():
        if step.startswith("staff"):
            continue
        _show(ui, 1)
        for top in (ui.root.current_screen, ui.root.ids.status_bar):
            for w in _widgets(top):
                if isinstance(w, KLabel | KButton) and w.text.strip():
                    assert w.font_size >= MIN_TEXT_PX, (step, w.kid, w.text, w.font_size)
    s.choose_language("ja")
    _show(ui)
    ja = ui.root.find("status_printer").font_size  # small text
    s.choose_language("en")
    _show(ui)
    assert ui.root.find("status_printer").font_size > ja  # the Latin floor a size up


# -- A11 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("contrast", [False, True])
def test_every_button_has_a_visible_edge(ui, contrast):
    from kivy.graphics import Color, Line

    from kiosk.ui.widgets import KButton

    s = ui.session
    s.choose_language("ja")
    s.set_high_contrast(contrast)
    s.open_life_events()
    _show(ui)
    theme = HIGH_CONTRAST if contrast else NORMAL
    buttons = [w for w in _widgets(ui.root) if isinstance(w, KButton)]
    assert len(buttons) > 5
    for b in buttons:
        ins = b.canvas.after.children
        lines = [i for i in ins if isinstance(i, Line)]
        colors = [i for i in ins if isinstance(i, Color)]
        assert lines and colors, b.kid
        assert lines[0].width >= 2 and lines[0].rectangle[2] > 0, b.kid
        edge = tuple(colors[0].rgba)
        assert edge[3] == 1.0  # opaque (a translucent wide line is drawn through the stencil)
        # The shape shows: the edge, or a fill that stands out from the page by itself.
        fill = theme.fill(b.style)
        assert max(contrast_ratio(edge, theme.bg), contrast_ratio(fill, theme.bg)) >= 3.0, b.kid
        if contrast_ratio(fill, theme.bg) < 3.0:  # white and pale buttons: the edge does it
            assert contrast_ratio(edge, theme.bg) >= 3.0, (b.kid, b.style)


def test_arrows_look_enabled_and_more_below_shows_until_the_end(ui):
    from kiosk.ui.widgets import is_shown
    from tests.support.kivy_ui import frames, tap

    s = ui.session
    s.choose_language("ja")
    s.open_procedures()  # longer than the screen
    _show(ui)
    arrows = ui.root.ids.arrows
    up, down = arrows.children[-1], arrows.children[0]
    assert down.kid == "scroll_down" and down.style == "primary" and down.opacity == 1
    assert up.style == "secondary"  # nothing above: pale
    hint = arrows.hint
    assert hint.text == "下にまだあります ▼"
    # over the list's bottom right corner, never over a button (review: it hid keys and
    # 相談する); where a button is there, the filled ▼ alone says it
    for _ in range(40):
        if hint.parent is not None:
            assert hint.parent is ui.root and not arrows._covers_a_button(hint)
            x, y = hint.to_window(hint.x, hint.y)
            assert 0 <= x and x + hint.width <= ui.window.width and y >= 0
        if not is_shown(down):
            break
        tap(down)
        frames(2)
    assert hint.parent is None  # at the end: gone
    assert up.style == "primary" and down.style == "secondary"
    s.home()
    _show(ui)
    s.choose_language("en")
    s.open_procedures()
    _show(ui)
    for _ in range(40):  # the cached list may come back where it was left
        if not is_shown(up):
            break
        tap(up)
        frames(1)
    assert hint.text == "More below ▼" and down.style == "primary"
    assert hint.parent is None or not arrows._covers_a_button(hint)


# -- A15 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_out_of_service_in_the_screens_language_japanese_and_the_others(ui, lang):
    from kiosk.ui.walk import PREVIEW_STAFF_PIN

    s = ui.session
    s.choose_language(lang)
    s.open_staff()
    s.submit_staff_pin(PREVIEW_STAFF_PIN)
    s.staff_set_out_of_service(True)
    s.staff_exit()
    _show(ui)
    assert ui.root.step == "out_of_service"
    texts = [w.text for w in _widgets(ui.root.current_screen) if getattr(w, "text", "")]
    joined = "\n".join(texts)
    tr = ui.app.translator
    for other in ("ja", "en", "zh-Hans", "ko", "pt-BR", "vi"):
        assert tr(other).gettext("Please ask the staff.") in joined, other
        assert tr(other).gettext("Out of service") in joined, other
    # The wipe before out of service puts the screen in the default language (ja here): then
    # the Japanese block is not repeated; in another language it is there.
    japanese = ui.root.find("oos_japanese").text
    assert (japanese == "") == (ui.app.lang == "ja")
    ui.app.lang = "en"  # a kiosk whose default language is English
    ui.root.current_screen.render(s)
    assert ui.root.find("oos_japanese").text.startswith("休止中")
    assert "Out of service" not in ui.root.find("oos_languages").text  # said once, above
