"""The registry is the receiver's ZAP allowlist: a real ROUTER with CURVE lets an enrolled
device in, refuses an unknown key, and refuses a key revoked by another process on its next
connection (the registry re-reads its file when it changes). Rotation retires the old key."""

import subprocess
import sys
import threading

import pytest
import zmq
from zmq.auth.thread import ThreadAuthenticator

from provisioning import (
    DuplicateDeviceError,
    Registry,
    RegistryError,
    UnknownDeviceError,
    enroll_device,
    init_central,
    load_device_bundle,
    rotate_device,
)


class _Allow:
    def __init__(self, registry):
        self.registry = registry

    def callback(self, domain, key):
        device = self.registry.lookup(key)
        return device is not None and not device.revoked


@pytest.fixture
def central(tmp_path):
    keys = init_central(tmp_path / "central")
    bundles = {
        name: enroll_device(
            tmp_path / "central",
            tmp_path / name,
            device_id=name,
            center="南",
            endpoint="tcp://127.0.0.1:1",
        )
        for name in ("dev-a", "dev-b")
    }
    return keys, bundles


@pytest.fixture
def router(central):
    keys, _ = central
    ctx = zmq.Context()
    auth = ThreadAuthenticator(ctx)
    auth.start()
    auth.configure_curve_callback(domain="*", credentials_provider=_Allow(Registry(keys.directory)))
    sock = ctx.socket(zmq.ROUTER)
    sock.curve_server = True
    sock.curve_secretkey = keys.curve_secret
    sock.curve_publickey = keys.curve_public
    sock.linger = 0
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    yield ctx, sock, f"tcp://127.0.0.1:{port}"
    sock.close()
    auth.stop()
    ctx.destroy(linger=0)


def _round_trip(ctx, router, endpoint, bundle, timeout_ms=15000) -> bool:
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.curve_secretkey = bundle.curve_secret
    dealer.curve_publickey = bundle.curve_public
    dealer.curve_serverkey = bundle.central_curve_public
    dealer.sndtimeo = timeout_ms  # a refused handshake leaves no peer: send would block
    dealer.connect(endpoint)
    try:
        try:
            dealer.send(b"hello")
        except zmq.Again:
            return False
        if not router.poll(timeout_ms):
            return False
        identity, payload = router.recv_multipart()
        assert payload == b"hello"
        return True
    finally:
        dealer.close()


def test_enrolled_in_unknown_out(central, router, tmp_path):
    ctx, sock, endpoint = router
    _, bundles = central
    assert _round_trip(ctx, sock, endpoint, bundles["dev-a"])
    other = init_central(tmp_path / "other")
    stranger = enroll_device(
        other.directory, tmp_path / "x", device_id="x", center="?", endpoint=endpoint
    )
    stranger = load_device_bundle(tmp_path / "x")
    # pinned to our server key but not enrolled here
    object.__setattr__(stranger, "central_curve_public", central[0].curve_public)
    assert not _round_trip(ctx, sock, endpoint, stranger, timeout_ms=1000)


def test_revocation_from_another_process_takes_effect_at_once(central, router):
    ctx, sock, endpoint = router
    keys, bundles = central
    assert _round_trip(ctx, sock, endpoint, bundles["dev-a"])
    subprocess.run(
        [
            sys.executable,
            "-m",
            "madoguchi.cli",
            "provision",
            "revoke",
            "--central",
            str(keys.directory),
            "dev-a",
        ],
        check=True,
        timeout=60,
        capture_output=True,
    )
    assert not _round_trip(ctx, sock, endpoint, bundles["dev-a"], timeout_ms=1000)
    assert _round_trip(ctx, sock, endpoint, bundles["dev-b"])


def test_rotation_retires_the_old_key(central, router, tmp_path):
    ctx, sock, endpoint = router
    keys, bundles = central
    new = rotate_device(keys.directory, bundles["dev-b"].directory, tmp_path / "dev-b-2")
    assert new.curve_public != bundles["dev-b"].curve_public
    assert not _round_trip(ctx, sock, endpoint, bundles["dev-b"], timeout_ms=1000)
    assert _round_trip(ctx, sock, endpoint, new)
    registry = Registry(keys.directory)
    assert registry.lookup(bundles["dev-b"].curve_public) is None
    with pytest.raises(DuplicateDeviceError):
        registry.enroll("dev-c", bundles["dev-b"].curve_public, new.signing_public)


def test_lookup_fields_and_errors(central):
    keys, bundles = central
    registry = Registry(keys.registry_path)
    device = registry.lookup(bundles["dev-a"].curve_public)
    assert device.device_id == "dev-a" and device.revoked is False
    raw = bundles["dev-a"].signing_public.public_bytes_raw()
    assert device.signing_public.public_bytes_raw() == raw
    assert registry.lookup(b"0" * 40) is None
    assert sorted(d.device_id for d in registry.devices()) == ["dev-a", "dev-b"]
    with pytest.raises(UnknownDeviceError):
        registry.revoke("nope")


def test_concurrent_writers_lose_nothing(tmp_path):
    keys = init_central(tmp_path / "c")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from provisioning import new_curve_keypair

    def worker(i):
        r = Registry(keys.directory)
        for j in range(10):
            r.enroll(f"d{i}-{j}", new_curve_keypair()[0], Ed25519PrivateKey.generate().public_key())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(Registry(keys.directory).devices()) == 40


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b'{"format": 2, "devices": []}',
        b'{"format": 1, "devices": [{"x": 1}]}',
        b'{"format": 1, "devices": {}}',
        b"\xff\xfe",
    ],
    ids=["empty", "not json", "format", "bad row", "not a list", "not utf-8"],
)
def test_unreadable_registry_fails_closed(central, content):
    keys, bundles = central
    registry = Registry(keys.directory)
    assert registry.lookup(bundles["dev-a"].curve_public) is not None
    good = keys.registry_path.read_bytes()
    keys.registry_path.write_bytes(content)
    assert registry.lookup(bundles["dev-a"].curve_public) is None  # never raises
    with pytest.raises(RegistryError):
        registry.devices()
    keys.registry_path.write_bytes(good + b" ")  # repaired (size changes)
    assert registry.lookup(bundles["dev-a"].curve_public) is not None
