"""The terminal's staff alert speaks a fixed Japanese call through a real child process (an
espeak-ng stand-in that records its arguments), whatever the resident's voice setting; without
espeak-ng it is silent and never raises."""

from __future__ import annotations

import time

from kiosk.staff_alert import STAFF_CALL_PHRASE, StaffAlert
from kiosk.voice import Voice, VoiceConfig


def _fake_espeak(tmp_path):
    log = tmp_path / "spoken.txt"
    exe = tmp_path / "espeak-ng"
    exe.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\n', encoding="utf-8")
    exe.chmod(0o755)
    return exe, log


def test_the_call_is_spoken_in_japanese_even_with_guidance_off(tmp_path):
    exe, log = _fake_espeak(tmp_path)
    voice = Voice(VoiceConfig(executable=str(exe), enabled_by_default=False))
    alert = StaffAlert(voice)
    alert.staff_called(3)
    deadline = time.monotonic() + 10
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    args = log.read_text(encoding="utf-8").splitlines()
    assert args[:2] == ["-v", "ja"]
    assert args[-1] == STAFF_CALL_PHRASE
    assert alert.calls == 3
    alert.close()


def test_without_espeak_the_alert_is_silent(tmp_path, caplog):
    voice = Voice(VoiceConfig(executable=str(tmp_path / "no-such-espeak")))
    alert = StaffAlert(voice)
    alert.staff_called(1)  # must not raise
    assert "no speech" in caplog.text
