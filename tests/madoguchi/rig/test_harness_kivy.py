"""Kivy runs for real without an X server: a window (SDL offscreen + llvmpipe), a screenshot,
a touch that fires a button, and CJK/Hangul/Vietnamese glyphs actually drawn, not boxes."""

from tests.support.kivy_ui import frames, ink, tap, widget_pixels

# One character per script the kiosk shows: kanji, hiragana, simplified Chinese, Hangul,
# Vietnamese with stacked diacritics, Portuguese, and a kanji outside the BMP.
SAMPLES = ["転", "ぁ", "迁", "전", "ệ", "ã", "𠮷"]


def test_window_is_offscreen_and_screenshot_has_pixels(kivy_window, tmp_path):
    from kivy.uix.label import Label

    label = Label(text="窓口 Madoguchi", font_size=48)
    kivy_window.add_widget(label)
    try:
        frames(3)
        path = kivy_window.screenshot(str(tmp_path / "shot.png"))
        from PIL import Image

        with Image.open(path) as img:
            gray = img.convert("L")
            bright = sum(1 for p in gray.getdata() if p > 128)
        assert bright > 200, "screenshot is blank: nothing was drawn"
    finally:
        kivy_window.remove_widget(label)


def test_touch_presses_a_button(kivy_window):
    from kivy.uix.button import Button

    pressed = []
    button = Button(text="OK", size_hint=(None, None), size=(200, 120), pos=(50, 50))
    button.bind(on_release=lambda *_: pressed.append(True))
    kivy_window.add_widget(button)
    try:
        frames(2)
        tap(button)
        assert pressed == [True]
    finally:
        kivy_window.remove_widget(button)


def _glyph(kivy_window, text, font_name=None):
    from kivy.uix.label import Label

    kwargs = {"font_name": font_name} if font_name else {}
    label = Label(text=text, font_size=64, size_hint=(None, None), size=(120, 120), **kwargs)
    kivy_window.add_widget(label)
    try:
        frames(2)
        return widget_pixels(label)[2]
    finally:
        kivy_window.remove_widget(label)


def test_every_script_draws_distinct_glyphs(kivy_window):
    bitmaps = {ch: _glyph(kivy_window, ch) for ch in SAMPLES}
    for ch, rgba in bitmaps.items():
        assert ink(rgba) > 30, f"{ch!r} drew nothing"
    # A missing glyph is drawn as the same box ("tofu") every time: distinct bitmaps prove glyphs.
    assert len(set(bitmaps.values())) == len(SAMPLES)


def test_detector_sees_boxes_with_a_font_lacking_cjk(kivy_window):
    # Kivy's bundled Roboto file has no CJK: the same check must then find identical boxes.
    from pathlib import Path

    import kivy

    roboto = Path(kivy.__file__).parent / "data" / "fonts" / "Roboto-Regular.ttf"
    assert roboto.is_file()
    boxes = {_glyph(kivy_window, ch, str(roboto)) for ch in ("転", "迁", "전")}
    assert len(boxes) == 1
