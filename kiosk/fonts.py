"""Make Noto Sans CJK Kivy's default font, so every kiosk language draws glyphs, not boxes."""

from __future__ import annotations

from devices.fonts import cjk_font_path

__all__ = ["register_fonts"]


def register_fonts() -> None:
    """Register the CJK font as Kivy's default (Roboto has no CJK, Hangul or 𠮷)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(
        DEFAULT_FONT,
        fn_regular=str(cjk_font_path("regular")),
        fn_bold=str(cjk_font_path("bold")),
    )
