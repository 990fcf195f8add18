"""The screens' fonts (kiosk.fonts): the compact copies `make` builds, and the full collection for a
text with a character the copies lack (a rare kanji in a name from the card)."""

from __future__ import annotations

from devices.fonts import cjk_font_path, compact_font_path, in_repertoire


def _drawn_with(label) -> str:
    label.texture_update()
    return label._label.options["font_name_r"]


def test_screens_draw_with_the_compact_copies_and_the_full_font_for_a_rare_kanji(kivy_window):
    from kivy.core.text import DEFAULT_FONT

    from kiosk.fonts import FULL_FONT, font_for
    from kiosk.ui.widgets import KButton, KLabel

    regular, bold = cjk_font_path("regular"), cjk_font_path("bold")
    copies = compact_font_path(source=regular), compact_font_path(source=bold)
    assert all(p.is_file() for p in copies), "make builds both copies (build-print-font)"
    assert not in_repertoire(ord("𠮷")) and in_repertoire(ord("吉"))

    assert font_for("山田 花子 Nguyễn Thị Lan 김민준 住民票の写し ▼") == DEFAULT_FONT
    assert font_for("𠮷田 花子") == FULL_FONT

    label = KLabel(text="山田 花子", size=(600, 100), text_size=(600, None))
    assert _drawn_with(label) == str(copies[0])
    label.text = "𠮷田 花子"  # the same label, a name read from another card
    assert _drawn_with(label) == str(regular)
    full_width = label.texture_size[0]
    label.text = "吉田 花子"
    assert _drawn_with(label) == str(copies[0])
    # 𠮷 is drawn as a glyph of its own width, not left out or shrunk to a sliver
    assert abs(full_width - label.texture_size[0]) <= 2

    button = KButton(text="𠮷田さんの 申請", bold=True, size=(600, 100), text_size=(600, None))
    assert _drawn_with(button) == str(bold)
    button.text = "申請する"
    assert _drawn_with(button) == str(copies[1])
