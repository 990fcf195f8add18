"""What `madoguchi central serve` registers as online-request handlers (sync.central._cli):
the issuer's kinds, the consultation relay with centers from the device registry, and the relay
over Janus rooms when a Janus socket is given."""

from __future__ import annotations

import time

import pytest

from madoguchi.core.errors import MadoguchiError
from sync.central.consult import ConsultTables
from sync.central.stores import open_store
from tests.support.consult import OFFER, add_staff


def test_central_serve_registers_the_relay_with_centers_from_the_registry(tmp_path):
    """What `madoguchi central serve` wires: the `consult` kind beside the issuer's."""
    import zmq
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from provisioning import Registry, init_central
    from sync.central._cli import _handlers

    keys = init_central(tmp_path / "central")
    Registry(keys.registry_path).enroll(
        "term-9", zmq.curve_keypair()[0], Ed25519PrivateKey.generate().public_key(), "南町センター"
    )
    db = str(tmp_path / "central.db")
    handlers = _handlers(keys, db)
    assert {"consult", "consultation.book"} <= set(handlers)
    request = {"op": "open", "topic": "care", "language": "vi", "offer": OFFER}
    # Nobody who may accept has a console open: said plainly, nothing queued.
    assert handlers["consult"]("term-9", request) == {"ok": False, "reason": "no_staff"}
    add_staff(db, "tanaka", "specialist")
    store = open_store(db)
    try:
        ConsultTables(store).seen("tanaka", time.time())
    finally:
        store.close()
    got = handlers["consult"]("term-9", request)
    assert got["ok"]
    store = open_store(db)
    try:
        assert ConsultTables(store).get(got["consultation"]).center == "南町センター"
    finally:
        store.close()


def test_central_serve_hands_the_janus_socket_to_the_relay(tmp_path):
    """`central serve --janus-socket PATH`: the relay's calls meet in Janus rooms. A socket where
    no Janus answers fails the start at once with a one-line error (MadoguchiError), not later
    in a resident's call."""
    import zmq
    from click.testing import CliRunner
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from provisioning import Registry, init_central
    from sync.central._cli import _handlers, serve

    assert "--janus-socket" in CliRunner().invoke(serve, ["--help"]).output
    keys = init_central(tmp_path / "central")
    Registry(keys.registry_path).enroll(
        "term-9", zmq.curve_keypair()[0], Ed25519PrivateKey.generate().public_key(), "南町センター"
    )
    db = str(tmp_path / "central.db")
    with pytest.raises(MadoguchiError, match="cannot reach Janus"):
        _handlers(keys, db, tmp_path / "no-janus.sock")
    assert "consult" in _handlers(keys, db)  # without Janus: two-party calls only


def test_central_refuses_calls_outside_the_signed_hours(tmp_path):
    """`central serve --bundles-dir DIR`: the relay reads `consult_hours` from the config bundle
    it offers the terminals and refuses `open` outside them on city hall's clock (reason
    `hours`, nothing queued), whatever the terminal believed. A malformed entry refuses nothing
    (the terminals keep their last good hours the same way); republished hours apply at once."""
    import datetime as dt
    from datetime import UTC, datetime, timedelta

    import zmq
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from provisioning import Registry, init_central, publish_config
    from sync.central._cli import _handlers

    keys = init_central(tmp_path / "central")
    Registry(keys.registry_path).enroll(
        "term-9", zmq.curve_keypair()[0], Ed25519PrivateKey.generate().public_key(), "南町センター"
    )
    db = str(tmp_path / "central.db")
    add_staff(db, "tanaka", "specialist")
    bundles = tmp_path / "bundles"

    def publish(hours, version):
        publish_config(
            tmp_path / "central", bundles, expires_at=datetime.now(UTC) + timedelta(days=7),
            payload={"consult_hours": hours}, version=version,
        )  # fmt: skip

    not_today = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
        (dt.date.today().weekday() + 1) % 7
    ]
    publish([f"{not_today} 00:00-24:00", "holidays open"], 1)
    handlers = _handlers(keys, db, bundles_dir=bundles)
    request = {"op": "open", "topic": "care", "language": "vi", "offer": OFFER}

    def queued() -> int:
        store = open_store(db)
        try:
            return len(ConsultTables(store).waiting(time.time(), 3600.0))
        finally:
            store.close()

    store = open_store(db)
    try:
        ConsultTables(store).seen("tanaka", time.time())
    finally:
        store.close()
    assert handlers["consult"]("term-9", request) == {"ok": False, "reason": "hours"}
    assert queued() == 0
    publish(["weekdays"], 2)  # malformed: the hours are not known, nothing refused over them
    assert handlers["consult"]("term-9", request)["ok"]
    publish(["mon-sun 00:00-24:00", "holidays open"], 3)
    assert handlers["consult"]("term-9", request)["ok"]
    assert queued() == 2
