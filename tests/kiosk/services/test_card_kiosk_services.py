"""What the kiosk's entry point wires (`open_services`): an enrolled terminal whose config bundle,
published by `provisioning.publish_config` with the central's own keys, carries the card trust and
this center's staff PIN. The card adapter checks every card against it through the real pcscd +
vpcd (a revoked card is refused, an ordinary one reads), and the staff PIN of the center is the
one the bundle names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devices.card.simulator import SimulatedCard, default_test_ca, load_profile
from devices.card.simulator.ca import issue_crl, kenhojo_authority
from devices.card.trust import card_trust_entry
from kiosk.config import KioskConfig, bundles_dir, staff_lockout_path
from kiosk.services import open_services
from kiosk.session import (
    KioskSession,
    NoticeCode,
    PortCardRefusedError,
    SessionConfig,
    Step,
    hash_staff_pin,
)
from provisioning import enroll_device, init_central, publish_config

CENTER_PIN = "318542"


@pytest.fixture
def services(tmp_path, pcsc):
    init_central(tmp_path / "central")
    enroll_device(
        tmp_path / "central",
        tmp_path / "device",
        device_id="K01",
        center="東部",
        endpoint="tcp://127.0.0.1:1",
    )
    (tmp_path / "state").mkdir()
    config = KioskConfig(
        bundle=tmp_path / "device",
        outbox=tmp_path / "state" / "outbox.sqlite3",
        state=tmp_path / "state" / "local.sqlite3",
        request_socket="",
        reader=pcsc.reader_name(0),
    )
    load_profile("revoked-auth-cert")
    ca = default_test_ca()
    entry = card_trust_entry(
        jpki_cas=(ca.certificate,),
        crls=(issue_crl(ca),),
        kenhojo_authorities=(kenhojo_authority(ca).certificate,),
    )
    staff = hash_staff_pin(CENTER_PIN, salt=b"e" * 16, iterations=1000)
    publish_config(
        tmp_path / "central",
        bundles_dir(config),
        expires_at=datetime.now(UTC) + timedelta(days=7),
        payload={"card_trust": entry, "staff_pins": {"東部": staff, "西部": "x"}},
    )
    kiosk_services, device = open_services(config)
    kiosk_services.printer = None  # no CUPS here: the card and staff parts only
    yield kiosk_services, device, config
    kiosk_services.close()
    kiosk_services.outbox.close()


def _card(pcsc, profile):
    return SimulatedCard(profile, port=pcsc.vpcd_port, reader_name=pcsc.reader_name(0))


def test_open_services_checks_cards_against_the_published_trust(services, pcsc):
    kiosk_services, _device, _config = services
    ports = kiosk_services.ports()
    with _card(pcsc, "revoked-auth-cert"):
        handle = ports.card.connect()
        try:
            with pytest.raises(PortCardRefusedError) as info:
                handle.read_auth_certificate()
            assert info.value.reason == "revoked"
        finally:
            handle.close()
    with _card(pcsc, "ordinary") as card:
        handle = ports.card.connect()
        try:
            assert handle.read_auth_certificate()
            handle.verify_kenhojo_pin("1234")
            assert handle.read_basic4().name == card.sim.profile.holder_name
        finally:
            handle.close()


def test_a_malformed_staff_pins_entry_is_not_taken_but_the_card_trust_is(services):
    kiosk_services, device, _config = services
    # one malformed center ("西部": "x") refuses the staff_pins entry as a whole; the card
    # trust of the same bundle is taken (each entry on its own)
    assert kiosk_services.config_bundle.staff_pin_hash(device.center) is None
    assert kiosk_services.config_bundle.card_trust().checks_kenhojo


def test_a_well_formed_bundle_gives_this_center_its_staff_pin(tmp_path, services, catalog, kit):
    kiosk_services, device, config = services
    staff = hash_staff_pin(CENTER_PIN, salt=b"e" * 16, iterations=1000)
    publish_config(
        tmp_path / "central",
        bundles_dir(config),
        expires_at=datetime.now(UTC) + timedelta(days=7),
        payload={"staff_pins": {"東部": staff}},
    )
    bundle = kiosk_services.config_bundle
    assert bundle.staff_pin_hash(device.center) == staff
    assert bundle.card_trust() is None  # this version carries no card trust: checks are basic
    session = KioskSession(
        catalog,
        kit.ports(),
        SessionConfig(
            device_id=device.device_id,
            staff_pin_hash=hash_staff_pin("111111", salt=b"f" * 16, iterations=1000),
            staff_lockout_file=str(staff_lockout_path(config)),
        ),
    )
    session.staff_pin_source = lambda: bundle.staff_pin_hash(device.center)
    assert session.open_staff()
    assert not session.submit_staff_pin("111111")
    assert session.notice.code is NoticeCode.STAFF_PIN_WRONG
    assert session.submit_staff_pin(CENTER_PIN) and session.step is Step.STAFF_MENU
    assert staff_lockout_path(config).exists()
