"""City hall's video-consultation hours in the signed config bundle (`consult_hours`), as the
kiosk reads them (`ConfigBundleView.consult_hours`, published by `provisioning.publish_config`
with the central's own keys): they take precedence over kiosk.toml's `[consult] hours`; a
malformed entry is not taken (the last good one stays); without one, kiosk.toml's apply."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.catalog import default_catalog
from kiosk.services._config_bundle import ConfigBundleView
from kiosk.session import ConsultHours, KioskSession, Step
from kiosk.session.memory import MemoryKit
from provisioning import enroll_device, init_central, publish_config
from sync.keyfiles import load_device_config

pytestmark = pytest.mark.timeout(60)


def _publish(tmp_path, payload, version):
    publish_config(
        tmp_path / "central",
        tmp_path / "bundles",
        expires_at=datetime.now(UTC) + timedelta(days=7),
        payload=payload,
        version=version,
    )


def test_the_signed_hours_decide_and_a_malformed_entry_is_not_taken(tmp_path):
    init_central(tmp_path / "central")
    enroll_device(
        tmp_path / "central", tmp_path / "device", device_id="K01", center="東部",
        endpoint="tcp://127.0.0.1:1",
    )  # fmt: skip
    device = load_device_config(tmp_path / "device")
    view = ConfigBundleView(tmp_path / "bundles", device.catalog_public)
    assert view.consult_hours() is None  # no bundle yet: kiosk.toml's hours

    _publish(tmp_path, {"consult_hours": ["sat 09:00-12:00"]}, 2)
    hours = view.consult_hours()
    assert hours.open_at(dt.datetime(2026, 12, 5, 10, 0))  # Saturday morning
    assert not hours.open_at(dt.datetime(2026, 12, 4, 10, 0))  # not on Friday

    session = KioskSession(default_catalog(), MemoryKit().ports())
    session.consult_source = lambda language, deliver: pytest.fail("no call outside hours")
    always = ["mon-sun 00:00-24:00", "holidays open"]
    session.consult_hours = ConsultHours.parse(always)  # kiosk.toml: always
    session.consult_hours_source = lambda: ConsultHours.parse([])  # city hall: never
    session.refresh_status()
    assert session.flows.consult.open()
    assert session.step is Step.CONSULT_UNAVAILABLE and session.consult_unavailable == "hours"

    _publish(tmp_path, {"consult_hours": ["weekdays 9-5"]}, 3)
    assert view.consult_hours() == hours  # malformed: the last good hours stay
    _publish(tmp_path, {"staff_pins": {}}, 4)
    assert view.consult_hours() is None  # no entry: kiosk.toml's hours again
