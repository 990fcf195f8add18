"""The device sync agent: drains the outbox to the central receiver over ZeroMQ CURVE.

Invariants:
- One thread (the loop) owns every socket. `stop()` and `request()` are safe from any thread.
- The central CURVE key is pinned (`AgentConfig.server_public`); the session starts with HELLO on
  every (re)connect and sends from the central's committed seq + 1, never from local belief.
- Records leave the outbox only through `mark_acked(committed_seq)` after an ACK, i.e. after the
  central COMMIT; a crash, kill or dropped connection at any point only causes a resend, which
  the central side absorbs (records keyed by device id and seq).
- At most `window` batches are in flight, each bounded by `batch_max_records` and
  `batch_max_bytes`; one Ed25519 signature over the chain head per batch.
- A dead link (no HELLO answer, no ACK, or no traffic for `heartbeat_timeout_s`) closes the socket
  and reconnects after exponential backoff with full jitter (capped), so terminals coming back
  after an outage do not stampede.
- Status (state, backlog, last success, last error code) goes to `status_path`; logs carry seqs
  and codes only.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import zmq

from sync.agent._client import RequestClient
from sync.agent._config import AgentConfig, AgentStatus, backoff_delay, write_status
from sync.errors import BindError, ProtocolError, RecordPrunedError, SyncError
from sync.protocol import (
    Ack,
    Batch,
    Bundle,
    BundleAck,
    ErrorMessage,
    Heartbeat,
    Hello,
    Reply,
    Request,
    decode,
    encode,
)
from sync.sealing import sign_chain_head

__all__ = ["Agent"]

log = logging.getLogger("sync.agent")

_AGENT_VERSION = "madoguchi-agent/1"
_ids = itertools.count(1)


@dataclass
class _InFlight:
    batch_id: int
    first_seq: int
    last_seq: int
    sent_at: float


@dataclass
class _Pending:
    client: bytes  # identity on the local request socket
    client_request_id: int
    deadline: float


class Agent:
    """`Agent(config, outbox, device_id, curve_public, curve_secret, signing_key)`; `run()` blocks
    until `stop()`, `start()` runs it in a thread. `on_bundle(bytes)` applies a downlink bundle
    of any type (catalog, config), raising a SyncError to refuse it (what it returns, e.g. the
    `BundleApplied`, is only logged). `catalog_version()` tells HELLO and BUNDLE_ACK what
    catalog is installed, whatever type the bundle just applied was: it is required with
    `on_bundle`."""

    def __init__(
        self,
        config: AgentConfig,
        outbox,
        device_id: str,
        curve_public: bytes,
        curve_secret: bytes,
        signing_key,
        *,
        on_bundle: Callable[[bytes], object] | None = None,
        catalog_version: Callable[[], int] | None = None,
        context: zmq.Context | None = None,
        rng: random.Random | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.device_id = device_id
        self._curve = (curve_public, curve_secret)
        self._signing_key = signing_key
        if on_bundle is not None and catalog_version is None:
            raise ValueError("an agent that applies bundles needs catalog_version")
        self.on_bundle = on_bundle
        self._catalog_version = catalog_version
        self._own_context = context is None
        self._ctx = context or zmq.Context()
        self._rng = rng or random.Random()
        self._on_tick = on_tick  # called every loop turn (systemd watchdog: proves the loop runs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inproc = f"inproc://madoguchi-agent-{id(self):x}"
        self._bound = threading.Event()
        self.error: BaseException | None = None
        self.status = AgentStatus(device_id=device_id)
        self._status_written = 0.0
        # session state (loop thread only)
        self._dealer: zmq.Socket | None = None
        self._hello_done = False
        self._hello_sent_at = 0.0
        self._last_rx = self._last_tx = 0.0
        self._next_seq = 1
        self._inflight: deque[_InFlight] = deque()
        self._paused_until = 0.0
        self._reconnect_at = 0.0
        self._attempt = 0
        self._pending: dict[int, _Pending] = {}
        self._local_replies: list[tuple[bytes, Reply]] = []
        self._ack_to = 0  # highest committed seq heard from the central side
        self._acked_written = 0  # highest seq passed to outbox.mark_acked
        self._last_progress = 0.0

    # --- public API -----------------------------------------------------------------------------
    def start(self) -> Agent:
        """Run the loop in a thread; raises here if the loop cannot start (e.g. BindError)."""
        self._thread = threading.Thread(target=self._run_guarded, name="sync-agent", daemon=True)
        self._thread.start()
        self._bound.wait(10)
        if self.error is not None:
            raise self.error
        return self

    def _run_guarded(self) -> None:
        try:
            self.run()
        except BaseException as e:  # noqa: BLE001 - kept for start() and the caller to see
            self.error = e
            log.error("agent stopped: %s", type(e).__name__)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            self._thread = None

    def request(self, kind: str, payload: dict, timeout: float = 3.0) -> dict:
        """An online request through the central side; raises RequestTimeoutError (fall back to
        the outbox), AgentOfflineError or RequestRefusedError."""
        return RequestClient(self._inproc, context=self._ctx).request(kind, payload, timeout)

    # --- the loop ------------------------------------------------------------------------------
    def run(self) -> None:
        local = self._ctx.socket(zmq.ROUTER)
        local.linger = 0
        try:
            local.bind(self._inproc)
            if self.config.request_endpoint:
                local.bind(self.config.request_endpoint)
        except zmq.ZMQError as e:
            local.close(linger=0)
            self._bound.set()
            raise BindError(self.config.request_endpoint or self._inproc, e.strerror) from e
        self._bound.set()
        self._set_state("connecting")
        try:
            self._loop(local)
        finally:
            self._shutdown(local)

    def _loop(self, local: zmq.Socket) -> None:
        while not self._stop.is_set():
            try:
                self._turn(local)
            except SyncError as e:
                # The outbox failed (locked too long, disk full, damaged): nothing was acked
                # wrongly; drop the session and try again after a backoff.
                log.error("outbox error: %s", type(e).__name__)
                self._disconnect(f"outbox:{type(e).__name__}")
            except zmq.ZMQError as e:
                log.error("socket error: %s", e.strerror)
                self._disconnect("socket_error")
            if self._on_tick is not None:
                self._on_tick()

    def _turn(self, local: zmq.Socket) -> None:
        """One loop turn: connect if due, read, expire, check liveness, send, write status."""
        if self._dealer is None and time.monotonic() >= self._reconnect_at:
            self._connect()
        poller = zmq.Poller()
        poller.register(local, zmq.POLLIN)
        if self._dealer is not None:
            poller.register(self._dealer, zmq.POLLIN)
        events = dict(poller.poll(self._poll_ms()))
        if self._dealer is not None and events.get(self._dealer):
            self._read_central()
        if events.get(local):
            self._read_local(local)
        self._expire_requests(local)
        self._check_liveness()
        if self._dealer is not None and self._hello_done:
            self._fill_window()
            self._heartbeat()
        self._write_status()

    def _poll_ms(self) -> int:
        if self._dealer is None:
            return max(1, min(100, int((self._reconnect_at - time.monotonic()) * 1000)))
        if self._hello_done and len(self._inflight) < self.config.window:
            return int(self.config.idle_poll_s * 1000)
        return 100

    def _connect(self) -> None:
        dealer = self._ctx.socket(zmq.DEALER)
        dealer.linger = 0
        dealer.curve_publickey, dealer.curve_secretkey = self._curve
        dealer.curve_serverkey = self.config.server_public
        dealer.sndhwm = dealer.rcvhwm = 1000
        dealer.connect(self.config.endpoint)
        self._dealer = dealer
        self._hello_done = False
        self._inflight.clear()
        stats = self.outbox.stats()
        self.status.acked_seq = max(self.status.acked_seq, stats.last_acked_seq)
        self._send(
            Hello(
                self.device_id,
                stats.last_acked_seq,
                int(self.catalog_version()),
                time.time(),
                _AGENT_VERSION,
            )
        )
        self._hello_sent_at = self._last_rx = time.monotonic()
        self._set_state("connecting")

    def _disconnect(self, reason: str, *, state: str = "backoff") -> None:
        if self._dealer is not None:
            self._dealer.close(linger=0)
            self._dealer = None
        self._hello_done = False
        self._inflight.clear()
        delay = backoff_delay(
            self._attempt, self.config.backoff_base_s, self.config.backoff_cap_s, self._rng
        )
        if state == "revoked":
            delay = self.config.backoff_cap_s
        self._attempt += 1
        self._reconnect_at = time.monotonic() + delay
        self.status.reconnects += 1
        self.status.last_error = reason
        log.warning("disconnected (%s); reconnecting in %.1f s", reason, delay)
        self._set_state(state)

    def _send(self, message) -> None:
        assert self._dealer is not None
        try:
            self._dealer.send(encode(message), flags=zmq.NOBLOCK)
            self._last_tx = time.monotonic()
        except zmq.Again:
            pass  # send queue full: liveness checks reconnect if the link is dead

    # --- central → agent -------------------------------------------------------------------------
    def _read_central(self) -> None:
        try:
            while self._dealer is not None:
                try:
                    frame = self._dealer.recv(flags=zmq.NOBLOCK)
                except zmq.Again:
                    return
                self._last_rx = time.monotonic()
                try:
                    message = decode(frame)
                except ProtocolError as e:
                    log.warning("undecodable message from central: %s", e.code)
                    continue
                self._on_message(message)
        finally:
            # one durable outbox write for every ACK read in this burst
            if self._ack_to > self._acked_written:
                self.outbox.mark_acked(self._ack_to)
                self._acked_written = self._ack_to

    def _on_message(self, message) -> None:
        if isinstance(message, Ack):
            self._on_ack(message)
        elif isinstance(message, ErrorMessage):
            self._on_error(message)
        elif isinstance(message, Reply):
            self._on_reply(message)
        elif isinstance(message, Bundle):
            self._on_bundle(message)
        elif not isinstance(message, Heartbeat):
            log.warning("unexpected %s from central", type(message).__name__)

    def _on_ack(self, ack: Ack) -> None:
        committed = ack.committed_seq
        if ack.batch_id == 0:  # answer to HELLO
            self._hello_done = True
            self._attempt = 0
            self._next_seq = committed + 1
            self.status.central_committed_seq = committed
            self._set_state("connected")
            log.info("session open: central committed seq %d", committed)
            last_seq, _ = self.outbox.head()
            if committed < self.status.acked_seq:
                log.warning(
                    "central committed %d < locally acked %d: resending what is still here",
                    committed,
                    self.status.acked_seq,
                )
            if committed > last_seq:
                # The central side holds seqs this outbox never reached (a reset terminal
                # reusing its device id): new records would collide. Staff must re-enroll.
                log.error(
                    "central committed seq %d is ahead of the outbox (%d)", committed, last_seq
                )
                self.status.last_error = "central_ahead_of_outbox"
        while self._inflight and self._inflight[0].batch_id <= ack.batch_id:
            self._inflight.popleft()
        if ack.rejections:
            self.status.rejected += len(ack.rejections)
            log.warning("central quarantined %d record(s)", len(ack.rejections))
        self._ack_to = max(self._ack_to, committed)
        self.status.central_committed_seq = max(self.status.central_committed_seq, committed)
        if ack.batch_id:
            self.status.last_success_at = time.time()
            self.status.last_error = ""

    def _on_error(self, error: ErrorMessage) -> None:
        code = error.code
        if error.ref and error.ref in self._pending:
            self._on_reply(Reply(error.ref, False, {}, code))
            return
        if code == "deadline_passed":
            return  # a request answered too late; the kiosk has fallen back already
        log.warning("central error: %s", code)
        self.status.last_error = code
        if code == "revoked":
            self._disconnect("revoked", state="revoked")
        elif code in ("rate_limited", "store_unavailable", "busy"):
            # The batch was not stored: resend from the first unacked seq after the pause.
            self._paused_until = time.monotonic() + max(error.retry_after_ms, 100) / 1000
            # Batches before the refused one may still be ACKed; resend from the refused one
            # (or from the oldest in flight when the error names no batch).
            keep = [f for f in self._inflight if error.ref and f.batch_id < error.ref]
            dropped = [f for f in self._inflight if f not in keep]
            if dropped:
                self._next_seq = min(self._next_seq, dropped[0].first_seq)
                self._inflight = deque(keep)
        elif code == "hello_required":
            self._disconnect(code)
        else:  # bad_signature, chain_break, malformed...: reconnect later, nothing is lost
            self._disconnect(code)

    def _on_reply(self, reply: Reply) -> None:
        pending = self._pending.pop(reply.request_id, None)
        if pending is None:
            return  # answered too late; the kiosk has fallen back already
        self._local_replies.append(
            (pending.client, Reply(pending.client_request_id, reply.ok, reply.payload, reply.error))
        )

    def catalog_version(self) -> int:
        """The catalog version installed on the device (HELLO, BUNDLE_ACK, status)."""
        if self._catalog_version is None:
            return self.status.catalog_version
        return int(self._catalog_version())

    def _on_bundle(self, bundle: Bundle) -> None:
        if self.on_bundle is None:
            return
        try:
            applied = self.on_bundle(bundle.data)
            self.status.catalog_version = self.catalog_version()
            self._send(BundleAck(True, self.status.catalog_version, ""))
            log.info("bundle applied: %s (catalog %d)", applied, self.status.catalog_version)
        except Exception as e:  # noqa: BLE001 - a refusal (SyncError) or an applier bug alike
            self._send(BundleAck(False, self.catalog_version(), type(e).__name__))
            log.warning("bundle refused: %s", type(e).__name__)

    # --- agent → central -----------------------------------------------------------------------
    def _fill_window(self) -> None:
        if time.monotonic() < self._paused_until:
            return
        cfg = self.config
        while len(self._inflight) < cfg.window and self._dealer is not None:
            try:
                records = self.outbox.records_from(
                    self._next_seq, cfg.batch_max_records, cfg.batch_max_bytes
                )
            except RecordPrunedError as e:
                # The central side lacks records this device no longer holds (pruned, or in a
                # moved-aside file): the central reports the gap; send what is still here.
                skip_to = e.next_seq if e.next_seq is not None else self.outbox.head()[0] + 1
                skip_to = max(skip_to, e.seq + 1)
                log.error("records %d-%d no longer in the outbox", e.seq, skip_to - 1)
                self.status.last_error = "pruned_records"
                self._next_seq = skip_to
                continue
            if not records:
                break
            first, last = records[0].seq, records[-1].seq
            signature = sign_chain_head(
                self._signing_key, self.device_id, last, records[-1].record_hash
            )
            batch_id = next(_ids)
            self._send(
                Batch(
                    batch_id,
                    first,
                    tuple((r.header_bytes, r.ciphertext) for r in records),
                    signature,
                )
            )
            self._inflight.append(_InFlight(batch_id, first, last, time.monotonic()))
            self._next_seq = last + 1
            self._progress()

    def _heartbeat(self) -> None:
        if time.monotonic() - self._last_tx >= self.config.heartbeat_interval_s:
            self._send(Heartbeat(time.time()))

    def _check_liveness(self) -> None:
        if self._dealer is None:
            return
        now = time.monotonic()
        cfg = self.config
        if not self._hello_done and now - self._hello_sent_at > cfg.hello_timeout_s:
            self._disconnect("hello_timeout")
        elif self._inflight and now - self._inflight[0].sent_at > cfg.ack_timeout_s:
            self._disconnect("ack_timeout")
        elif now - self._last_rx > cfg.heartbeat_timeout_s:
            self._disconnect("heartbeat_timeout")

    # --- kiosk → agent (online requests) --------------------------------------------------------
    def _read_local(self, local: zmq.Socket) -> None:
        while True:
            try:
                frames = local.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            if len(frames) != 2:
                continue
            client, frame = frames
            try:
                message = decode(frame)
            except ProtocolError as e:
                local.send_multipart([client, encode(ErrorMessage(e.code))])
                continue
            if not isinstance(message, Request):
                local.send_multipart([client, encode(ErrorMessage("unexpected"))])
                continue
            if self._dealer is None or not self._hello_done:
                reply = ErrorMessage("offline", "", message.request_id)
                local.send_multipart([client, encode(reply)])
                continue
            central_id = next(_ids)
            self._pending[central_id] = _Pending(
                client, message.request_id, time.monotonic() + message.timeout_ms / 1000
            )
            self._send(Request(central_id, message.kind, message.payload, message.timeout_ms))

    def _expire_requests(self, local: zmq.Socket) -> None:
        now = time.monotonic()
        for central_id, pending in list(self._pending.items()):
            if now > pending.deadline:
                del self._pending[central_id]
                reply = ErrorMessage("timeout", "", pending.client_request_id)
                local.send_multipart([pending.client, encode(reply)])
        while self._local_replies:
            client, reply = self._local_replies.pop(0)
            local.send_multipart([client, encode(reply)])

    # --- status, progress, shutdown --------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        if self.status.state != state:
            self.status.state = state
            self.status.connected = state == "connected"
            self._write_status(force=True)

    def _check_outbox_file(self) -> None:
        """The kiosk process moved a damaged outbox aside: reopen and start a new session."""
        replaced = getattr(self.outbox, "file_replaced", None)
        try:
            if replaced is None or not replaced():
                return
            self.outbox.close()
            self.outbox.open()
        except SyncError as e:
            log.error("outbox reopen failed: %s", type(e).__name__)
            return
        log.warning("outbox file replaced; reopened")
        self._ack_to = self._acked_written = 0
        if self._dealer is not None:
            self._disconnect("outbox_replaced")

    @property
    def acked_seq(self) -> int:
        """Highest seq this agent has marked acked in the outbox (cheap: no outbox query)."""
        return self._acked_written

    def _write_status(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._status_written < self.config.status_interval_s:
            return
        self._status_written = now
        self._check_outbox_file()
        try:
            # head() is one row; stats() counts the whole table, too slow for every second
            last_seq, _ = self.outbox.head()
        except SyncError:
            return
        st = self.status
        st.last_seq, st.acked_seq = last_seq, max(st.acked_seq, self._acked_written)
        st.backlog = max(0, last_seq - st.acked_seq)
        st.updated_at = time.time()
        if self.config.status_path is not None:
            try:
                write_status(self.config.status_path, st)
            except OSError as e:
                log.warning("status file not written: %s", type(e).__name__)

    def _progress(self) -> None:
        now = time.monotonic()
        if now - self._last_progress >= self.config.progress_interval_s:
            self._last_progress = now
            last_seq, _ = self.outbox.head()
            log.info(
                "draining: %d record(s) waiting, central committed %d of %d",
                max(0, last_seq - self.status.central_committed_seq),
                self.status.central_committed_seq,
                last_seq,
            )

    def _shutdown(self, local: zmq.Socket) -> None:
        """Wait briefly for in-flight ACKs (nothing is lost either way: unacked records stay)."""
        deadline = time.monotonic() + self.config.drain_timeout_s
        while self._dealer is not None and self._inflight and time.monotonic() < deadline:
            if self._dealer.poll(50):
                self._read_central()
        if self._dealer is not None:
            self._dealer.close(linger=0)
            self._dealer = None
        for pending in self._pending.values():
            local.send_multipart([pending.client, encode(ErrorMessage("offline"))])
        local.close(linger=0)
        self._set_state("stopped")
        self._write_status(force=True)
        if self._own_context:
            self._ctx.term()


def enrolled_agent(config: AgentConfig, device, outbox, bundles, **kw) -> Agent:
    """The agent of an enrolled device (`sync.keyfiles.load_device_bundle`: its id and keys),
    applying downlink bundles into the `BundleStore` `bundles`, which also tells the installed
    catalog version. `kw` goes to `Agent` (e.g. `on_tick`). Not started."""
    return Agent(
        config,
        outbox,
        device.device_id,
        device.curve_public,
        device.curve_secret,
        device.signing_key,
        on_bundle=bundles.apply,
        catalog_version=lambda: bundles.versions().get("catalog", 0),
        **kw,
    )
