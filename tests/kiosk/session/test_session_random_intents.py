"""Any sequence of intents (a resident tapping anything, cards coming and going, the clock
moving) keeps the session's promises: no crash, exactly one card VERIFY per accepted PIN entry
(never an automatic retry), and nothing personal left after a wipe.

Seeded random walks (reproducible: the seed is in the test id), weighted towards what residents
do next so walks reach PIN entry, forms, certificates and booking often."""

from __future__ import annotations

import base64
import collections
import random

import pytest

from kiosk.catalog import default_catalog
from kiosk.session import KioskSession, SessionConfig, Step, hash_staff_pin
from kiosk.session.memory import ManualClock, MemoryKit

CATALOG = default_catalog()
STAFF = hash_staff_pin("246800", salt=b"r" * 16, iterations=100)
PERSONAL = ("山田", "花子", "千代田", "1985-04-01")
KIOSK_PROCEDURES = sorted(p.id for p in CATALOG.kiosk_procedures())


def _pick(rng: random.Random, seq):
    return rng.choice(sorted(seq))


# (weight, intent maker)
INTENTS = [
    (2, lambda r: ("choose_language", r.choice(["ja", "en", "vi", "xx"]))),
    (1, lambda r: ("open_life_events",)),
    (2, lambda r: ("choose_life_event", _pick(r, CATALOG.life_events))),
    (3, lambda r: ("answer_current", r.random() < 0.5)),
    (2, lambda r: ("answer_all", r.random() < 0.5)),
    (1, lambda r: ("print_checklist",)),
    (1, lambda r: ("open_procedures",)),
    (2, lambda r: ("choose_procedure", _pick(r, CATALOG.procedures))),
    (2, lambda r: ("start_procedure",)),
    (3, lambda r: ("card_inserted",)),
    (2, lambda r: ("card_removed",)),
    (6, lambda r: ("submit_pin", r.choice(["1234", "1234", "0000", "12", "abcd"]))),
    (
        3,
        lambda r: (
            "correct_field",
            r.choice(["name", "name_kana", "phone", "insured_count", "bogus"]),
            r.choice(["ヤマダ", "0312345678", "2", "", "x"]),
        ),
    ),
    (5, lambda r: ("fill_form",)),
    (2, lambda r: ("confirm",)),
    (1, lambda r: ("open_certificates",)),
    (
        2,
        lambda r: (
            "choose_certificate",
            _pick(r, CATALOG.certificates),
            r.randint(0, 3),
            r.choice(["work", None]),
        ),
    ),
    (1, lambda r: ("open_booking",)),
    (2, lambda r: ("choose_topic", _pick(r, CATALOG.topics))),
    (2, lambda r: ("choose_first_slot",)),
    (1, lambda r: ("request_callback", r.choice(["0312345678", "1"]))),
    (1, lambda r: ("take_queue_ticket",)),
    (1, lambda r: ("call_staff",)),
    (3, lambda r: ("finish",)),
    (2, lambda r: ("submit_survey", r.randint(-1, 11))),
    (1, lambda r: ("skip_survey",)),
    (3, lambda r: ("tick", r.choice([1, 30, 61, 16]))),
    (1, lambda r: ("touch",)),
    (2, lambda r: ("back",)),
    (1, lambda r: ("home",)),
    (1, lambda r: ("open_staff",)),
    (1, lambda r: ("submit_staff_pin", r.choice(["246800", "1111"]))),
    (1, lambda r: ("staff_exit",)),
    (1, lambda r: ("staff_diagnostics",)),
    (1, lambda r: ("staff_refresh_diagnostics",)),
    (1, lambda r: ("staff_assist",)),
    (1, lambda r: ("go_offline",)),
    (3, lambda r: ("journey_to_pin", r.choice(KIOSK_PROCEDURES))),
    (2, lambda r: ("certificate_to_pin",)),
]
_WEIGHTS = [w for w, _ in INTENTS]
_MAKERS = [m for _, m in INTENTS]


def _apply(session, kit, clock, intent):
    name, *args = intent
    if name == "answer_current":
        q = session.current_question
        return session.answer(q.id, args[0]) if q else False
    if name == "answer_all":
        while (q := session.current_question) is not None and session.answer(q.id, args[0]):
            pass
        return None
    if name == "choose_first_slot":
        return session.choose_slot(session.slots[0].id) if session.slots else False
    if name == "tick":
        clock.advance(args[0])
        return session.tick()
    if name == "card_inserted":
        kit.card.removed = False
        return session.card_inserted()
    if name == "card_removed":
        kit.card.removed = True
        return session.card_removed()
    if name == "journey_to_pin":
        session.home()
        session.open_procedures()
        session.choose_procedure(args[0])
        kit.card.removed = False
        session.card_inserted()
        return session.start_procedure()
    if name == "certificate_to_pin":
        session.home()
        session.open_certificates()
        kit.card.removed = False
        session.card_inserted()
        return session.choose_certificate("resident_record", 1, "work")
    if name == "fill_form":
        if session.form is None:
            return False
        for missing in session.form.missing():
            spec = session.form.field(missing).spec
            value = {
                "kana": "ヤマダ",
                "number": "1",
                "date": "2026-11-01",
                "latin": "Yamada",
                "address_number": "1-2",
            }.get(spec.kind.value, spec.choices[0].id if spec.choices else "x")
            session.correct_field(missing, value)
        return session.confirm()
    if name == "go_offline":
        kit.online.online = False
        return None
    return getattr(session, name)(*args)


def _strings(obj, seen, depth=0):
    if id(obj) in seen or depth > 6:
        return
    seen.add(id(obj))
    if isinstance(obj, str):
        yield obj
        return
    if isinstance(obj, dict):
        items = [*obj.keys(), *obj.values()]
    elif isinstance(obj, (list, tuple, set)):
        items = list(obj)
    elif hasattr(obj, "__dict__"):
        items = [v for k, v in vars(obj).items() if k not in ("catalog", "ports", "_observers")]
    else:
        return
    for item in items:
        yield from _strings(item, seen, depth + 1)


_MINTED = base64.b64encode(b"m" * 32).decode()  # central's challenge (the issue is a stand-in)


def _walk(seed: int, steps: int = 60) -> collections.Counter:
    rng = random.Random(seed)
    kit, clock = MemoryKit(), ManualClock()
    kit.online.replies["certificate.challenge"] = {"ok": True, "challenge": _MINTED}
    kit.online.replies["certificate.issue"] = {"ok": True, "reference": "D1"}
    session = KioskSession(
        CATALOG, kit.ports(), SessionConfig(staff_pin_hash=STAFF), clock=clock, wall_clock=clock
    )
    visited: collections.Counter = collections.Counter()
    accepted_pins = 0
    for _ in range(steps):
        intent = rng.choices(_MAKERS, _WEIGHTS)[0](rng)
        before = len(kit.card.verify_calls)
        result = _apply(session, kit, clock, intent)
        assert isinstance(session.step, Step)
        visited[session.step] += 1
        sent = len(kit.card.verify_calls) - before
        if intent[0] == "submit_pin" and result:
            accepted_pins += 1
            assert sent <= 1, intent
        else:
            assert sent == 0, intent  # nothing but an accepted PIN entry sends a VERIFY
    assert len(kit.card.verify_calls) <= accepted_pins
    session.wipe()
    text = "\n".join(_strings(session, set()))
    assert not any(p in text for p in PERSONAL)
    assert kit.printer.session == []
    return visited


@pytest.mark.parametrize("seed", range(60))
def test_random_walk_keeps_the_promises(seed):
    _walk(seed)


def test_random_walks_reach_the_interesting_steps():
    visited: collections.Counter = collections.Counter()
    for seed in range(60):
        visited.update(_walk(seed))
    for step in (
        Step.PIN_ENTRY,
        Step.FORM_CONFIRM,
        Step.DONE,
        Step.SURVEY,
        Step.CERTIFICATE_PRINTED,
        Step.CLAIM_SLIP,
        Step.BOOKING_SLOT,
        Step.STILL_THERE,
        Step.STAFF_MENU,
        Step.CHECKLIST,
    ):
        assert visited[step] > 0, step
