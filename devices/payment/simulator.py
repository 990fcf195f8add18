"""A payment terminal simulator on 127.0.0.1 speaking the protocol of `devices.payment.terminal`,
for tests and the demo: each charge takes the next mode from `script` (then `default`):
`approve`, `decline`, `cancel` (the resident pressed cancel), `timeout` (never answers, waits
for the abort), `garbage` (answers something that is not the protocol). The terminal goes
offline with `go_offline()` (it stops listening: connection refused). It records every request (amount, reference, mode) and every
abort, so tests can check what was charged."""

from __future__ import annotations

import json
import socketserver
import threading
import uuid
from typing import Any

__all__ = ["MODES", "PaymentTerminalSimulator"]

MODES = ("approve", "decline", "cancel", "timeout", "garbage")


class PaymentTerminalSimulator:
    def __init__(self, script: list[str] | None = None, default: str = "approve") -> None:
        for mode in [*(script or []), default]:
            if mode not in MODES:
                raise ValueError(f"unknown simulator mode {mode!r}")
        self.script = list(script or [])
        self.default = default
        self.charges: list[dict[str, Any]] = []  # approved ones have "transaction_id"
        self.aborts: list[str] = []
        self._lock = threading.Lock()
        self._stopped = False
        sim = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for raw in self.rfile:
                    try:
                        msg = json.loads(raw)
                    except ValueError:
                        return
                    if msg.get("op") == "abort":
                        with sim._lock:
                            sim.aborts.append(msg.get("id"))
                        return
                    if msg.get("op") != "charge":
                        return
                    answer = sim._answer(msg)
                    if answer is not None:
                        self.wfile.write(answer)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _answer(self, msg: dict) -> bytes | None:
        with self._lock:
            mode = self.script.pop(0) if self.script else self.default
            record = {"amount_yen": msg.get("amount_yen"), "reference": msg.get("reference"),
                      "mode": mode}  # fmt: skip
            self.charges.append(record)
        if mode == "timeout":
            return None
        if mode == "garbage":
            return b"HELLO\n"
        answer: dict[str, Any] = {"id": msg.get("id")}
        if mode == "approve":
            record["transaction_id"] = answer["transaction_id"] = "T" + uuid.uuid4().hex[:12]
            answer["status"] = "approved"
        else:
            answer.update(status="declined" if mode == "decline" else "cancelled", code="51")
        return json.dumps(answer).encode() + b"\n"

    @property
    def approved(self) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self.charges if "transaction_id" in c]

    def start(self) -> PaymentTerminalSimulator:
        self._thread.start()
        return self

    def go_offline(self) -> None:
        """The terminal is switched off or unplugged: connections are refused from now on."""
        self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def __enter__(self) -> PaymentTerminalSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
