"""The session's `consult_source` for tests that drive the kiosk session or app without the real
call worker: a real `kiosk.call.ConsultFlow` per consultation over a port that records what the
flow asked of its worker (the real worker: tests/kiosk/call/test_consult_session_real.py)."""

from __future__ import annotations


class RecordingPort:
    """What the call flow asked of its worker."""

    def __init__(self) -> None:
        self.asked: list[tuple] = []
        self.closed = False

    def call(self, topic, language):
        self.asked.append(("call", topic, language))

    def chat(self, text):
        self.asked.append(("chat", text))

    def share(self, fields):
        self.asked.append(("share", fields))

    def mute(self, on):
        self.asked.append(("mute", on))

    def print_result(self, ok, reason=""):
        self.asked.append(("print_result", ok, reason))

    def hangup(self):
        self.asked.append(("hangup",))

    def close(self, timeout=10.0):
        self.closed = True
        return 0


class RecordingSource:
    """`KioskSession.consult_source`: records each call flow, its worker port and the
    `deliver` the session gave it (a test hands the worker's events to it, as the clock would)."""

    def __init__(self) -> None:
        self.ports: list[RecordingPort] = []
        self.flows: list = []
        self.deliver = None

    def __call__(self, language, deliver):
        from kiosk.call import ConsultFlow

        self.deliver = deliver

        def open_port():
            self.ports.append(RecordingPort())
            return self.ports[-1]

        self.flows.append(ConsultFlow(open_port, language))
        return self.flows[-1]
