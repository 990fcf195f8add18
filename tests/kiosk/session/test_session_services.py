"""Certificates (online issue, offline claim slip), booking (slots online, downlinked, callback),
queue tickets, survey, staff mode and shelter check-in, through `KioskSession` directly."""

from __future__ import annotations

import base64
import hashlib

import pytest

from kiosk.session import (
    KioskSession,
    NoticeCode,
    SessionConfig,
    Step,
    ThreadWorker,
    hash_staff_pin,
)

STAFF_HASH = hash_staff_pin("135790", salt=b"s" * 16, iterations=1000)


@pytest.fixture
def session(catalog, kit, clock):
    config = SessionConfig(device_id="C07", staff_pin_hash=STAFF_HASH)
    return KioskSession(
        catalog, kit.ports(), config, clock=clock, wall_clock=clock, random_bytes=lambda n: b"c" * n
    )


def _authenticate(session, cert="resident_record", copies=2, purpose="work"):
    assert session.open_certificates()
    assert session.choose_certificate(cert, copies, purpose)
    assert session.step is Step.PLACE_CARD
    session.card_inserted()
    assert session.step is Step.PIN_ENTRY
    assert session.submit_pin("1234")


def _central_challenge(kit, minted=b"m" * 32):
    kit.online.replies["certificate.challenge"] = {
        "ok": True,
        "challenge": base64.b64encode(minted).decode(),
    }
    return minted


def test_certificate_online_issue_prints_the_document(session, kit):
    minted = _central_challenge(kit)
    kit.online.replies["certificate.issue"] = {"reference": "ISS-1", "verification_code": "AB12"}
    _authenticate(session)
    assert session.step is Step.CERTIFICATE_PRINTED
    assert session.certificate.fee_yen == 600
    method, params, timeout = kit.online.requests[0]
    assert method == "certificate.challenge" and params == {
        "certificate": "resident_record",
        "copies": 2,
    }  # central's challenge is for this request
    method, params, timeout = kit.online.requests[-1]
    assert method == "certificate.issue" and timeout == 3.0
    assert params["certificate"] == "resident_record" and params["copies"] == 2
    challenge = base64.b64decode(params["challenge"])
    assert challenge == minted
    # the card signed the context string + device, type, copies and challenge, not the nonce
    from sync.kiosk_challenge import DOMAIN, auth_message

    message = auth_message(
        device_id=session.config.device_id, certificate="resident_record", copies=2,
        challenge=minted,
    )  # fmt: skip
    assert message.startswith(DOMAIN)
    assert base64.b64decode(params["signature"]) == b"sig:" + hashlib.sha256(message).digest()
    assert kit.card.verify_calls == ["jpki"]  # the JPKI auth PIN, not the input-helper PIN
    printed = kit.printer.printed[-1]
    assert printed.kind == "certificate" and printed.data["document"]["reference"] == "ISS-1"
    assert kit.outbox.of_kind("certificate_request") == []
    assert session.reference == "ISS-1"


def test_certificate_offline_queues_request_and_prints_claim_slip(session, kit):
    kit.online.online = False
    _authenticate(session, "tax_certificate", 1, "housing")
    assert session.step is Step.CLAIM_SLIP
    assert session.notice.code is NoticeCode.OFFLINE_QUEUED
    [request] = kit.outbox.of_kind("certificate_request")
    assert request["certificate"] == "tax_certificate"
    # a claim: nothing signed (it could never stand for a certificate), no card data at all
    assert request["claim"] == "verify_card_at_counter"
    assert not {"signature", "challenge", "auth_certificate"} & set(request)
    assert [m for m, _, _ in kit.online.requests] == ["certificate.challenge"]
    slip = kit.printer.printed[-1]
    assert slip.kind == "claim_slip" and slip.data["reference"] == session.reference
    assert session.reference.startswith("C07-")
    assert session.finish() and session.step is Step.SURVEY


def test_certificate_wrong_jpki_pin_does_not_retry(session, kit):
    assert session.open_certificates()
    session.choose_certificate("seal_certificate", 1, "bank")
    session.card_inserted()
    session.submit_pin("0000")
    assert session.step is Step.PIN_ENTRY and session.tries_left == 2
    assert kit.card.verify_calls == ["jpki"]
    assert kit.online.requests == []


@pytest.mark.parametrize(
    "cert, copies, purpose",
    [
        ("resident_record", 0, "work"),
        ("resident_record", 11, "work"),
        ("resident_record", 1, "nonsense"),
        ("resident_record", 1, None),
        ("family_register", 6, "work"),
        ("no_such_certificate", 1, "work"),
    ],
)
def test_certificate_choice_is_validated(session, cert, copies, purpose):
    session.open_certificates()
    assert not session.choose_certificate(cert, copies, purpose)
    assert session.step is Step.CERTIFICATE_CHOOSE


def test_booking_with_online_slots(session, kit):
    kit.online.replies["consultation.slots"] = {
        "slots": [{"id": "x1", "start": "2026-12-24T10:00", "minutes": 45}]
    }
    assert session.open_booking()
    assert session.choose_topic("tax")
    assert session.step is Step.BOOKING_SLOT
    assert [s.id for s in session.slots] == ["x1"] and not session.slots_offline
    assert session.choose_slot("x1")
    assert session.step is Step.BOOKING_DONE
    [booking] = kit.outbox.of_kind("booking")
    assert booking["slot"] == "x1" and booking["topic"] == "tax"
    assert kit.printer.printed[-1].kind == "consultation_slip"
    assert session.booking.reference == session.reference


def test_booking_offline_uses_downlinked_slots(session, kit, catalog):
    kit.online.online = False
    session.open_booking()
    session.choose_topic("welfare")
    assert session.slots_offline
    assert [s.id for s in session.slots] == [s.id for s in catalog.slots_for("welfare")]
    assert session.choose_slot(session.slots[0].id)
    assert session.step is Step.BOOKING_DONE
    # a request until central applies it (sync/central/bookings.py): provisional, with the id
    # central would have booked it under online
    [booking] = kit.outbox.of_kind("booking")
    assert booking["slot"] == session.slots[0].id and len(booking["request_id"]) == 24
    assert session.booking.provisional and kit.printer.printed[-1].data["provisional"] is True


def test_booking_offline_without_slots_offers_callback(session, kit, clock):
    kit.online.online = False
    clock.advance(5 * 365 * 86400)  # every downlinked slot is in the past
    session.open_booking()
    session.choose_topic("care")
    assert session.slots == [] and session.notice.code is NoticeCode.OFFLINE_NO_SLOTS
    assert not session.request_callback("12-34")
    assert session.request_callback("090-1234-5678")
    [booking] = kit.outbox.of_kind("booking")
    assert booking["callback_phone"] == "09012345678"
    assert session.booking.slot_id is None


def test_queue_ticket_numbers_and_wait_estimate(session, kit, catalog, clock):
    assert session.take_queue_ticket()
    assert session.step is Step.QUEUE_TICKET
    assert session.ticket.number == 1 and session.ticket.estimated_wait_min == 0
    session.finish()
    session.skip_survey()
    assert session.take_queue_ticket()
    assert session.ticket.number == 2 and session.ticket.waiting_before == 1
    assert session.ticket.estimated_wait_min == 6
    assert kit.printer.printed[-1].kind == "queue_ticket"
    assert [t["number"] for t in kit.outbox.of_kind("queue_ticket")] == [1, 2]


@pytest.mark.parametrize("score, reasons", [(-1, []), (11, []), (True, []), (5, ["bogus"])])
def test_survey_rejects_bad_answers(session, score, reasons):
    session.take_queue_ticket()
    session.finish()
    assert not session.submit_survey(score, reasons)
    assert session.step is Step.SURVEY


def test_survey_is_anonymous(session, kit):
    session.take_queue_ticket()
    session.finish()
    assert session.submit_survey(0, ["wait"])
    [survey] = kit.outbox.of_kind("survey")
    assert survey["service"] == "queue" and survey["score"] == 0
    assert "reference" not in survey and "number" not in survey


def test_call_staff_is_visible_and_counted(session):
    session.choose_procedure("nhi_enroll")
    session.call_staff()
    assert session.staff_called and session.notice.code is NoticeCode.STAFF_CALLED
    assert session.step is Step.PROCEDURE_INTRO


def test_staff_mode_pin_queue_out_of_service_and_shelter(session, kit, clock):
    session.take_queue_ticket()
    session.finish()
    session.skip_survey()
    assert session.open_staff()
    assert not session.submit_staff_pin("000000")
    assert session.notice.code is NoticeCode.STAFF_PIN_WRONG
    assert session.submit_staff_pin("135790")
    assert session.step is Step.STAFF_MENU
    assert session.queue_waiting == 1
    assert session.staff_call_next() == 1
    assert session.sync.online
    session.staff_set_out_of_service(True)
    session.staff_exit()
    assert session.step is Step.OUT_OF_SERVICE
    assert not session.open_life_events() and not session.take_queue_ticket()
    session.open_staff()
    session.submit_staff_pin("135790")
    session.staff_set_out_of_service(False)
    session.staff_set_shelter_mode(True)
    session.staff_exit()
    assert session.step is Step.HOME and session.shelter_mode
    # Evacuee without a card.
    assert session.start_shelter_checkin()
    assert session.step is Step.PLACE_CARD
    assert session.fill_without_card()
    assert session.correct_field("name", "グエン ヴァン アン")
    assert session.correct_field("name_kana", "グエン ヴァン アン")
    assert session.correct_field("people", "3")
    assert session.correct_field("needs", "infant")
    assert session.confirm()
    [checkin] = kit.outbox.of_kind("shelter_checkin")
    assert checkin["values"]["people"] == "3"
    assert session.step is Step.DONE


def test_staff_pin_locks_out_after_repeated_failures(session, clock):
    session.open_staff()
    for _ in range(5):
        assert not session.submit_staff_pin("999999")
    assert not session.submit_staff_pin("135790")  # locked, even with the right PIN
    clock.advance(301)
    assert session.submit_staff_pin("135790")


def test_staff_mode_times_out(session, clock):
    session.open_staff()
    session.submit_staff_pin("135790")
    clock.advance(121)
    session.tick()
    assert session.step is Step.HOME


def test_no_staff_mode_without_a_configured_hash(catalog, kit):
    session = KioskSession(catalog, kit.ports(), SessionConfig())
    assert not session.open_staff()


def test_status_is_refreshed_on_tick(session, kit, clock):
    kit.printer.fail_with = ("media-empty",)
    clock.advance(10)
    session.tick()
    assert not session.printer.ok and session.printer.reasons == ("media-empty",)


def test_back_navigation(session):
    session.open_life_events()
    session.choose_life_event("birth")
    session.answer("on_national_health_insurance", True)
    assert session.back()  # one question back
    assert session.question_index == 0 and session.answers == {}
    assert session.back()
    assert session.step is Step.LIFE_EVENTS
    assert session.back()
    assert session.step is Step.HOME


def test_answers_must_follow_the_current_question(session):
    session.open_life_events()
    session.choose_life_event("death")
    assert not session.answer("deceased_owned_property", True)
    assert session.question_index == 0


def test_thread_worker_hands_results_to_the_scheduler(catalog, kit):
    queue = []
    session = KioskSession(catalog, kit.ports(), worker=ThreadWorker(queue.append))
    session.choose_procedure("nhi_enroll")
    session.start_procedure()
    session.card_inserted()
    assert session.step is Step.READING_CARD
    for _ in range(200):  # the job thread posts its outcome; the "UI thread" runs it
        if queue:
            break
        import threading

        threading.Event().wait(0.01)
    queue.pop()()
    assert session.step is Step.PIN_ENTRY


def test_certificate_challenge_refused_by_central_is_not_queued(session, kit):
    kit.online.replies["certificate.challenge"] = {
        "ok": False,
        "reason": "unknown_certificate_type",
    }
    _authenticate(session)
    assert session.step is Step.SERVICE_ERROR
    assert session.notice.params == {"reason": "unknown_certificate_type"}
    assert kit.outbox.of_kind("certificate_request") == []
    assert [m for m, _, _ in kit.online.requests] == ["certificate.challenge"]


@pytest.mark.parametrize(
    "reply",
    [{"ok": True}, {"ok": True, "challenge": "%%%"}, {"ok": True, "challenge": "c2hvcnQ="}],
    ids=["no challenge", "not base64", "not 32 bytes"],
)
def test_a_malformed_challenge_reply_is_refused_not_signed(session, kit, reply):
    kit.online.replies["certificate.challenge"] = reply
    kit.online.replies["certificate.issue"] = {"ok": True, "reference": "X"}
    _authenticate(session)
    assert session.step is Step.SERVICE_ERROR
    assert session.notice.params == {"reason": "bad_reply"}
    assert [m for m, _, _ in kit.online.requests] == ["certificate.challenge"]
    assert kit.outbox.of_kind("certificate_request") == []


def test_certificate_uses_centrals_challenge_when_online(session, kit):
    minted = b"m" * 32
    kit.online.replies["certificate.challenge"] = {
        "ok": True,
        "challenge": base64.b64encode(minted).decode(),
    }
    kit.online.replies["certificate.issue"] = {"ok": True, "reference": "DOC1"}
    _authenticate(session)
    _, params, _ = kit.online.requests[-1]
    assert base64.b64decode(params["challenge"]) == minted


def test_certificate_refused_by_central_is_not_queued(session, kit):
    _central_challenge(kit)
    kit.online.replies["certificate.issue"] = {"ok": False, "reason": "expired_certificate"}
    _authenticate(session)
    assert session.step is Step.SERVICE_ERROR
    assert session.notice.code is NoticeCode.REFUSED
    assert session.notice.params == {"reason": "expired_certificate"}
    assert kit.outbox.of_kind("certificate_request") == []
    assert session.finish()


def test_booking_online_books_with_central_and_handles_a_full_slot(session, kit):
    kit.online.replies["consultation.slots"] = {
        "ok": True,
        "slots": [
            {"id": "a", "start": "2026-12-24T10:00", "minutes": 30},
            {"id": "b", "start": "2026-12-24T11:00", "minutes": 30},
        ],
    }
    kit.online.replies["consultation.book"] = {"ok": False, "reason": "slot_full"}
    session.open_booking()
    session.choose_topic("general")
    assert session.choose_slot("a")
    assert session.step is Step.BOOKING_SLOT
    assert session.notice.code is NoticeCode.SLOT_TAKEN
    assert [s.id for s in session.slots] == ["b"]
    kit.online.replies["consultation.book"] = {"ok": True, "reference": "BX1", "slot": "b"}
    assert session.choose_slot("b")
    assert session.step is Step.BOOKING_DONE and session.reference == "BX1"
    assert kit.outbox.of_kind("booking") == []  # booked online, nothing to queue
    method, params, _ = kit.online.requests[-1]
    assert method == "consultation.book" and params["slot"] == "b" and params["request_id"]
    assert not session.booking.provisional  # confirmed by central at once
    assert kit.printer.printed[-1].data["provisional"] is False


def test_expired_jpki_certificate_stops_before_the_pin(session, kit):
    kit.card.certificate_expired = True
    session.open_certificates()
    session.choose_certificate("resident_record", 1, "work")
    session.card_inserted()
    assert session.step is Step.SERVICE_ERROR
    assert session.notice.params == {"reason": "expired_certificate"}
    assert kit.card.verify_calls == [] and kit.online.requests == []


def test_malformed_notices_are_left_out():
    from kiosk.session._services import ShelterNotice

    for raw in (None, "給水", {"kind": "fireworks", "ja": "x"}, {"kind": "water", "ja": ""},
                {"kind": "water", "ja": 3}, {"kind": "water", "ja": "x", "en": 4}):  # fmt: skip
        assert ShelterNotice.of(raw) is None, raw
    long = ShelterNotice.of({"kind": "general", "ja": "あ" * 400})
    assert long is not None and len(long.ja) == 300


def test_a_notice_without_the_readers_language_shows_the_japanese_and_says_so():
    from kiosk.session._services import ShelterNotice

    n = ShelterNotice.of({"kind": "water", "ja": "給水車は14時に来ます。", "en": "Water at 14:00.",
                          "ja-easy": "2じに みずの くるまが きます。", "vi": 3})  # fmt: skip
    assert n is not None
    assert (n.text("ja"), n.untranslated("ja")) == ("給水車は14時に来ます。", "")
    assert (n.text("en"), n.untranslated("en")) == ("Water at 14:00.", "")
    assert (n.text("ja-easy"), n.untranslated("ja-easy")) == ("2じに みずの くるまが きます。", "")
    for lang in ("vi", "zh-Hans", "ko", "pt-BR"):  # never the English: the Japanese original
        assert n.text(lang) == "給水車は14時に来ます。"
        assert n.untranslated(lang) and n.untranslated(lang) != n.untranslated("en"), lang
    assert n.untranslated("vi") == "Thông báo này chưa được dịch. Hãy hỏi nhân viên."
    bare = ShelterNotice.of({"kind": "bath", "ja": "シャワーは18時から。"})
    assert bare is not None and bare.text("ja-easy") == "シャワーは18時から。"
    assert bare.untranslated("ja-easy").startswith("この おしらせは まだ")
