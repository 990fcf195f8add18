"""The registry gives each terminal its reference part (`C01B` of C01B-0017-3, s3 review A3) and
maps a reference a resident reads out back to (device, seq): unique among every device ever
enrolled (revoked ones too), malformed ones refused, the file on disk is the source."""

from __future__ import annotations

import pytest
import zmq
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.errors import DuplicateDeviceError, RegistryError
from sync.keyfiles import Registry
from sync.readable_reference import format_reference, locate_reference

pytestmark = pytest.mark.timeout(30)


def _enroll(registry: Registry, device_id: str) -> None:
    public, _secret = zmq.curve_keypair()
    registry.enroll(device_id, public, Ed25519PrivateKey.generate().public_key(), center="中央")


def test_a_reference_maps_back_through_the_registry_file(tmp_path):
    registry = Registry(tmp_path)
    for dev in ("kiosk-0001", "kiosk-0002", "kiosk-0003"):
        _enroll(registry, dev)
    registry.set_reference("kiosk-0001", "C01A")
    registry.set_reference("kiosk-0002", "C01B")
    registry.revoke("kiosk-0002")  # replaced: what it printed still maps back
    assert registry.set_reference("kiosk-0001", "C01A").reference == "C01A"  # idempotent
    again = Registry(tmp_path)  # read from the file
    assert again.terminals() == {"C01A": "kiosk-0001", "C01B": "kiosk-0002"}
    assert locate_reference(format_reference("C01", "B", 17), again.terminals()) == (
        "kiosk-0002",
        17,
    )
    # a mark is never given to a second terminal, even after the first was revoked
    with pytest.raises(DuplicateDeviceError):
        again.set_reference("kiosk-0003", "C01B")
    with pytest.raises(RegistryError):  # and a terminal keeps its own
        again.set_reference("kiosk-0001", "C01C")


@pytest.mark.parametrize("bad", ["", "c01", "C01BB", "中央", "C-01", "C0001", "C01 ", None])
def test_malformed_references_are_refused(tmp_path, bad):
    registry = Registry(tmp_path)
    _enroll(registry, "kiosk-0001")
    with pytest.raises(RegistryError):
        registry.set_reference("kiosk-0001", bad)
    assert Registry(tmp_path).terminals() == {}
