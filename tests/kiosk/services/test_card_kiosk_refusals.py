"""The kiosk refuses a card that fails a check, through the real pcscd + vpcd and a real signed
config bundle carrying the card trust (`card_trust`: the test CA, its CRL, the kenhojo
authority): a revoked certificate stops the certificate journey before the PIN, a counterfeit
card (kenhojo signature) stops the form before any data is shown, each with a plain notice for
the resident and a reason code for staff; central's own CRL check reaches the same notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devices.card import CardReader
from devices.card.simulator import SimulatedCard, default_test_ca, load_profile
from devices.card.simulator.ca import issue_crl, kenhojo_authority
from devices.card.trust import card_trust_entry
from kiosk.services import CardReaderAdapter, ConfigBundleView, OnlineAdapter
from kiosk.session import KioskSession, NoticeCode, SessionConfig, Step, hash_staff_pin
from sync.bundles import sign_bundle
from sync.central.issuer import Issuer, IssuerConfig
from sync.central.jpki_auth import revoked_serials_from_crls
from tests.support.session_fixtures import to_pin_entry


class InProcessCentral:
    def __init__(self, issuer: Issuer, device_id: str) -> None:
        self.handlers = issuer.handlers()
        self.device_id = device_id

    def request(self, kind: str, payload: dict, timeout: float) -> dict:
        return self.handlers[kind](self.device_id, payload)


@pytest.fixture
def trusted_view(tmp_path):
    """A config bundle as the agent applies it, with the card trust in its payload."""
    load_profile("revoked-auth-cert")  # its certificate is on the test CA's list
    ca = default_test_ca()
    key = Ed25519PrivateKey.generate()
    entry = card_trust_entry(
        jpki_cas=(ca.certificate,),
        crls=(issue_crl(ca),),
        kenhojo_authorities=(kenhojo_authority(ca).certificate,),
    )
    data = sign_bundle(
        "config",
        4,
        {"card_trust": entry},
        expires_at=datetime.now(UTC) + timedelta(days=7),
        signing_key=key,
    )
    (tmp_path / "config.bundle").write_bytes(data)
    view = ConfigBundleView(tmp_path, key.public_key())
    assert view.card_trust() is not None and view.card_trust().checks_kenhojo
    return view


STAFF_PIN = "602214"


def _session(catalog, kit, pcsc, trust) -> KioskSession:
    ports = kit.ports()
    ports.card = CardReaderAdapter(CardReader(pcsc.reader_name(0)), trust)
    staff_hash = hash_staff_pin(STAFF_PIN, salt=b"z" * 16, iterations=1000)
    return KioskSession(catalog, ports, SessionConfig(device_id="C09", staff_pin_hash=staff_hash))


def _staff_diagnostics(session):
    assert session.open_staff() and session.submit_staff_pin(STAFF_PIN)
    assert session.staff_diagnostics()
    return session.diagnostics


def _card(pcsc, profile):
    return SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0))


def _to_certificate_card(session, pcsc, card):
    session.open_certificates()
    assert session.choose_certificate("resident_record", 1, "work")
    session.card_inserted(pcsc.reader_name(0))


def test_revoked_card_stops_the_certificate_journey_before_the_pin(
    catalog, kit, pcsc, trusted_view
):
    session = _session(catalog, kit, pcsc, trusted_view.card_trust)
    with _card(pcsc, "revoked-auth-cert") as card:
        _to_certificate_card(session, pcsc, card)
        assert session.step is Step.SERVICE_ERROR
        assert session.notice.code is NoticeCode.CARD_REVOKED
        assert session.notice.params == {"reason": "revoked"}
        assert card.sim.verify_apdus(with_data=True) == []  # the PIN was never asked
    session.card_removed(pcsc.reader_name(0))
    assert _staff_diagnostics(session).last_card_refusal == "revoked"


def test_an_ordinary_card_passes_the_same_checks(catalog, kit, pcsc, trusted_view):
    session = _session(catalog, kit, pcsc, trusted_view.card_trust)
    with _card(pcsc, "ordinary") as card:
        _to_certificate_card(session, pcsc, card)
        assert session.step is Step.PIN_ENTRY
        session.card_removed(pcsc.reader_name(0))
        to_pin_entry(session)
        session.submit_pin("1234")
        assert session.step is Step.FORM_CONFIRM
        assert session.form.get("name") == card.sim.profile.holder_name
    session.card_removed(pcsc.reader_name(0))


@pytest.mark.parametrize(
    "profile,reason",
    [
        ("altered-attributes", "not_genuine:attributes_mismatch"),
        ("bad-kenhojo-signature", "not_genuine:bad_signature"),
    ],
)
def test_counterfeit_card_never_fills_the_form(catalog, kit, pcsc, trusted_view, profile, reason):
    session = _session(catalog, kit, pcsc, trusted_view.card_trust)
    with _card(pcsc, profile) as card:
        to_pin_entry(session)
        session.submit_pin("1234")
        assert session.step is Step.SERVICE_ERROR
        assert session.notice.code is NoticeCode.CARD_NOT_ACCEPTED
        assert session.notice.params == {"reason": reason}  # for staff: a code, no card data
        assert session.form is None
        assert card.sim.profile.holder_name not in repr(session.notice)
    session.card_removed(pcsc.reader_name(0))
    # staff are told why on the diagnostics screen (a code; it survives the resident's wipe)
    diagnostics = _staff_diagnostics(session)
    assert diagnostics.last_card_refusal == reason


def test_duplicated_basic4_tag_is_a_card_error(catalog, kit, pcsc, trusted_view):
    session = _session(catalog, kit, pcsc, trusted_view.card_trust)
    with _card(pcsc, "duplicate-name-tag"):
        to_pin_entry(session)
        session.submit_pin("1234")
        assert session.notice.code is NoticeCode.CARD_ERROR
        assert session.form is None and session.step is Step.PLACE_CARD
    session.card_removed(pcsc.reader_name(0))


def test_central_crl_refusal_reaches_the_resident_as_revoked(catalog, kit, pcsc, tmp_path):
    """A kiosk whose config carries no CRL yet: central's CRL check refuses the card."""
    load_profile("revoked-auth-cert")
    ca = default_test_ca()
    serials = revoked_serials_from_crls((issue_crl(ca),), (ca.certificate,))
    issuer = Issuer(
        IssuerConfig(trusted_cas=(ca.certificate,), revoked_serials=serials),
        tmp_path / "issuer.db",
        secret=b"0123456789abcdef0123456789abcdef",
    )
    try:
        session = _session(catalog, kit, pcsc, None)
        session.ports.online = OnlineAdapter(InProcessCentral(issuer, "C09"))
        with _card(pcsc, "revoked-auth-cert") as card:
            _to_certificate_card(session, pcsc, card)
            assert session.step is Step.PIN_ENTRY
            session.submit_pin("1234")
            assert session.step is Step.SERVICE_ERROR
            assert session.notice.code is NoticeCode.CARD_REVOKED
            assert session.notice.params == {"reason": "revoked_certificate"}
        session.card_removed(pcsc.reader_name(0))
    finally:
        issuer.close()
