"""Readable reference numbers (`中央-1203-B0042`): the format and its parse, unique per center and
day with several terminals appending to their own real (SQLite) outboxes while cut off from
each other, the session's receipts and claim slips using them when the center's short name is
configured (bookings keep the form central's look-up parses), and bad config refused."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.session import KioskSession, SessionConfig, Step
from kiosk.session.errors import SessionConfigError
from sync.outbox import Outbox, OutboxConfig
from sync.readable_reference import format_reference, parse_reference
from tests.support.session_fixtures import submit_application, to_pin_entry

pytestmark = pytest.mark.timeout(120)

DAY = dt.date(2026, 12, 3)


def test_format_and_parse():
    assert format_reference("中央", DAY, "", 42) == "中央-1203-0042"
    assert format_reference("中央", DAY, "B", 12_345) == "中央-1203-B2345"
    parsed = parse_reference("中央-１２０３-B００４２")  # as typed on a full-width keyboard
    assert (parsed.center, parsed.month, parsed.day, parsed.mark, parsed.number) == (
        "中央", 12, 3, "B", 42,
    )  # fmt: skip
    for bad in ("中央-1303-0042", "中央-1203-42", "中央1203-0042", "", "a-b-c-d", None):
        assert parse_reference(bad) is None


@pytest.mark.parametrize(
    ("center", "mark"),
    [("", "B"), ("中-央", ""), ("中 央", ""), ("123456789", ""), ("中央", "1"), ("中央", "AB"),
     ("中央", "b")],
)  # fmt: skip
def test_bad_reference_config_is_refused(center, mark):
    with pytest.raises(SessionConfigError):
        SessionConfig(reference_center=center, reference_mark=mark)
    with pytest.raises(ValueError):
        format_reference(center or "中-央", DAY, mark, 1)


def test_unique_per_center_and_day_across_partitioned_terminals(tmp_path):
    """Three terminals of one center, each with its own outbox (no link between them), append
    through two days; every reference of a (center, day) is different."""
    central = X25519PrivateKey.generate().public_key()
    seen: dict[tuple[str, dt.date], set[str]] = {}
    outboxes = {
        mark: Outbox(OutboxConfig(tmp_path / f"{mark}.db", reserve_bytes=0), f"T{mark}",
                     central, "s1").open()
        for mark in "ABC"
    }  # fmt: skip
    try:
        for day in (DAY, DAY + dt.timedelta(days=1)):
            for _ in range(300):
                for mark, outbox in outboxes.items():
                    seq = outbox.append("survey", {"score": 7}).seq
                    ref = format_reference("中央", day, mark, seq)
                    assert ref not in seen.setdefault(("中央", day), set())
                    seen[("中央", day)].add(ref)
    finally:
        for outbox in outboxes.values():
            outbox.close()
    assert [len(refs) for refs in seen.values()] == [900, 900]


def test_receipts_and_claim_slips_use_the_readable_form(catalog, kit, clock):
    config = SessionConfig(device_id="C07", reference_center="中央", reference_mark="B")
    session = KioskSession(catalog, kit.ports(), config, clock=clock, wall_clock=clock)
    to_pin_entry(session)
    reference = submit_application(session)
    day = dt.datetime.fromtimestamp(clock()).date()
    assert reference == f"中央-{day:%m%d}-B0001"
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
