"""Which time a record's typed row gets: the device's, unless its clock was unsynchronized and
the time is implausible (a Pi that started in 1970, or far ahead); then central's receipt time."""

from types import SimpleNamespace

import pytest

from sync.central.processing import _event_time

RECEIVED = 1_796_300_000.0  # December 2026


@pytest.mark.parametrize(
    ("created_at", "synced", "expected"),
    [
        (RECEIVED - 3 * 86_400, True, RECEIVED - 3 * 86_400),  # synced: always the device's
        (0, True, 0),  # a synced clock is believed, even if odd
        (0, False, RECEIVED),  # a Pi that started in 1970
        (86_400 * 2, False, RECEIVED),
        (RECEIVED - 3 * 86_400, False, RECEIVED - 3 * 86_400),  # the last saved time: plausible
        (RECEIVED + 2 * 86_400, False, RECEIVED),  # far ahead of its arrival
        (RECEIVED + 3600, False, RECEIVED + 3600),  # a little ahead: kept
    ],
)
def test_event_time(created_at, synced, expected):
    header = SimpleNamespace(created_at=int(created_at), clock_synced=synced)
    assert _event_time(header, RECEIVED) == int(expected)
