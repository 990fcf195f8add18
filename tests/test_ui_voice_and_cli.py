"""Voice guidance (off by default, switched on at home, speaks fixed screen guidance in the
resident's language, never personal data) and `madoguchi kiosk --screenshots DIR`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui._walk import PREVIEW_RESIDENT, PreviewUi  # noqa: E402


def test_voice_is_off_until_the_resident_turns_it_on(kivy_window):
    from kivy_support import frames, tap

    with PreviewUi(kivy_window) as ui:
        ui.app.voice.config = type(ui.app.voice.config)(executable="true")  # silent stand-in
        ui.session.open_life_events()
        frames(2)
        assert ui.app.voice.spoken == []
        ui.session.home()
        ui.session.choose_language("vi")
        frames(2)
        tap(ui.root.find("voice"))
        assert ui.session.voice and ui.app.voice.enabled
        tap(ui.root.find("life_events"))
        frames(2)
        lang, text = ui.app.voice.spoken[-1]
        assert lang == "vi" and text == ui.app.tr("Choose what happened in your life.")


def test_guidance_never_contains_card_data(kivy_window):
    with PreviewUi(kivy_window) as ui:
        ui.app.voice.config = type(ui.app.voice.config)(executable="true")
        ui.session.toggle_voice()
        for _ in ui.walk():
            ui.session.voice = True  # the walk's wipes reset it; keep it on for every screen
        spoken = " ".join(text for _, text in ui.app.voice.spoken)
        assert spoken
        for value in (PREVIEW_RESIDENT.name, PREVIEW_RESIDENT.address, PREVIEW_RESIDENT.birth_date):
            assert value not in spoken


def test_screenshots_command_writes_every_screen(tmp_path):
    out = tmp_path / "shots"
    result = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "kiosk", "--screenshots", str(out),
         "--language", "ko"],
        capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    shots = sorted(p.name for p in out.glob("ko_*.png"))
    steps = {name.split("_", 2)[2].removesuffix(".png") for name in shots}
    from kiosk.ui import SCREENS

    assert set(SCREENS) <= steps | {"pin_entry_last_try"}, set(SCREENS) - steps
    from PIL import Image

    with Image.open(out / "ko_00_home.png") as img:
        gray = img.convert("L")
        assert gray.size == (1280, 800)
        assert len(set(gray.getdata())) > 10  # drawn, not a blank frame


@pytest.mark.parametrize("bad", ["xx", "JA", ""])
def test_screenshots_refuse_an_unknown_language(tmp_path, bad):
    result = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "kiosk", "--screenshots", str(tmp_path),
         "--language", bad],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "unknown language" in result.stderr
