"""Two receivers, each with its own issuer, on ONE PostgreSQL (the rig): real ZeroMQ CURVE
connections from real agents. The issuer's replay cache, slots and bookings live in the store's
tables, so across the receivers no challenge is accepted twice and no slot is booked past its
capacity; two forwarders on the same database share one ledger (issue 15, item 8)."""

from __future__ import annotations

import base64
import concurrent.futures
import uuid
from dataclasses import replace

import psycopg
import pytest

from devices.card.simulator.ca import default_test_ca, issue_card_credentials
from sync.central.issuer import Issuer, IssuerConfig, Slot
from sync.errors import RequestRefusedError
from sync.kiosk_challenge import auth_message
from tests.support.issuer import rsa_signer
from tests.support.sync import agent_for, central_kit, device_kit, fresh_central_db, start_receiver
from tests.support.sync import wait_until as _wait

pytestmark = pytest.mark.timeout(120)

SECRET = b"0123456789abcdef0123456789abcdef"
CA = default_test_ca()
CARD = issue_card_credentials(CA, "two-receivers")
SLOT = Slot("tax_x", "tax", "2999-01-01T10:00", 30, 3)


@pytest.fixture
def site(tmp_path, request):
    """(db, [agent at receiver A, agent of the SAME device at receiver B, other device at B])."""
    db = fresh_central_db("postgres", tmp_path, request)
    central = central_kit()
    config = IssuerConfig(trusted_cas=(CA.certificate,), slots=(SLOT,))
    issuers = [Issuer(config, db, secret=SECRET) for _ in range(2)]
    receivers = [start_receiver(central, db, handlers=i.handlers()) for i in issuers]
    d1 = device_kit(tmp_path, central, "kita-01")
    (tmp_path / "twin").mkdir()
    twin = device_kit(tmp_path / "twin", central, "kita-01", enroll=False)
    twin = replace(twin, curve_public=d1.curve_public, curve_secret=d1.curve_secret,
                   signing_key=d1.signing_key)  # fmt: skip
    d2 = device_kit(tmp_path, central, "kita-02")
    agents = [
        agent_for(d1, central, receivers[0].endpoint).start(),
        agent_for(twin, central, receivers[1].endpoint).start(),
        agent_for(d2, central, receivers[1].endpoint).start(),
    ]
    try:
        assert _wait(lambda: all(a.status.connected for a in agents))
        yield db, agents
    finally:
        for a in agents:
            a.stop()
        for r in receivers:
            r.stop()
        for i in issuers:
            i.close()
        for kit in (d1, twin, d2):
            kit.outbox.close()


def _issue_payload(agent, device_id: str) -> dict:
    minted = agent.request(
        "certificate.challenge", {"certificate": "resident_record", "copies": 1}, timeout=10
    )
    challenge = base64.b64decode(minted["challenge"])
    message = auth_message(
        device_id=device_id, certificate="resident_record", copies=1, challenge=challenge
    )
    return {
        "certificate": "resident_record",
        "copies": 1,
        "auth_certificate": base64.b64encode(CARD.certificate_der).decode(),
        "challenge": base64.b64encode(challenge).decode(),
        "signature": base64.b64encode(rsa_signer(CARD.key)(message)).decode(),
    }


def _outcome(agent, kind: str, payload: dict) -> dict:
    try:
        return agent.request(kind, payload, timeout=15)
    except RequestRefusedError as e:  # the agent raises on {"ok": False}
        return {"ok": False, "reason": getattr(e, "code", str(e))}


def test_a_challenge_is_accepted_once_across_receivers(site):
    db, (at_a, at_b, other) = site
    payload = _issue_payload(at_a, "kita-01")
    # the same signed request at both receivers at once: exactly one certificate
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda a: _outcome(a, "certificate.issue", payload), (at_a, at_b)))
    assert sorted(r["ok"] for r in replies) == [False, True], replies
    [refused] = [r for r in replies if not r["ok"]]
    assert "challenge_reused" in refused["reason"]
    # replayed later at either receiver, or by another device: refused
    for agent in (at_a, at_b, other):
        assert _outcome(agent, "certificate.issue", payload)["ok"] is False
    # minted at B, used at A: the replay cache and the mint are one table
    fresh = _issue_payload(at_b, "kita-01")
    assert _outcome(at_a, "certificate.issue", fresh)["ok"] is True
    with psycopg.connect(db) as conn:
        used = conn.execute(
            "SELECT count(*) FROM issuer_challenges WHERE used_at IS NOT NULL"
        ).fetchone()[0]
        issued = conn.execute("SELECT count(*) FROM issued_documents").fetchone()[0]
    assert (used, issued) == (2, 2)


def test_no_slot_is_booked_twice_across_receivers(site):
    db, (at_a, at_b, other) = site
    jobs = [(a, str(uuid.uuid4())) for a in (at_a, at_b, other) for _ in range(4)]
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        replies = list(
            pool.map(
                lambda j: _outcome(
                    j[0], "consultation.book", {"slot": SLOT.id, "request_id": j[1]}
                ),
                jobs,
            )
        )
    booked = [r for r in replies if r["ok"]]
    assert len(booked) == SLOT.capacity, replies
    assert all("slot_full" in r["reason"] for r in replies if not r["ok"])
    assert len({r["reference"] for r in booked}) == SLOT.capacity
    # a retry of one booking at the other receiver answers the same booking, not a new one
    with psycopg.connect(db) as conn:
        device, request_id, reference = conn.execute(
            "SELECT device_id, request_id, reference FROM consultation_bookings "
            "WHERE device_id = 'kita-01' LIMIT 1"
        ).fetchone()
    retry = _outcome(at_b, "consultation.book", {"slot": SLOT.id, "request_id": request_id})
    assert retry["ok"] is True and retry["reference"] == reference
    with psycopg.connect(db) as conn:
        assert conn.execute(
            "SELECT booked, capacity FROM consultation_slots WHERE id = %s", (SLOT.id,)
        ).fetchone() == (3, 3)
        assert conn.execute("SELECT count(*) FROM consultation_bookings").fetchone()[0] == 3
    assert _outcome(other, "consultation.slots", {"topic": "tax"})["slots"] == []


def test_two_forwarders_on_one_database_share_the_ledger(tmp_path, request):
    from sync.central.forwarder import StoreApplications
    from sync.central.stores import open_store

    db = fresh_central_db("postgres", tmp_path, request)
    stores = [open_store(db), open_store(db)]
    try:
        with psycopg.connect(db) as conn:
            conn.execute(
                "INSERT INTO applications (device_id, seq, record_id, created_at, opened_at, body)"
                " SELECT 'd', g, 'rec-' || g, 0, 0, '{}' FROM generate_series(1, 5) g"
            )
        a, b = (StoreApplications(s, settle_s=0.0) for s in stores)
        first = a.pending(3)
        assert [r[0] for r in first] == ["rec-1", "rec-2", "rec-3"]
        for record_id, _, _ in first:
            a.mark_forwarded(record_id)
        assert [r[0] for r in b.pending(10)] == ["rec-4", "rec-5"]  # never resent by B
        assert b.forwarded_count() == 3 and b.cursor == 3
        assert stores[0].forward_cursor("application") == 3
        stores[1].set_forward_cursor("application", 1)  # a stale forwarder never moves it back
        assert stores[0].forward_cursor("application") == 3
    finally:
        for s in stores:
            s.close()
