"""A shelter notice as the session keeps it (`ShelterNotice`): when it was posted."""

from __future__ import annotations

import datetime as dt

from kiosk.session._services import ShelterNotice


def test_a_notice_knows_when_it_was_posted():
    """The host's `at` (staff, or city hall's `posted`) to the minute; else the day of the
    config bundle that carried it (`published`); else nothing."""
    at = dt.datetime(2026, 11, 4, 10, 30).timestamp()  # local time
    base = {"kind": "water", "ja": "給水車は14時から"}
    assert ShelterNotice.of({**base, "at": at}).posted == "2026-11-04T10:30"
    assert ShelterNotice.of({**base, "at": None, "published": at}).posted == "2026-11-04"
    assert ShelterNotice.of(base).posted == ""
    for bad in ("2026-11-04", True, -1, 10**13):
        assert ShelterNotice.of({**base, "at": bad}).posted == ""
