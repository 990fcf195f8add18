"""The agent's local socket (kiosk → agent) decodes with the same safe decoder as the receiver:
a value-sharing or cyclic frame gets ERROR `malformed` at once, and the next request from the
kiosk is served as before (real agent, real receiver, real ipc socket)."""

import cbor2
import pytest
import zmq

from sync.agent import RequestClient
from sync.protocol import ErrorMessage, decode
from tests.support.sync import agent_for, central_kit, device_kit, start_receiver, wait_until


def _sharing_request() -> bytes:
    dag: object = [1]
    for _ in range(12):
        dag = [dag] * 4
    fields = {"request_id": 1, "kind": "echo", "payload": {"a": dag}, "timeout_ms": 100}
    return cbor2.dumps([1, "request", fields], value_sharing=True)


CYCLIC = (
    b"\x83\x01\x67request\xa4\x6arequest_id\x01\x64kind\x64echo\x6atimeout_ms\x18\x64"
    b"\x67payload\xd8\x1c\xa1\x64self\xd8\x1d\x00"
)


@pytest.mark.parametrize("frame", [_sharing_request(), CYCLIC], ids=["sharing", "cyclic"])
def test_local_socket_refuses_shared_frames_and_keeps_serving(tmp_path, zctx, frame):
    central = central_kit()
    receiver = start_receiver(
        central, str(tmp_path / "c.db"), handlers={"echo": lambda device_id, payload: payload}
    )
    kit = device_kit(tmp_path, central)
    ipc = f"ipc://{tmp_path}/agent.sock"
    agent = agent_for(kit, central, receiver.endpoint, request_endpoint=ipc).start()
    try:
        assert wait_until(lambda: agent.status.connected)
        hostile = zctx.socket(zmq.DEALER)
        hostile.linger = 0
        hostile.connect(ipc)
        hostile.send(frame)
        assert hostile.poll(5000)
        reply = decode(hostile.recv())
        assert isinstance(reply, ErrorMessage) and reply.code == "malformed"
        hostile.close()
        assert RequestClient(ipc).request("echo", {"ok": 1}, 5) == {"ok": 1}
    finally:
        agent.stop()
        receiver.stop()
