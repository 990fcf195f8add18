"""kiosk.toml's `[consult]` (the video consultation's opening hours and media): defaults, a
good table, and every bad value refused at load with the key named (docs/bad-inputs.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.config import KioskConfigError, consult_of, load_kiosk_config

pytestmark = pytest.mark.timeout(10)


def _load(tmp_path, text: str):
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return load_kiosk_config(path)


def test_defaults_are_a_city_halls_weekday_hours(tmp_path):
    settings = consult_of(_load(tmp_path, ""))
    assert settings.media == "devices"
    assert settings.hours.open_at(dt.datetime(2026, 12, 4, 10, 0))  # Friday morning
    assert not settings.hours.open_at(dt.datetime(2026, 12, 5, 10, 0))  # Saturday


def test_hours_and_media_are_read(tmp_path):
    config = _load(
        tmp_path,
        '[consult]\nhours = ["mon-fri 09:00-17:00", "sat 09:00-12:00"]\nmedia = "synthetic"\n',
    )
    settings = consult_of(config)
    assert settings.media == "synthetic"
    assert settings.hours.open_at(dt.datetime(2026, 12, 5, 11, 0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[consult]\nhours = "weekdays"\n', "hours: 'weekdays' is not like"),
        ('[consult]\nhours = ["mon-fri 17:00-09:00"]\n', "it must open before it closes"),
        ('[consult]\nhours = ["fri-mon 09:00-17:00"]\n', "is not like"),
        ("[consult]\nhours = 9\n", "a list of lines"),
        ('[consult]\nmedia = "webcam"\n', "media: one of devices, synthetic"),
        ('[consult]\nopen = "always"\n', "unknown key(s) open"),
        ('consult = "always"\n', "[consult] must be a table"),
    ],
)
def test_bad_consult_settings_are_refused_at_load(tmp_path, text, message):
    with pytest.raises(KioskConfigError) as e:
        _load(tmp_path, text)
    assert message in str(e.value)
    assert "[consult]" in str(e.value)
