"""The visit's state is one `VisitState`: every wipe replaces it as a whole (so no per-resident
field can be forgotten), carries over only the display preferences when asked, and blanks in
place what widgets or closures may still hold."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.session import KioskSession, SessionConfig, Step
from kiosk.session.state import HouseholdMember, VisitState
from tests.support.session_fixtures import to_pin_entry

PREFERENCES = {"language", "text_scale", "high_contrast", "voice"}


@pytest.fixture
def session(catalog, kit, clock):
    return KioskSession(catalog, kit.ports(), SessionConfig(device_id="C01"), clock=clock)


def _fresh_values(state: VisitState) -> dict:
    """The fields as a new visit has them (times aside: they are the wipe's clock reading)."""
    return {
        f.name: getattr(state, f.name)
        for f in dataclasses.fields(state)
        if f.name not in ("step_started", "last_activity")
    }


def test_the_session_attributes_are_views_of_one_visit_state(session):
    state = session.visit_state
    session.choose_language("en")
    assert state.language == "en"
    assert session.open_life_events()
    assert state.service == "life_event" and session._service == "life_event"
    session.visit_state.topic = "tax"
    assert session.topic == "tax"


def test_a_full_wipe_resets_every_field_and_a_home_keeps_only_the_preferences(session, kit, clock):
    blank = _fresh_values(VisitState(session.config.default_language))
    session.choose_language("vi")
    session.set_text_scale(True)
    session.set_high_contrast(True)
    to_pin_entry(session)
    assert session.submit_pin("1234")
    assert session.step is Step.FORM_CONFIRM
    before = session.visit_state
    card_data, form = before.card_data, before.form
    assert card_data is not None and form is not None

    session.home()  # keeps language, size, contrast and voice
    after = session.visit_state
    assert after is not before
    kept = {k: v for k, v in _fresh_values(after).items() if k not in PREFERENCES}
    assert kept == {k: v for k, v in blank.items() if k not in PREFERENCES}
    assert (after.language, after.high_contrast) == ("vi", True)
    assert after.text_scale == session.config.large_text_scale
    # What widgets may still hold was blanked in place.
    assert all(fv.value == "" for fv in form.values)
    assert all(not v for v in card_data.as_fields().values())
    assert after.step_started == clock() and after.last_activity == clock()

    session.wipe()  # the full wipe: the preferences go too
    assert _fresh_values(session.visit_state) == blank


def test_blank_empties_the_visit_kept_data_in_place():
    member = HouseholdMember("ヤマダ タロウ", "2015-04-01", "child")
    state = VisitState("ja", household=[member], visit_values={"phone": "0312345678"})
    nxt = state.next_resident(keep_preferences=False, default_language="ja", now=5.0)
    assert (member.name_kana, member.birth_date, member.relation) == ("", "", "")
    assert state.visit_values == {"phone": ""}
    assert nxt.household == [] and nxt.visit_values == {} and nxt.step_started == 5.0
