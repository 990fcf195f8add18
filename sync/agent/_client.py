"""How the kiosk reaches the agent for online requests: a local ZeroMQ socket the agent binds.

In production the kiosk UI and the agent are separate processes: the agent binds a ROUTER on
`AgentConfig.request_endpoint` (an `ipc://` path under /run/madoguchi, mode 0660, group shared
with the kiosk user) and the kiosk uses `RequestClient(endpoint).request(...)`. Inside one
process (`Agent.request`) the same code runs over `inproc://`.

Invariant: `request` returns the central handler's reply payload or raises a `RequestError`
subclass within about `timeout` seconds, never hangs: `RequestTimeoutError` (no answer; the
caller falls back to the outbox), `AgentOfflineError` (the agent said at once it is offline: fall
back), `RequestRefusedError` (the central side answered with an error). Each call uses a fresh
socket, so a late reply can never be mistaken for the answer to a later request.
"""

from __future__ import annotations

import itertools
import time

import zmq

from sync.errors import AgentOfflineError, ProtocolError, RequestRefusedError, RequestTimeoutError
from sync.protocol import ErrorMessage, Reply, Request, decode, encode

__all__ = ["RequestClient"]

_ids = itertools.count(1)


class RequestClient:
    def __init__(self, endpoint: str, *, context: zmq.Context | None = None) -> None:
        self.endpoint = endpoint
        self._ctx = context or zmq.Context.instance()

    def request(self, kind: str, payload: dict, timeout: float = 3.0) -> dict:
        request_id = next(_ids)
        sock = self._ctx.socket(zmq.DEALER)
        sock.linger = 0
        try:
            sock.connect(self.endpoint)
            sock.send(encode(Request(request_id, kind, dict(payload), int(timeout * 1000))))
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                if not sock.poll(int(left * 1000) + 1):
                    break
                try:
                    message = decode(sock.recv())
                except ProtocolError:
                    continue
                if isinstance(message, Reply) and message.request_id == request_id:
                    if not message.ok:
                        raise RequestRefusedError(kind, message.error or "failed")
                    return message.payload
                if isinstance(message, ErrorMessage) and message.ref == request_id:
                    if message.code == "offline":
                        raise AgentOfflineError(kind)
                    if message.code in ("timeout", "deadline_passed"):
                        break
                    raise RequestRefusedError(kind, message.code, message.detail)
        except zmq.ZMQError as e:
            raise RequestTimeoutError(kind, timeout) from e
        finally:
            sock.close(linger=0)
        raise RequestTimeoutError(kind, timeout)
