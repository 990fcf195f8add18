"""The kiosk TOML: `[session]` sets the session's timeouts (validated by SessionConfig), unknown
keys and bad values are refused with one line naming the key, nothing else is guessed."""

from __future__ import annotations

import pytest

from kiosk._cli import _session_config
from kiosk.config import SESSION_KEYS, KioskConfigError, load_kiosk_config
from kiosk.session import SessionConfig


def _load(tmp_path, text: str):
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return load_kiosk_config(path)


def test_session_table_sets_the_timeouts(tmp_path):
    config = _load(
        tmp_path,
        'staff_pin_hash = "x"\n[session]\nidle_timeout_s = 90\nassist_idle_timeout_s = 600\n'
        'default_language = "en"\n',
    )
    session = _session_config(config, "B01", None)
    assert session.idle_timeout_s == 90 and session.assist_idle_timeout_s == 600
    assert session.default_language == "en" and session.device_id == "B01"
    assert session.still_there_timeout_s == SessionConfig().still_there_timeout_s  # default


def test_session_table_sets_the_reference_number_parts(tmp_path):
    """Receipts and slips print C01B-0017-3 once [session] names the center code and mark."""
    config = _load(tmp_path, '[session]\nreference_center = "C01"\nreference_mark = "B"\n')
    session = _session_config(config, "B01", None)
    assert (session.reference_center, session.reference_mark) == ("C01", "B")


def test_every_session_key_is_a_session_config_field():
    assert SESSION_KEYS <= set(SessionConfig.__dataclass_fields__)
    assert not {"device_id", "staff_pin_hash"} & SESSION_KEYS


@pytest.mark.parametrize(
    "text,message",
    [
        ("[session]\nidle_timeuot_s = 5\n", "unknown [session] key(s) idle_timeuot_s"),
        ("[session]\ndevice_id = 'X'\n", "unknown [session] key(s) device_id"),
        ("session = 5\n", "[session] must be a table"),
    ],
)
def test_bad_session_tables_are_refused_at_load(tmp_path, text, message):
    with pytest.raises(KioskConfigError) as e:
        _load(tmp_path, text)
    assert message in str(e.value)


@pytest.mark.parametrize(
    "text",
    [
        "[session]\nidle_timeout_s = 0\n",
        "[session]\nstaff_idle_timeout_s = 99999\n",
        "[session]\ndefault_language = 'fr'\n",
        "[session]\nidle_timeout_s = 'soon'\n",
        "[session]\ncallback_within_days = 0\n",  # the callback screen's promise
        "[session]\ncallback_within_days = 31\n",
        "[session]\ncallback_within_days = 2.5\n",
        "[session]\nreference_center = '中央'\n",  # not a center code (C01)
        "[session]\nreference_center = 'C01'\nreference_mark = 'b'\n",
        "[session]\nreference_mark = 'B'\n",  # a mark without a center code
    ],
)
def test_bad_session_values_are_one_clear_error(tmp_path, text):
    config = _load(tmp_path, text)
    with pytest.raises(KioskConfigError) as e:
        _session_config(config, "B01", None)
    assert str(e.value).startswith("[session]:")


def test_bundles_dir_defaults_beside_the_outbox_and_can_be_set(tmp_path):
    from pathlib import Path

    from kiosk.config import bundles_dir

    default = _load(tmp_path, 'outbox = "/var/lib/madoguchi/outbox.sqlite3"\n')
    assert bundles_dir(default) == Path("/var/lib/madoguchi/bundles")  # the agent's default
    explicit = _load(tmp_path, 'bundles = "/srv/bundles"\n')
    assert bundles_dir(explicit) == Path("/srv/bundles")
