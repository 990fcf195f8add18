"""Staff PIN: at least 6 digits (the hash command and `hash_staff_pin` refuse shorter ones, an
entry shorter than 6 digits never matches, a malformed hash in config is refused), the failure
count and lockout kept in a file in the kiosk's state directory (atomic, fsynced) so that a new
session object — a restart — still counts the failures and holds the lockout, and the staff PIN
per center from a signed config bundle when it carries one."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.services import ConfigBundleView
from kiosk.session import (
    KioskSession,
    NoticeCode,
    SessionConfig,
    SessionConfigError,
    Step,
    hash_staff_pin,
    verify_staff_pin,
)
from kiosk.session.memory import ManualClock
from madoguchi.cli import cli
from sync.bundles import sign_bundle

PIN = "482913"
HASH = hash_staff_pin(PIN, salt=b"k" * 16, iterations=1000)


def _session(catalog, kit, clock, lockout_file=None, **kw) -> KioskSession:
    config = SessionConfig(
        device_id="C07",
        staff_pin_hash=kw.pop("staff_pin_hash", HASH),
        staff_pin_max_failures=3,
        staff_lockout_s=300,
        staff_lockout_file=None if lockout_file is None else str(lockout_file),
        **kw,
    )
    return KioskSession(catalog, kit.ports(), config, clock=clock, wall_clock=clock)


def _try(session, pin) -> bool:
    if session.step is not Step.STAFF_PIN:
        assert session.open_staff()
    return session.submit_staff_pin(pin)


# -- at least 6 digits ------------------------------------------------------------------------
@pytest.mark.parametrize("pin", ["1234", "12345", "1234567890123", "12a456", "１２３４５６", ""])
def test_hash_refuses_pins_that_are_not_6_to_12_digits(pin):
    with pytest.raises(SessionConfigError) as info:
        hash_staff_pin(pin, iterations=10)
    assert info.value.field == "staff_pin"
    assert "6-12 digits" in str(info.value)


def test_hash_command_refuses_a_short_pin_in_one_line_and_accepts_six_digits():
    runner = CliRunner()
    bad = runner.invoke(cli, ["kiosk-hash-staff-pin", "--pin", "2580"])
    assert bad.exit_code == 1
    assert "staff PIN refused" in bad.output and "6-12 digits" in bad.output
    assert "2580" not in bad.output and "Traceback" not in bad.output
    good = runner.invoke(cli, ["kiosk-hash-staff-pin", "--pin", PIN])
    assert good.exit_code == 0, good.output
    assert verify_staff_pin(PIN, good.output.strip())


def test_a_hash_made_for_an_old_4_digit_pin_never_opens_staff_mode(catalog, kit, clock):
    salt = b"o" * 16
    digest = hashlib.pbkdf2_hmac("sha256", b"2580", salt, 1000)
    legacy = f"pbkdf2-sha256$1000${salt.hex()}${digest.hex()}"
    assert not verify_staff_pin("2580", legacy)
    session = _session(catalog, kit, clock, staff_pin_hash=legacy)
    assert not _try(session, "2580")
    assert session.notice.code is NoticeCode.STAFF_PIN_WRONG


@pytest.mark.parametrize(
    "encoded",
    [
        "x",
        "md5$1$00$00",
        "pbkdf2-sha256$0$" + "00" * 16 + "$" + "00" * 32,
        "pbkdf2-sha256$1000$zz$" + "00" * 32,
        "pbkdf2-sha256$1000$" + "00" * 4 + "$" + "00" * 32,
        "pbkdf2-sha256$1000$" + "00" * 16 + "$" + "00" * 16,
    ],
)
def test_malformed_staff_pin_hash_in_config_is_refused(encoded):
    with pytest.raises(SessionConfigError) as info:
        SessionConfig(staff_pin_hash=encoded)
    assert info.value.field == "staff_pin_hash"


def test_lockout_file_must_be_absolute():
    with pytest.raises(SessionConfigError) as info:
        SessionConfig(staff_lockout_file="state/staff-lockout.json")
    assert info.value.field == "staff_lockout_file"


# -- durable lockout --------------------------------------------------------------------------
def test_the_lockout_holds_across_a_restart(catalog, kit, clock, tmp_path):
    path = tmp_path / "staff-lockout.json"
    session = _session(catalog, kit, clock, path)
    for _ in range(3):
        assert not _try(session, "000000")
    assert not _try(session, PIN)  # locked: even the right PIN
    state = json.loads(path.read_text())
    assert state["locked_until"] > clock() and PIN not in path.read_text()
    # power cycle: a new session object (and a fresh monotonic clock) reads the file
    restarted = _session(catalog, kit, ManualClock(clock()), path)
    assert not _try(restarted, PIN)
    assert restarted.step is Step.STAFF_PIN
    assert restarted.notice.code is NoticeCode.STAFF_PIN_WRONG
    # once the lockout has passed (wall clock), the right PIN opens staff mode and clears it
    later = ManualClock(clock() + 301)
    after = _session(catalog, kit, later, path)
    assert _try(after, PIN) and after.step is Step.STAFF_MENU
    assert json.loads(path.read_text()) == {"failures": 0, "locked_until": 0.0}


def test_failures_before_a_restart_still_count(catalog, kit, clock, tmp_path):
    path = tmp_path / "staff-lockout.json"
    first = _session(catalog, kit, clock, path)
    assert not _try(first, "111111") and not _try(first, "222222")
    assert json.loads(path.read_text())["failures"] == 2
    second = _session(catalog, kit, ManualClock(clock()), path)
    assert not _try(second, "333333")  # the third in a row, across the restart: locked
    assert not _try(second, PIN)


def test_without_a_file_a_restart_forgets_as_before(catalog, kit, clock):
    first = _session(catalog, kit, clock)
    for _ in range(3):
        _try(first, "000000")
    assert not _try(first, PIN)
    second = _session(catalog, kit, ManualClock(clock()))
    assert _try(second, PIN)


def test_a_damaged_lockout_file_locks_instead_of_resetting(catalog, kit, clock, tmp_path):
    path = tmp_path / "staff-lockout.json"
    path.write_text("{not json")
    session = _session(catalog, kit, clock, path)
    assert not _try(session, PIN)
    assert json.loads(path.read_text())["locked_until"] >= clock() + 300 - 1


def test_a_wall_clock_jump_back_does_not_stretch_or_lift_the_lockout(catalog, kit, tmp_path):
    path = tmp_path / "staff-lockout.json"
    boot = ManualClock(2_000_000_000.0)
    session = _session(catalog, kit, boot, path)
    for _ in range(3):
        _try(session, "000000")
    # a Pi without RTC boots with an old date: the lockout lasts one full period from "now"
    old_date = ManualClock(1_700_000_000.0)
    restarted = _session(catalog, kit, old_date, path)
    assert not _try(restarted, PIN)
    assert json.loads(path.read_text())["locked_until"] <= old_date() + 300
    old_date.advance(301)
    fresh = _session(catalog, kit, old_date, path)
    assert _try(fresh, PIN)


# -- staff PIN per center from the signed config bundle ---------------------------------------
def _config_bundle(tmp_path, key, version, payload) -> None:
    data = sign_bundle(
        "config",
        version,
        payload,
        expires_at=datetime.now(UTC) + timedelta(days=30),
        signing_key=key,
    )
    (tmp_path / "config.bundle").write_bytes(data)


def test_the_config_bundle_staff_pin_for_this_center_wins(catalog, kit, clock, tmp_path):
    key = Ed25519PrivateKey.generate()
    center_pin = "739104"
    center_hash = hash_staff_pin(center_pin, salt=b"c" * 16, iterations=1000)
    other_hash = hash_staff_pin("555555", salt=b"d" * 16, iterations=1000)
    view = ConfigBundleView(tmp_path, key.public_key())
    assert view.staff_pin_hash("東部") is None  # no bundle yet: the kiosk config's hash
    _config_bundle(tmp_path, key, 3, {"staff_pins": {"東部": center_hash, "西部": other_hash}})
    session = _session(catalog, kit, clock)
    session.staff_pin_source = lambda: view.staff_pin_hash("東部")
    assert not _try(session, PIN)  # the kiosk config's PIN no longer opens it
    assert _try(session, center_pin)
    session.staff_exit()
    # a center the bundle does not name keeps the kiosk config's PIN
    elsewhere = _session(catalog, kit, clock)
    elsewhere.staff_pin_source = lambda: view.staff_pin_hash("北部")
    assert _try(elsewhere, PIN)


@pytest.mark.parametrize(
    "bad_payload",
    [
        {"staff_pins": {"東部": "x"}},
        {"staff_pins": ["東部"]},
        {"staff_pins": {"東部": 123456}},
    ],
)
def test_a_bad_entry_in_a_newer_bundle_keeps_what_was_taken(tmp_path, bad_payload):
    key = Ed25519PrivateKey.generate()
    good = hash_staff_pin("739104", salt=b"c" * 16, iterations=1000)
    view = ConfigBundleView(tmp_path, key.public_key())
    _config_bundle(tmp_path, key, 1, {"staff_pins": {"東部": good}})
    assert view.staff_pin_hash("東部") == good
    _config_bundle(tmp_path, key, 2, bad_payload)
    assert view.staff_pin_hash("東部") == good


def test_a_bundle_signed_by_another_key_is_not_taken(tmp_path):
    key, forger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    view = ConfigBundleView(tmp_path, key.public_key())
    forged = hash_staff_pin("000000", salt=b"f" * 16, iterations=1000)
    _config_bundle(tmp_path, forger, 9, {"staff_pins": {"東部": forged}})
    assert view.staff_pin_hash("東部") is None


def test_a_bad_card_trust_entry_keeps_the_previous_trust_but_not_the_staff_entry(tmp_path):
    """Each entry on its own: a typo in one must not drop or freeze the other."""
    from devices.card.simulator import default_test_ca
    from devices.card.trust import card_trust_entry

    key = Ed25519PrivateKey.generate()
    view = ConfigBundleView(tmp_path, key.public_key())
    entry = card_trust_entry(jpki_cas=(default_test_ca().certificate,))
    _config_bundle(tmp_path, key, 1, {"card_trust": entry})
    trust = view.card_trust()
    assert trust is not None and trust.jpki_cas == (default_test_ca().certificate,)
    new_hash = hash_staff_pin("739104", salt=b"c" * 16, iterations=1000)
    _config_bundle(
        tmp_path, key, 2, {"card_trust": {"crls": "x"}, "staff_pins": {"東部": new_hash}}
    )
    assert view.card_trust() == trust
    assert view.staff_pin_hash("東部") == new_hash
