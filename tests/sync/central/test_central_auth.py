"""Who may talk to the receiver: unknown keys fail the CURVE handshake (ZAP), a revoked key is
refused at its next handshake AND its open session is closed at once, a session must HELLO with
its own enrolled device id. Uses the real file registry written by `provisioning`."""

import time

import zmq
from zmq.utils.monitor import recv_monitor_message

from provisioning import Registry, enroll_device, init_central, load_central_keys
from sync.central.receiver import Receiver, ReceiverConfig
from sync.central.stores import open_store
from sync.protocol import Ack, ErrorMessage, Heartbeat, Hello
from tests.support.sync import (
    RawPeer,
    agent_for,
    central_kit,
    device_kit,
    start_receiver,
    wait_until,
)


def _handshake_refused(ctx, endpoint, server_public, public, secret) -> bool:
    peer = RawPeer(ctx, endpoint, server_public, public, secret)
    monitor = peer.sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH)
    try:
        peer.send(Hello("x", 0, 0, 0.0))
        refused = False
        if monitor.poll(5000):
            refused = recv_monitor_message(monitor)["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH
        return refused and peer.recv(0.5) is None
    finally:
        peer.sock.disable_monitor()
        monitor.close()
        peer.close()


def test_unknown_key_is_refused_at_handshake(tmp_path, zctx):
    central = central_kit()
    receiver = start_receiver(central, str(tmp_path / "c.db"))
    try:
        public, secret = zmq.curve_keypair()
        assert _handshake_refused(zctx, receiver.endpoint, central.curve_public, public, secret)
        # an agent with an unenrolled key never gets a session
        stranger = device_kit(tmp_path, central, "stranger-1", enroll=False)
        stranger.fill(3)
        agent = agent_for(stranger, central, receiver.endpoint, hello_timeout_s=0.5).start()
        try:
            assert wait_until(lambda: agent.status.reconnects >= 1, 10)
            assert not agent.status.connected
            assert stranger.outbox.stats().last_acked_seq == 0
        finally:
            agent.stop()
        assert receiver.stats["batches"] == 0
    finally:
        receiver.stop()


def test_revoked_key_is_refused_and_open_session_closed(tmp_path, zctx):
    keys_dir = tmp_path / "central"
    init_central(keys_dir)
    device = enroll_device(
        keys_dir, tmp_path / "dev", device_id="kiosk-007", center="c", endpoint="tcp://x:1"
    )
    keys = load_central_keys(keys_dir)
    registry = Registry(keys.registry_path)
    receiver = Receiver(
        ReceiverConfig(bind="tcp://127.0.0.1:0", allowlist_recheck_s=0.2),
        lambda: open_store(str(tmp_path / "c.db")),
        registry,
        keys.curve_public,
        keys.curve_secret,
    ).start()
    try:
        # a raw session of the device, open before the revocation
        peer = RawPeer(
            zctx, receiver.endpoint, keys.curve_public, device.curve_public, device.curve_secret
        )
        assert peer.ask(Hello("kiosk-007", 0, 0, time.time())) == Ack(0, 0)
        registry.revoke("kiosk-007")
        # the sweep closes the open session without waiting for the device to speak
        message = peer.recv(5)
        assert isinstance(message, ErrorMessage) and message.code == "revoked"
        # and anything it still sends is refused
        reply = peer.ask(Heartbeat(1.0))
        assert isinstance(reply, ErrorMessage) and reply.code == "revoked"
        peer.close()
        # a new connection with the same key fails the handshake
        assert _handshake_refused(
            zctx, receiver.endpoint, keys.curve_public, device.curve_public, device.curve_secret
        )
    finally:
        receiver.stop()


def test_agent_session_closed_on_revocation(tmp_path):
    central = central_kit()
    receiver = start_receiver(central, str(tmp_path / "c.db"), allowlist_recheck_s=0.2)
    kit = device_kit(tmp_path, central)
    agent = agent_for(kit, central, receiver.endpoint).start()
    try:
        assert wait_until(lambda: agent.status.connected, 10)
        central.allowlist.revoke(kit.device_id)
        assert wait_until(lambda: agent.status.state == "revoked", 10)
        assert agent.status.last_error == "revoked"
        kit.fill(2)
        time.sleep(0.5)
        assert kit.outbox.stats().last_acked_seq == 0
    finally:
        agent.stop()
        receiver.stop()


def test_session_must_hello_with_its_own_device_id(tmp_path, zctx):
    central = central_kit()
    receiver = start_receiver(central, str(tmp_path / "c.db"))
    kit = device_kit(tmp_path, central, "kiosk-100")
    device_kit(tmp_path, central, "kiosk-200")
    try:
        peer = RawPeer(
            zctx, receiver.endpoint, central.curve_public, kit.curve_public, kit.curve_secret
        )
        reply = peer.ask(Heartbeat(1.0))
        assert isinstance(reply, ErrorMessage) and reply.code == "hello_required"
        reply = peer.ask(Hello("kiosk-200", 0, 0, 1.0))
        assert isinstance(reply, ErrorMessage) and reply.code == "wrong_device"
        assert peer.ask(Hello("kiosk-100", 0, 0, 1.0)) == Ack(0, 0)
        assert isinstance(peer.ask(Heartbeat(2.0)), Heartbeat)
        peer.close()
    finally:
        receiver.stop()
