"""A terminal's side of the center queue: the session's `QueuePort` and the staff-call client.

Guarantees:
- `take_ticket` asks the center's queue host (short timeout); when the host cannot be reached it
  issues from the terminal's own fallback queue, whose labels carry the terminal's mark
  (`A2-001`), so no number collides with the host's or another terminal's. The fallback's
  `issued` events go to this terminal's outbox (kind `queue_event`); the host records its own.
- Before each ticket and on `sync()`, tickets issued offline are handed to the host
  (idempotent by label) and marked handed only after the host answered: a failure keeps them.
- Once the host did not answer, residents do not wait for it again for `retry_s`: tickets come
  from the fallback at once, and the background `sync()` (or the first ticket after `retry_s`)
  tries the host again.
- A staff call sends only the terminal's id and the screen's name; nothing personal.
- Only `requests` talks to the network here; its errors become `HostUnreachableError`. Over
  https the host must present the pinned certificate (`pinned_cert`), else it is unreachable
  and the terminal issues from its fallback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kiosk.center.errors import HostUnreachableError, QueueInputError
from kiosk.center.queue import SERVICES, CenterQueue

__all__ = ["HostClient", "TerminalQueue"]

log = logging.getLogger("kiosk.center")


class HostClient:
    """JSON over HTTP to the queue host, with the center's terminal token."""

    def __init__(
        self, url: str, token: str, *, timeout_s: float = 1.5, pinned_cert: Any = None
    ) -> None:
        import requests

        from kiosk.center.tls import pinned_session

        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        # https: only the center's own certificate is trusted (kiosk.center.tls).
        self._http = pinned_session(pinned_cert) if pinned_cert else requests.Session()
        self._http.headers["Authorization"] = f"Bearer {token}"
        self._http.trust_env = False  # the host is inside the center: never through a proxy

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        import requests

        try:
            r = self._http.request(method, self.url + path, json=body, timeout=self.timeout_s)
        except requests.RequestException as e:
            raise HostUnreachableError(type(e).__name__) from e
        if r.status_code == 400:
            raise QueueInputError(str(_json(r).get("error", "bad_request")))
        if r.status_code != 200:
            raise HostUnreachableError(f"HTTP {r.status_code}")
        return _json(r)

    def close(self) -> None:
        self._http.close()


def _json(r: Any) -> dict[str, Any]:
    try:
        data = r.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class TerminalQueue:
    """`QueuePort` of a terminal: the host when reachable, its fallback queue when not."""

    services = tuple(SERVICES)

    def __init__(
        self,
        host: HostClient | None,
        fallback: CenterQueue,
        events: Callable[[str, dict[str, Any]], Any],
        *,
        terminal: str,
        retry_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        city_notices: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.host = host
        # City hall's signed notices from this terminal's own config bundle: shown while the
        # queue host (which also has the staff's) cannot be reached.
        self.city_notices = city_notices
        self.retry_s = retry_s
        self._clock = clock
        self._retry_at = 0.0
        self.fallback = fallback
        self.events = events  # e.g. `outbox.append(kind, body)`
        self.terminal = terminal
        self.offline_issued = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sync_lock = threading.Lock()

    def start(self, interval_s: float = 10.0) -> TerminalQueue:
        """Hand offline tickets and events over every `interval_s` in a thread, so they reach
        the host soon after the link is back even if nobody takes a ticket here."""

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.sync()
                except Exception as e:  # noqa: BLE001 - try again on the next round
                    log.warning("center sync failed: %s", type(e).__name__)

        self._thread = threading.Thread(target=loop, name="center-sync", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.host is not None:
            self.host.close()
        self.fallback.close()

    def sync(self) -> bool:
        """Hand offline tickets to the host and this terminal's events to the outbox. True when
        the host took everything."""
        with self._sync_lock:
            return self._sync()

    def _sync(self) -> bool:
        self.fallback.flush(self.events)
        pending = self.fallback.unhanded()
        if not pending:
            return True
        if self.host is None:
            return False
        try:
            self._call("POST", "/api/tickets/adopt", {"tickets": pending})
        except HostUnreachableError as e:
            log.info("offline tickets kept for the host: %s", e)
            return False
        self.fallback.mark_handed(pending)
        return True

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict:
        assert self.host is not None
        try:
            reply = self.host.call(method, path, body)
        except HostUnreachableError:
            self._retry_at = self._clock() + self.retry_s
            raise
        self._retry_at = 0.0
        return reply

    @property
    def host_reachable(self) -> bool:
        """False for `retry_s` after the host did not answer."""
        return self.host is not None and self._clock() >= self._retry_at

    def take_ticket(self, service: str = "procedure", language: str = "ja") -> tuple[str, int]:
        if self.host_reachable:
            self.sync()
        if self.host_reachable:
            try:
                reply = self._call(
                    "POST", "/api/tickets", {"service": service, "language": language}
                )
                return str(reply["ticket"]["label"]), int(reply["before"])
            except (HostUnreachableError, KeyError, TypeError, ValueError) as e:
                log.warning("queue host unreachable, issuing locally: %s", type(e).__name__)
        ticket, before = self.fallback.issue(service, language)
        self.offline_issued += 1
        self.fallback.flush(self.events)
        return ticket.label, before

    def estimate_wait_min(self, service: str, before: int, default_min: float) -> int:
        if self.host_reachable:
            try:
                reply = self._call("GET", f"/api/estimate/{service}/{int(before)}")
                return int(reply["minutes"])
            except (HostUnreachableError, QueueInputError, KeyError, TypeError, ValueError):
                pass
        return self.fallback.estimate_wait_min(service, before, default_min)

    def estimates(self, default_min: float) -> dict[str, int]:
        """Minutes a ticket taken now would wait, per service: the queue host's (its measured
        handling times, `/api/board`), or this terminal's own count while it cannot reach it."""
        if self.host_reachable:
            try:
                got = self._call("GET", "/api/board")["estimates"]
                return {k: int(got[k]) for k in SERVICES if k in got}
            except (HostUnreachableError, QueueInputError, KeyError, TypeError, ValueError):
                pass
        return self.fallback.estimates(default_min)

    def notices(self) -> list[dict[str, Any]]:
        """The notices the calling display shows (city hall's signed ones, then the center's
        staff's: kind, ja, en, source), from the queue host; with the host out of reach, city
        hall's from this terminal's config bundle (still current), or none."""
        if self.host_reachable:
            try:
                got = self._call("GET", "/api/board")["notices"]
                if isinstance(got, list):
                    return [n for n in got if isinstance(n, dict)]
            except (HostUnreachableError, QueueInputError, KeyError, TypeError, ValueError):
                pass
        if self.city_notices is None:
            return []
        now = time.time()
        try:
            return [n for n in self.city_notices() if n.get("until") is None or n["until"] > now]
        except Exception as e:  # noqa: BLE001 - a bad bundle entry shows no notice, never a crash
            log.warning("city notices unreadable: %s", type(e).__name__)
            return []

    def call_next(self) -> int | None:
        # Calling happens on the staff console of the host, never at a resident terminal.
        return None

    def waiting(self) -> int:
        if self.host_reachable:
            try:
                return int(self._call("GET", "/api/board")["waiting"])
            except (HostUnreachableError, QueueInputError, KeyError, TypeError, ValueError):
                pass
        return self.fallback.waiting()

    # ---- staff calls ---------------------------------------------------------------------

    def staff_call(self, screen: str) -> str:
        if self.host is None:
            raise HostUnreachableError("no queue host configured")
        reply = self.host.call(
            "POST", "/api/staff-calls", {"terminal": self.terminal, "screen": screen}
        )
        return str(reply["id"])

    def staff_call_state(self, call_id: str) -> dict[str, Any]:
        if self.host is None:
            raise HostUnreachableError("no queue host configured")
        return self.host.call("GET", f"/api/staff-calls/{call_id}")
