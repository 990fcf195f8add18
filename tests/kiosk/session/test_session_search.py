"""さがす through the session (`flows.search`): open from home, hits as the words change, each
kind of hit goes where it belongs, a FAQ answer with its offer, and the query gone after the
wipe (never in a record or a log)."""

from __future__ import annotations

import logging

import pytest

from kiosk.session import KioskSession, NoticeCode, SessionConfig, Step


@pytest.fixture
def session(catalog, kit, clock):
    return KioskSession(catalog, kit.ports(), SessionConfig(device_id="C01"), clock=clock)


def _search(session, words):
    f = session.flows.search
    assert f.open()
    assert session.step is Step.SEARCH
    assert f.set_query(words)
    return f


def test_open_only_from_home_and_back_drops_the_query(session):
    f = session.flows.search
    session.flows.visit.open_procedures()
    assert not f.open()
    session.flows.visit.home()
    f = _search(session, "ひっこし")
    assert f.query == "ひっこし" and f.hits[0].key == "life_event:moving_in"
    assert f.back()
    assert session.step is Step.HOME
    assert f.query == "" and f.hits == ()


@pytest.mark.parametrize(
    ("words", "key", "step"),
    [
        ("ひっこし", "life_event:moving_in", Step.LIFE_EVENT_QUESTIONS),
        ("INKAN", "procedure:seal_registration", Step.PROCEDURE_INTRO),
        ("JUMINHYO", "certificate:resident_record", Step.CERTIFICATE_CHOOSE),
        ("BABY", "life_event:birth", Step.LIFE_EVENT_QUESTIONS),
    ],
)
def test_a_hit_goes_where_it_belongs(session, words, key, step):
    f = _search(session, words)
    assert f.hits[0].key == key
    assert f.choose(key)
    assert session.step is step
    kind, ident = key.split(":")
    if kind == "life_event":
        assert session.life_event.id == ident
    elif kind == "procedure":
        assert session.procedure.id == ident
        assert session.flows.visit.back() and session.step is Step.PROCEDURES
    else:
        assert f.certificate_hint == ident


CONSULT_STEPS = (Step.CONSULT_TOPIC, Step.CONSULT_CONSENT, Step.CONSULT_UNAVAILABLE)


def test_a_topic_opens_the_consultation(session, kit):
    f = _search(session, "CON")  # Vietnamese "con" (child): the child-care topic is among the hits
    topic = next(h for h in f.hits if h.kind == "topic")
    assert f.choose(topic.key)
    # No call worker in these tests: the consult flow says it cannot be had and offers booking.
    assert session.step in CONSULT_STEPS


def test_a_faq_answer_and_its_offer(session):
    f = _search(session, "ごみ")
    assert f.hits[0].key == "faq:garbage"
    assert f.choose("faq:garbage")
    assert session.step is Step.SEARCH and f.faq.id == "garbage"
    assert f.take_offer()  # "staff": 係員を呼ぶ
    assert session.notice.code is NoticeCode.STAFF_CALLED
    assert f.close_answer() and f.faq is None and f.hits[0].key == "faq:garbage"
    f.set_query("生活費に困っている")
    faq = f.hits[0]
    assert faq.key == "faq:living_costs" and faq.offer == "consult:welfare"
    assert f.choose(faq.key) and f.take_offer()
    assert session.step in CONSULT_STEPS


def test_no_hits_offers_staff_and_consultation(session):
    f = _search(session, "ZQXWV")
    assert f.hits == ()
    assert f.consult()
    assert session.step in CONSULT_STEPS


@pytest.mark.parametrize("bad", ["", "   ", "!!!", "\x00\x07", "😀" * 3, "あ" * 5000])
def test_bad_words_give_no_error_and_a_bounded_query(session, bad):
    f = _search(session, bad)
    assert len(f.query) <= 80 and len(f.hits) <= 8
    assert session.step is Step.SEARCH


def test_unknown_keys_and_wrong_steps_change_nothing(session):
    f = session.flows.search
    assert not f.set_query("ひっこし")  # not on the search screen
    assert not f.choose("life_event:moving_in")
    f = _search(session, "ひっこし")
    assert not f.choose("life_event:no_such_event")  # not a hit
    assert not f.choose("procedure:moving_in_and_more")
    assert not f.take_offer()  # no answer on screen
    assert session.step is Step.SEARCH


def test_the_query_is_gone_after_the_wipe_and_never_logged(session, kit, caplog):
    caplog.set_level(logging.DEBUG)
    f = _search(session, "じゅうみんひょう")
    assert f.hits
    f.choose(f.hits[0].key)
    state = session.visit_state
    session.flows.visit.wipe()
    assert state.search_query == "" and state.search_hits == () and state.search_faq is None
    assert f.query == "" and f.hits == () and f.certificate_hint == ""
    assert "じゅうみんひょう" not in caplog.text
    assert kit.outbox.records  # the wipe's metric went out, without the words
    assert not any("じゅうみんひょう" in repr(r) for r in kit.outbox.records)


def test_more_matches_than_shown_are_said_never_counted_wrong(session):
    """「届」 matches more than the eight buttons shown: the flow keeps eight and says there are
    more (the screen then says "the best matches", not "8 found"); a narrower query does not."""
    from kiosk.session._search import MAX_HITS

    f = _search(session, "届")
    assert len(f.hits) == MAX_HITS and f.more
    assert f.set_query("証明書")
    assert 0 < len(f.hits) < MAX_HITS and not f.more
