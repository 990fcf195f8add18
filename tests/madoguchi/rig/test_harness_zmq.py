"""ZeroMQ with CURVE over real loopback sockets: a ROUTER with a ZAP allowlist answers an
enrolled DEALER and refuses an unlisted key. Every socket is closed; every wait is bounded."""

import pytest
import zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import recv_monitor_message


class _Allowlist:
    """The ZAP credentials provider: a client key is let in only if it is enrolled."""

    def __init__(self, keys):
        self.keys = set(keys)

    def callback(self, domain, key):
        return key in self.keys


@pytest.fixture
def curve_server(zctx):
    server_public, server_secret = zmq.curve_keypair()
    allowed_public, allowed_secret = zmq.curve_keypair()
    auth = ThreadAuthenticator(zctx)
    auth.start()
    auth.configure_curve_callback(domain="*", credentials_provider=_Allowlist({allowed_public}))
    router = zctx.socket(zmq.ROUTER)
    router.curve_secretkey = server_secret
    router.curve_publickey = server_public
    router.curve_server = True
    router.linger = 0
    port = router.bind_to_random_port("tcp://127.0.0.1")
    yield {
        "router": router,
        "endpoint": f"tcp://127.0.0.1:{port}",
        "server_public": server_public,
        "allowed": (allowed_public, allowed_secret),
    }
    router.close()
    auth.stop()


def _dealer(zctx, server_public, keypair):
    public, secret = keypair
    dealer = zctx.socket(zmq.DEALER)
    dealer.curve_publickey = public
    dealer.curve_secretkey = secret
    dealer.curve_serverkey = server_public
    dealer.linger = 0
    return dealer


def test_enrolled_key_round_trip(zctx, curve_server):
    dealer = _dealer(zctx, curve_server["server_public"], curve_server["allowed"])
    dealer.connect(curve_server["endpoint"])
    dealer.send(b"hello")
    router = curve_server["router"]
    assert router.poll(5000), "router got nothing from an enrolled key"
    identity, payload = router.recv_multipart()
    assert payload == b"hello"
    router.send_multipart([identity, b"ack"])
    assert dealer.poll(5000)
    assert dealer.recv() == b"ack"
    dealer.close()


def test_unlisted_key_is_refused(zctx, curve_server):
    dealer = _dealer(zctx, curve_server["server_public"], zmq.curve_keypair())
    monitor = dealer.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH)
    dealer.connect(curve_server["endpoint"])
    dealer.send(b"let me in")
    assert not curve_server["router"].poll(1500), "router accepted an unlisted key"
    assert monitor.poll(5000), "no auth failure reported to the client"
    event = recv_monitor_message(monitor)
    assert event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH
    dealer.disable_monitor()
    monitor.close()
    dealer.close()
