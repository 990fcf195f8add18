"""Voice guidance (off by default, switched on at home, speaks fixed screen guidance in the
resident's language, never personal data) and `madoguchi kiosk --screenshots DIR`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from kivy.config import Config

Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")

from kiosk.ui.walk import PREVIEW_RESIDENT, PreviewUi  # noqa: E402


def test_voice_is_off_until_the_resident_turns_it_on(kivy_window):
    from tests.support.kivy_ui import frames, tap

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

    # The consultation screens show a call's state (kiosk.call.screen_state), not a session step:
    # the session does not open a call yet (issue 18), so the walk cannot reach them; their own
    # test draws each in ja and en (tests/kiosk/ui/test_consult_screens.py).
    call_screens = {name for name in SCREENS if name.startswith("consult_")}
    assert set(SCREENS) - call_screens <= steps | {"pin_entry_last_try"}, set(SCREENS) - steps
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


@pytest.mark.parametrize(
    "toml,message",
    [
        ("bundle = [", "cannot read"),
        ("colour = 'red'", "unknown key"),
        ("display = 3", "[display] must be a table"),
        ("[display]\ndpi = 9000", "dpi out of range"),
        ("[display]\ntarget_mm = 10", "at least 15"),
    ],
)
def test_bad_kiosk_config_is_one_line_and_exit_1(tmp_path, toml, message):
    config = tmp_path / "kiosk.toml"
    config.write_text(toml, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "kiosk", "--config", str(config), "--windowed"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_kiosk_runs_on_an_enrolled_bundle_and_stops_on_sigterm(tmp_path, pcsc, cups_server):
    """The real entry point: device bundle, outbox, printer, reader, windowed offscreen; it
    reaches home and stops cleanly when the service manager sends SIGTERM."""
    import os
    import signal
    import time

    from provisioning import enroll_device, init_central

    keys = init_central(tmp_path / "central")
    enroll_device(
        keys.directory, tmp_path / "bundle", device_id="kita-01", center="北",
        endpoint="tcp://127.0.0.1:9", printer_queues={"receipt": "none", "document": "none"},
    )  # fmt: skip
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'bundle = "{tmp_path / "bundle"}"\noutbox = "{tmp_path / "outbox.db"}"\n'
        f'state = "{tmp_path / "local.db"}"\nagent_status = "{tmp_path / "status.json"}"\n'
        f'request_socket = ""\ncups_server = "{cups_server.socket_path}"\n',
        encoding="utf-8",
    )
    env = dict(os.environ, **pcsc.env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "madoguchi.cli", "kiosk", "--config", str(config), "--windowed"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        time.sleep(6)  # a real process starting up: nothing to advance but the wall clock
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    assert (tmp_path / "outbox.db").exists()
