"""Colours, type sizes and touch-target sizes of the kiosk screens (plain Python, no Kivy).

Invariants (checked by tests/kiosk/ui/test_ui_accessibility.py):
- Every text style is a (foreground, background) pair; a widget that draws text uses one style
  and draws exactly that pair, so checking the pairs here checks every screen.
- The normal theme's pairs reach a WCAG 2.x contrast ratio of at least 4.5:1, the high-contrast
  theme's at least 7:1 (relative luminance per WCAG 2.2, sRGB linearised).
- Touch targets are sized in millimetres of the configured panel (`DisplayConfig.dpi`), never in
  Kivy's own metrics: a 15 mm button is 15 mm on the device's glass.
- Text size is a multiplier (1.0 or `LARGE_TEXT_SCALE` ≥ 1.5) applied to every role, in every
  language. No resident text is ever smaller than `MIN_TEXT_PX` (22 px at 1280x800, s3 review
  A10); in Latin-script languages the floor is `SCRIPT_SCALE` higher: at one pixel size a Latin
  lowercase letter (x-height about 0.54 em) looks much smaller than a kanji (about 0.9 em), so
  English at "22 px" read as 14-18 px to the reviewer. Larger roles are left as they are.
- Every button has an edge (`Theme.edge`, opaque, 2 px) that sets it off from the page in
  every theme: a white button on the cream page otherwise reads as plain text (review A11).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "DisplayConfig",
    "HIGH_CONTRAST",
    "LARGE_TEXT_SCALE",
    "MIN_TARGET_MM",
    "MIN_TEXT_PX",
    "NORMAL",
    "SCRIPT_SCALE",
    "Style",
    "Theme",
    "contrast_ratio",
    "hex_rgba",
    "relative_luminance",
    "theme_for",
]

MIN_TARGET_MM = 15.0
LARGE_TEXT_SCALE = 1.5
# Few distinct sizes on purpose: every (font, size) pair costs ~2.5 MB of glyph cache in SDL_ttf.
_TEXT_PX = {"title": 40, "heading": 34, "body": 28, "button": 28, "small": 22, "key": 34}
MIN_TEXT_PX = 22
# Latin-script languages: the same visual size as the Japanese text (see the module docstring).
SCRIPT_SCALE = {"en": 1.1, "pt-BR": 1.1, "vi": 1.1}


def hex_rgba(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """'#RRGGBB' -> Kivy's (r, g, b, a) in 0..1."""
    v = value.lstrip("#")
    if len(v) != 6:
        raise ValueError(f"colour must be #RRGGBB, got {value!r}")
    r, g, b = (int(v[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
    return (r, g, b, alpha)


def relative_luminance(rgba: tuple[float, ...]) -> float:
    """WCAG relative luminance of an sRGB colour given as 0..1 floats."""

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG contrast ratio (1..21) of two opaque colours."""
    a, b = relative_luminance(fg), relative_luminance(bg)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class Style:
    """One text style: text colour on its background colour (both 0..1 RGBA)."""

    fg: tuple[float, float, float, float]
    bg: tuple[float, float, float, float]


def _s(fg: str, bg: str) -> Style:
    return Style(hex_rgba(fg), hex_rgba(bg))


@dataclass(frozen=True)
class Theme:
    name: str
    min_contrast: float
    styles: dict[str, Style]
    # The edge every button of a style draws (opaque); a style not listed uses its text colour.
    edges: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    @property
    def bg(self) -> tuple[float, float, float, float]:
        return self.styles["body"].bg

    def fg(self, style: str) -> tuple[float, float, float, float]:
        return self.styles[style].fg

    def fill(self, style: str) -> tuple[float, float, float, float]:
        return self.styles[style].bg

    def edge(self, style: str) -> tuple[float, float, float, float]:
        """The colour of a button's 2 px edge: dark on light buttons, so a white or pale
        button on the cream page has a clear shape (in high contrast: its text colour)."""
        return self.edges.get(style, self.styles[style].fg)


# Style names used by the widgets (kiosk/ui/widgets.kv): body/muted/title on the screen background;
# status on the status bar; primary/secondary/danger/choice/selected/key buttons; warn/error panels.
NORMAL = Theme(
    name="normal",
    min_contrast=4.5,
    styles={
        "body": _s("#1B1F24", "#F6F5F0"),
        "muted": _s("#4A5360", "#F6F5F0"),
        "title": _s("#0B3C73", "#F6F5F0"),
        "status": _s("#FFFFFF", "#25313D"),
        "status_ok": _s("#FFFFFF", "#1E6B34"),
        "status_bad": _s("#FFFFFF", "#A4161A"),
        "primary": _s("#FFFFFF", "#0B5CAD"),
        "secondary": _s("#13263B", "#DCE4EE"),
        "choice": _s("#13263B", "#FFFFFF"),
        "selected": _s("#FFFFFF", "#1E6B34"),
        "danger": _s("#FFFFFF", "#A4161A"),
        "staff": _s("#FFFFFF", "#6A3D9A"),
        "key": _s("#111111", "#E8EBEF"),
        "warn": _s("#4A2F00", "#FFE8A3"),
        "error": _s("#FFFFFF", "#A4161A"),
        "panel": _s("#1B1F24", "#FFFFFF"),
        "field": _s("#1B1F24", "#FFFFFF"),
        "field_hint": _s("#4A5360", "#FFFFFF"),  # an empty field's grey "type here" words
    },
    # Light buttons get the dark navy edge; filled dark buttons an edge a shade darker than
    # their fill, so every button reads as a shape, none as a coloured frame.
    edges={
        "secondary": hex_rgba("#1A3A6B"),
        "choice": hex_rgba("#1A3A6B"),
        "key": hex_rgba("#1A3A6B"),
        "primary": hex_rgba("#07386A"),
        "selected": hex_rgba("#0E3D1C"),
        "danger": hex_rgba("#5E0B0E"),
        "staff": hex_rgba("#3B1F58"),
        "warn": hex_rgba("#4A2F00"),
        "error": hex_rgba("#5E0B0E"),
        "status": hex_rgba("#25313D"),
        "status_ok": hex_rgba("#0E3D1C"),
        "status_bad": hex_rgba("#5E0B0E"),
    },
)

HIGH_CONTRAST = Theme(
    name="high_contrast",
    min_contrast=7.0,
    styles={
        "body": _s("#FFFFFF", "#000000"),
        "muted": _s("#E6E6E6", "#000000"),
        "title": _s("#FFFF00", "#000000"),
        "status": _s("#FFFFFF", "#000000"),
        "status_ok": _s("#000000", "#7CFF7C"),
        "status_bad": _s("#000000", "#FFB0B0"),
        "primary": _s("#000000", "#FFFF00"),
        "secondary": _s("#FFFFFF", "#1A1A1A"),
        "choice": _s("#FFFFFF", "#000000"),
        "selected": _s("#000000", "#00FFFF"),
        "danger": _s("#000000", "#FF9E9E"),
        "staff": _s("#000000", "#E0C8FF"),
        "key": _s("#FFFFFF", "#262626"),
        "warn": _s("#000000", "#FFFF00"),
        "error": _s("#000000", "#FFB0B0"),
        "panel": _s("#FFFFFF", "#0D0D0D"),
        "field": _s("#FFFFFF", "#000000"),
        "field_hint": _s("#E6E6E6", "#000000"),
    },
)


def theme_for(high_contrast: bool) -> Theme:
    return HIGH_CONTRAST if high_contrast else NORMAL


@dataclass(frozen=True)
class DisplayConfig:
    """The touch panel the kiosk drives. Defaults: a 15.4" 1280x800 panel (≈98 dpi)."""

    width_px: int = 1280
    height_px: int = 800
    dpi: float = 98.0
    fullscreen: bool = True
    target_mm: float = 16.0  # a little above MIN_TARGET_MM so rounding never undercuts it
    text_px: dict[str, int] = field(default_factory=lambda: dict(_TEXT_PX))

    def __post_init__(self) -> None:
        if not (320 <= self.width_px <= 8192 and 240 <= self.height_px <= 8192):
            raise ValueError("display size out of range")
        if not 50 <= self.dpi <= 600:
            raise ValueError("display dpi out of range (50..600)")
        if self.target_mm < MIN_TARGET_MM:
            raise ValueError(f"touch targets must be at least {MIN_TARGET_MM} mm")
        small = {role: px for role, px in self.text_px.items() if px < MIN_TEXT_PX}
        if small or "body" not in self.text_px:
            raise ValueError(f"text sizes must be at least {MIN_TEXT_PX} px (and a body size)")

    def mm(self, millimetres: float) -> float:
        """Pixels for a length in millimetres on this panel."""
        return millimetres * self.dpi / 25.4

    @property
    def target_px(self) -> float:
        return self.mm(self.target_mm)

    def font_px(self, role: str, scale: float = 1.0, language: str | None = None) -> float:
        """Pixels of a text role at this text scale, in this language's script: never below
        `MIN_TEXT_PX`, whatever the role, scale or language."""
        px = self.text_px.get(role, self.text_px["body"]) * scale
        # The floor is what looks like 22 px in the language's script (24.2 px in Latin):
        # only smaller roles are raised, so a layout made for Japanese keeps its proportions.
        floor = MIN_TEXT_PX * SCRIPT_SCALE.get(language or "", 1.0) * scale
        return max(float(MIN_TEXT_PX), px, floor)
