"""Reference numbers (`C01B-0017-3`, s3 review A3): the format, its check digit and parse, unique
city-wide with several terminals of several centers appending to their own real (SQLite)
outboxes while cut off from each other, mapped back to (device, seq); the session's receipts and
claim slips using them when the center code is configured (bookings keep the form central's
look-up parses); the old forms (`<device>-<seq>-<check>`, `中央-1203-B0042`) still read; bad
config refused."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.session import KioskSession, SessionConfig, Step
from kiosk.session.errors import SessionConfigError
from sync.outbox import Outbox, OutboxConfig
from sync.readable_reference import (
    device_reference,
    format_dated_reference,
    format_reference,
    locate_reference,
    parse_reference,
)
from tests.support.session_fixtures import submit_application, to_pin_entry

pytestmark = pytest.mark.timeout(120)

DAY = dt.date(2026, 12, 3)


def test_format_check_digit_and_parse():
    assert format_reference("C01", "", 17) == "C01-0017-" + format_reference("C01", "", 17)[-1]
    assert format_reference("C01", "B", 123_456).startswith("C01B-123456-")
    ref = format_reference("C01", "B", 17)
    parsed = parse_reference(ref)
    assert (parsed.form, parsed.center, parsed.mark, parsed.seq) == ("short", "C01", "B", 17)
    # as typed: full width, lower case, spaces around, the number without its zeros
    typed = "　ｃ０１ｂ－０ ０１７－" + ref[-1] + " "
    assert parse_reference(typed.replace(" ", "")) == parsed
    assert parse_reference(f"C01B-17-{ref[-1]}") == parsed
    # every single wrong digit and every swap of two neighbouring digits is caught
    body = ref.replace("-", "")
    for i, ch in enumerate(body):
        if ch.isdigit():
            for other in "0123456789":
                if other != ch:
                    wrong = body[:i] + other + body[i + 1 :]
                    assert parse_reference(f"{wrong[:4]}-{wrong[4:8]}-{wrong[8:]}") is None
    number = ref[5:9] + ref[-1]
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            assert parse_reference(f"C01B-{swapped[:4]}-{swapped[4]}") is None


def test_old_references_stay_readable():
    old = device_reference("kiosk-0000", 17)
    assert old.startswith("kiosk-0000-000017-")
    parsed = parse_reference(old)
    assert (parsed.form, parsed.device_id, parsed.seq) == ("device", "kiosk-0000", 17)
    assert locate_reference(old, {}) == ("kiosk-0000", 17)
    assert parse_reference(old[:-1] + str((int(old[-1]) + 1) % 10)) is None  # wrong check


def test_a_reference_maps_back_to_its_device_and_seq():
    terminals = {"C01": "kiosk-0001", "C01B": "kiosk-0007", "C02": "kiosk-0002"}
    assert locate_reference(format_reference("C01", "B", 42), terminals) == ("kiosk-0007", 42)
    assert locate_reference(format_reference("C01", "", 42), terminals) == ("kiosk-0001", 42)
    assert locate_reference(format_reference("C03", "", 42), terminals) is None  # unknown
    assert locate_reference("C01-0042-x", terminals) is None
    assert locate_reference(format_dated_reference("中央", DAY, "B", 42), terminals) is None


def test_the_dated_form_of_2026_12_03_still_parses():
    assert format_dated_reference("中央", DAY, "", 42) == "中央-1203-0042"
    assert format_dated_reference("中央", DAY, "B", 12_345) == "中央-1203-B2345"
    parsed = parse_reference("中央-１２０３-B００４２")  # as typed on a full-width keyboard
    assert (parsed.center, parsed.month, parsed.day, parsed.mark, parsed.number) == (
        "中央", 12, 3, "B", 42,
    )  # fmt: skip
    assert parsed.form == "dated"
    for bad in ("中央-1303-0042", "中央-1203-42", "中央1203-0042", "", "a-b-c-d", None):
        assert parse_reference(bad) is None


@pytest.mark.parametrize(
    ("center", "mark"),
    [("", "B"), ("中-央", ""), ("中 央", ""), ("123456789", ""), ("中央", "1"), ("中央", "AB"),
     ("中央", "b"), ("C01", "1"), ("C01", "AB"), ("c01", ""), ("01", ""), ("C0001", ""),
     ("ABC1", "")],
)  # fmt: skip
def test_bad_reference_config_is_refused(center, mark):
    with pytest.raises(SessionConfigError):
        SessionConfig(reference_center=center, reference_mark=mark)
    with pytest.raises(ValueError):
        format_reference(center or "中-央", mark, 1)
    if center in ("", "中-央", "中 央", "123456789") or mark not in ("", "B"):
        with pytest.raises(ValueError):  # the old dated form refused these too
            format_dated_reference(center or "中-央", DAY, mark, 1)


def test_unique_city_wide_across_partitioned_terminals(tmp_path):
    """Four terminals of two centers, each with its own outbox (no link between them), append
    900 records each; every reference is different and maps back to its device and seq."""
    central = X25519PrivateKey.generate().public_key()
    terminals = {"C01A": "T1", "C01B": "T2", "C01C": "T3", "C02": "T4"}
    outboxes = {
        part: Outbox(OutboxConfig(tmp_path / f"{dev}.db", reserve_bytes=0), dev, central,
                     "s1").open()
        for part, dev in terminals.items()
    }  # fmt: skip
    seen: dict[str, tuple[str, int]] = {}
    try:
        for _ in range(900):
            for part, outbox in outboxes.items():
                seq = outbox.append("survey", {"score": 7}).seq
                ref = format_reference(part[:3], part[3:], seq)
                assert ref not in seen
                seen[ref] = (terminals[part], seq)
    finally:
        for outbox in outboxes.values():
            outbox.close()
    assert len(seen) == 3600
    assert all(locate_reference(ref, terminals) == where for ref, where in seen.items())


def test_receipts_and_claim_slips_use_the_readable_form(catalog, kit, clock):
    config = SessionConfig(device_id="C07", reference_center="C01", reference_mark="B")
    session = KioskSession(catalog, kit.ports(), config, clock=clock, wall_clock=clock)
    to_pin_entry(session)
    reference = submit_application(session)
    assert reference == format_reference("C01", "B", 1) and reference.startswith("C01B-0001-")
    assert any(job.data.get("reference") == reference for job in kit.printer.printed)
    # offline certificate: the claim slip too
    kit.online.online = False
    assert session.open_certificates()
    assert session.choose_certificate("tax_certificate", 1, "housing")
    session.card_inserted()
    session.submit_pin("1234")
    assert session.step is Step.CLAIM_SLIP
    assert parse_reference(session.reference).mark == "B"
    assert kit.printer.printed[-1].data["reference"] == session.reference


def test_without_a_center_name_references_stay_as_they_were(catalog, kit, clock):
    session = KioskSession(catalog, kit.ports(), SessionConfig(device_id="C07"), clock=clock,
                           wall_clock=clock)  # fmt: skip
    to_pin_entry(session)
    assert submit_application(session).startswith("C07-000001-")
