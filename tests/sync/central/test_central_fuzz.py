"""Hostile frames from an enrolled peer (hypothesis): random bytes, multi-frame messages, CBOR
that is almost a message. Every one is answered with an ERROR (never silence, never a crash),
and afterwards an honest session still drains records."""

import cbor2
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.protocol import ErrorMessage, decode
from tests.support.sync import (
    RawPeer,
    agent_for,
    central_kit,
    device_kit,
    start_receiver,
    wait_until,
)


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    central = central_kit()
    receiver = start_receiver(
        central, str(tmp / "c.db"), rate_messages_per_s=1e6, rate_message_burst=1e6
    )
    kit = device_kit(tmp, central, "fuzz-dev")
    ctx = zmq.Context()
    peer = RawPeer(ctx, receiver.endpoint, central.curve_public, kit.curve_public, kit.curve_secret)
    yield {"receiver": receiver, "peer": peer, "central": central, "kit": kit, "tmp": tmp}
    peer.close()
    ctx.destroy(linger=0)
    receiver.stop()


_names = st.sampled_from(
    ["hello", "batch", "ack", "heartbeat", "request", "reply", "bundle", "bundle_ack", "error", "?"]
)
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=40),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4),
    max_leaves=10,
)
_almost = st.builds(
    lambda v, n, f: cbor2.dumps([v, n, f]),
    st.sampled_from([1, 1, 1, 2, -1]),
    _names,
    st.dictionaries(
        st.sampled_from(
            [
                "device_id",
                "batch_id",
                "first_seq",
                "records",
                "head_signature",
                "sent_at",
                "request_id",
                "kind",
                "payload",
                "timeout_ms",
                "data",
                "x",
            ]
        ),
        _values,
        max_size=6,
    ),
)
_frames = st.lists(st.binary(max_size=300) | _almost, min_size=1, max_size=3)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frames=_frames)
def test_hostile_frames_get_an_error_reply(rig, frames):
    peer = rig["peer"]
    peer.sock.send_multipart(frames)
    assert peer.sock.poll(5000), "no reply to a hostile frame"
    reply = decode(peer.sock.recv())
    assert isinstance(reply, ErrorMessage)
    assert rig["receiver"].error is None


def test_receiver_still_serves_after_fuzz(rig):
    kit = rig["kit"]
    kit.fill(20)
    agent = agent_for(kit, rig["central"], rig["receiver"].endpoint).start()
    try:
        assert wait_until(lambda: kit.outbox.stats().last_acked_seq == 20, 20)
    finally:
        agent.stop()
