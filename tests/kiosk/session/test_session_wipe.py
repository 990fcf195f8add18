"""Privacy: the wipe after idle time, after the card is pulled mid-form, and what it leaves
behind (nothing personal), driven with a manual clock (no sleeps)."""

from __future__ import annotations

import gc

import pytest

from kiosk.session import HeldWorker, KioskSession, NoticeCode, SessionConfig, Step

PERSONAL = ("山田", "花子", "千代田", "1985-04-01", "ヤマダ")


@pytest.fixture
def session(catalog, kit, clock):
    return KioskSession(catalog, kit.ports(), SessionConfig(), clock=clock, wall_clock=clock)


def _to_form(session):
    session.choose_language("vi")
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    session.card_inserted()
    session.submit_pin("1234")
    session.correct_field("name_kana", "ヤマダ ハナコ")
    assert session.step is Step.FORM_CONFIRM


def _reachable_text(obj, seen=None, depth=0) -> str:
    """Every string reachable from the session's attributes (a crude heap walk, bounded)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 6:
        return ""
    seen.add(id(obj))
    if isinstance(obj, str):
        return obj + "\n"
    if isinstance(obj, bytes):
        return ""
    out = []
    if isinstance(obj, dict):
        items = list(obj.keys()) + list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = list(obj)
    elif hasattr(obj, "__dict__"):
        items = [v for k, v in vars(obj).items() if k not in ("catalog", "ports", "_observers")]
    elif hasattr(obj, "__slots__"):
        items = [getattr(obj, s, None) for s in obj.__slots__]
    else:
        return ""
    for item in items:
        out.append(_reachable_text(item, seen, depth + 1))
    return "".join(out)


def _assert_no_personal_data(session):
    text = _reachable_text(session)
    for needle in PERSONAL:
        assert needle not in text, needle


def test_card_pulled_during_form_wipes_everything(session, kit):
    _to_form(session)
    form = session.form
    _assert_no_personal_data_before = _reachable_text(session)
    assert "山田" in _assert_no_personal_data_before  # the walk does see the form
    session.card_removed("Virtual PCD 00 00")
    assert session.step is Step.HOME
    assert session.notice.code is NoticeCode.CARD_REMOVED
    assert session.form is None
    assert all(fv.value == "" for fv in form.values)  # blanked in place, for widgets holding it
    assert session.language == "vi"  # the resident keeps their language on the home screen
    _assert_no_personal_data(session)
    assert kit.outbox.of_kind("application") == []
    assert kit.outbox.of_kind("metric")[-1]["outcome"] == "card_removed"
    assert kit.card.closed >= 1


def test_card_pulled_after_submission_is_normal(session, kit):
    _to_form(session)
    session.correct_field("insured_count", "1")
    session.correct_field("phone", "0312345678")
    session.confirm()
    assert session.step is Step.DONE
    session.card_removed()
    assert session.step is Step.DONE  # the reference stays on screen
    assert session.reference


def test_card_pulled_while_reading_wipes(session, kit):
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    session.card_inserted()
    kit.card.removed = True  # the next APDU finds no card
    session.submit_pin("1234")
    assert session.step is Step.HOME
    assert session.notice.code is NoticeCode.CARD_REMOVED


def test_idle_asks_still_there_then_wipes(session, kit, clock):
    _to_form(session)
    form_timeout = session.config.form_idle_timeout_s  # longer than idle_timeout_s (issue 19)
    assert form_timeout > session.config.idle_timeout_s
    clock.advance(form_timeout - 1)
    session.tick()
    assert session.step is Step.FORM_CONFIRM
    clock.advance(1)
    session.tick()
    assert session.step is Step.STILL_THERE
    assert session.still_there_seconds_left == 15  # shown on screen as a countdown
    clock.advance(14)
    session.tick()
    assert session.step is Step.STILL_THERE
    assert session.still_there_seconds_left == 1
    clock.advance(1)
    session.tick()
    assert session.step is Step.HOME
    assert session.notice.code is NoticeCode.SESSION_ENDED
    assert session.language == "ja"  # idle wipe resets preferences for the next resident
    _assert_no_personal_data(session)
    assert kit.card.closed >= 1


def test_touch_on_still_there_resumes_where_it_was(session, clock):
    _to_form(session)
    clock.advance(session.config.form_idle_timeout_s + 1)
    session.tick()
    assert session.step is Step.STILL_THERE
    clock.advance(10)
    session.still_here()
    assert session.step is Step.FORM_CONFIRM
    assert session.form.get("name") == "山田 花子"
    clock.advance(session.config.form_idle_timeout_s - 1)
    session.tick()
    assert session.step is Step.FORM_CONFIRM  # the timer restarted at the touch


def test_home_screen_without_resident_never_wipes(session, clock, kit):
    clock.advance(3600)
    session.tick()
    assert session.step is Step.HOME
    assert kit.outbox.records == []


def test_home_with_chosen_language_resets_after_idle(session, clock):
    session.choose_language("ko")
    session.set_text_scale(True)
    clock.advance(61)
    session.tick()
    assert session.step is Step.HOME
    assert session.language == "ja" and session.text_scale == 1.0


def test_explicit_wipe_drops_card_data_and_printer_buffer(session, kit):
    _to_form(session)
    card_data = session._card_data
    session.wipe()
    assert card_data.name == "" and card_data.address == ""
    assert kit.printer.session == []
    _assert_no_personal_data(session)
    gc.collect()


def _deferred_session(catalog, kit, clock):
    """A session whose worker only queues jobs: the test runs each (job, done) when it likes."""
    worker = HeldWorker()
    session = KioskSession(
        catalog, kit.ports(), SessionConfig(), clock=clock, wall_clock=clock, worker=worker
    )
    return session, worker.pending


def test_late_card_answer_after_a_wipe_is_dropped(catalog, kit, clock):
    """A job still running when the session is wiped must not refill the session."""
    session, jobs = _deferred_session(catalog, kit, clock)
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    session.card_inserted()
    job, done = jobs.pop()
    done(job(), None)
    assert session.step is Step.PIN_ENTRY
    session.submit_pin("1234")
    assert session.step is Step.READING_CARD
    job, done = jobs.pop()
    result = job()
    session.wipe(reason="test")
    done(result, None)
    assert session.step is Step.HOME
    assert session.form is None
    _assert_no_personal_data(session)


def test_busy_steps_are_not_interrupted_by_idle(catalog, kit, clock):
    session, jobs = _deferred_session(catalog, kit, clock)
    session.take_queue_ticket()
    assert session.step is Step.SUBMITTING
    clock.advance(500)
    session.tick()
    assert session.step is Step.SUBMITTING
    while jobs:  # the ticket job, then the status read the tick queued
        job, done = jobs.pop(0)
        done(job(), None)
    assert session.step is Step.QUEUE_TICKET


def test_card_connected_after_a_wipe_is_closed_not_leaked(catalog, kit, clock):
    session, jobs = _deferred_session(catalog, kit, clock)
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    session.card_inserted()
    connect = jobs.pop()
    session.wipe(reason="test")  # the resident left while the card was being connected
    connect[1](connect[0](), None)
    while jobs:
        job, done = jobs.pop(0)
        done(job(), None)
    assert session.step is Step.HOME
    assert kit.card.closed == 1


def test_idle_outside_a_form_keeps_the_short_limit(session, clock):
    assert session.open_life_events()
    clock.advance(session.config.idle_timeout_s)
    session.tick()
    assert session.step is Step.STILL_THERE
    assert session.still_there_seconds_left == session.config.still_there_timeout_s
