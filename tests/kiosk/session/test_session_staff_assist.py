"""Staff assisting a resident, through `KioskSession` over the in-memory ports: started from the
staff menu only, the resident's journey as usual with `assist_idle_timeout_s`, metrics marked
`assisted: true` (no staff identity), and the assisted state gone with every kind of wipe."""

from __future__ import annotations

import pytest

from kiosk.session import (
    KioskSession,
    NoticeCode,
    SessionConfig,
    SessionConfigError,
    Step,
    hash_staff_pin,
)
from tests.support.session_fixtures import submit_application, to_pin_entry

PIN = "864200"
STAFF_HASH = hash_staff_pin(PIN, salt=b"a" * 16, iterations=1000)


@pytest.fixture
def session(catalog, kit, clock):
    config = SessionConfig(device_id="C03", staff_pin_hash=STAFF_HASH, assist_idle_timeout_s=300)
    return KioskSession(catalog, kit.ports(), config, clock=clock, wall_clock=clock)


def _assist(session):
    assert session.open_staff()
    assert session.submit_staff_pin(PIN)
    assert session.staff_assist()
    assert session.step is Step.HOME and session.assisted


def test_assist_only_from_the_staff_menu(session):
    assert not session.staff_assist()
    session.open_staff()
    assert not session.staff_assist()  # PIN screen
    session.submit_staff_pin(PIN)
    session.staff_diagnostics()
    assert not session.staff_assist()
    assert not session.assisted


def test_not_while_out_of_service(session):
    session.open_staff()
    session.submit_staff_pin(PIN)
    session.staff_set_out_of_service(True)
    assert not session.staff_assist()
    assert session.step is Step.STAFF_MENU and not session.assisted


def test_assisted_session_starts_fresh(session):
    session.choose_language("vi")
    session.set_text_scale(True)
    _assist(session)
    assert session.language == session.config.default_language and session.text_scale == 1.0
    assert session.notice is None and not session.staff_called


def test_assisted_idle_timeout_is_longer(session, clock):
    _assist(session)
    session.open_life_events()
    clock.advance(session.config.idle_timeout_s + 1)
    session.tick()
    assert session.step is Step.LIFE_EVENTS  # a resident alone would be asked by now
    clock.advance(300 - session.config.idle_timeout_s)
    session.tick()
    assert session.step is Step.STILL_THERE
    session.still_here()
    assert session.step is Step.LIFE_EVENTS and session.assisted
    clock.advance(301)
    session.tick()
    clock.advance(16)
    session.tick()
    assert session.step is Step.HOME and not session.assisted
    assert session.notice.code is NoticeCode.SESSION_ENDED


def test_assisted_idle_at_home_ends_the_assist(session, clock):
    _assist(session)
    clock.advance(200)
    session.tick()
    assert session.assisted  # staff and resident are still talking
    clock.advance(101)
    session.tick()
    assert session.step is Step.HOME and not session.assisted


def test_metrics_of_an_assisted_service_say_so(session, kit):
    _assist(session)
    session.take_queue_ticket()
    assert session.step is Step.QUEUE_TICKET
    session.finish()
    assert session.assisted  # still the same resident while the survey is asked
    session.submit_survey(8)
    assert not session.assisted
    [metric] = kit.outbox.of_kind("metric")
    assert metric["assisted"] is True and metric["service"] == "queue"
    assert set(metric) == {
        "service",
        "procedure",
        "outcome",
        "steps",
        "language",
        "catalog_version",
        "assisted",
    }  # no staff identity
    # The next resident, unassisted.
    session.take_queue_ticket()
    session.finish()
    assert kit.outbox.of_kind("metric")[-1]["assisted"] is False


def test_every_metric_of_the_assisted_session_is_marked(session, kit):
    _assist(session)
    session.open_life_events()
    session.choose_life_event("moving_in")
    session.home()  # a service ended by the home button: the wipe records it
    metrics = kit.outbox.of_kind("metric")
    assert [m["outcome"] for m in metrics] == ["home"] and metrics[0]["assisted"] is True
    assert not session.assisted


@pytest.mark.parametrize("how", ["card_removed", "home", "back", "staff_entry", "survey_skipped"])
def test_the_wipe_ends_the_assist(session, kit, how):
    _assist(session)
    to_pin_entry(session)
    if how == "card_removed":
        session.card_removed()
        assert session.notice.code is NoticeCode.CARD_REMOVED
    elif how == "home":
        session.home()
    elif how == "back":
        session.back()
    elif how == "staff_entry":
        session.open_staff()
        assert session.assisted  # the PIN screen is not a wipe yet
        session.submit_staff_pin(PIN)
    else:
        submit_application(session)
    assert not session.assisted
    assert all(m["assisted"] for m in kit.outbox.of_kind("metric"))


def test_leaving_staff_mode_does_not_assist(session):
    session.open_staff()
    session.submit_staff_pin(PIN)
    session.staff_exit()
    assert session.step is Step.HOME and not session.assisted


def test_assist_timeout_is_validated():
    with pytest.raises(SessionConfigError):
        SessionConfig(assist_idle_timeout_s=0)
    with pytest.raises(SessionConfigError):
        SessionConfig(assist_idle_timeout_s=7200)
