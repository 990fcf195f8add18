"""The central receiver: one ZeroMQ ROUTER (CURVE server) with a ZAP allowlist of enrolled devices.

Invariants:
- Only enrolled, unrevoked CURVE keys complete the handshake (ZAP asks the allowlist each time).
  Every message is checked against the allowlist again, and open sessions are re-checked every
  `allowlist_recheck_s`, so a revocation closes an open session at once: the device gets
  ERROR("revoked") and nothing it sends is processed any more.
- A session speaks HELLO first; its device id must be the one enrolled for its key.
- Ack path for BATCH: decode strictly → verify the internal hash chain (`receiver_chain`) and
  the Ed25519 signature over the chain head → writer thread: `Store.commit_batches`
  (insert-if-absent, one transaction for the batches waiting together, COMMIT) → THEN
  ACK(highest contiguous committed seq, per-record rejections). A batch failing its signature or
  chain is kept in quarantine and refused with ERROR; nothing is ever dropped silently.
- Malformed, oversize or hostile frames are answered with ERROR and a log line; no input can
  raise out of the loop. Frames are decoded by `sync.cbor_safe` through `protocol.decode` (no
  tags, bounded depth and items, cost linear in the frame). Logs carry device ids, seqs and
  codes, never bodies.
- Limits are per enrolled device, not per connection (`receiver_auth.DeviceGate`): one message
  bucket and one byte bucket shared by all its connections, at most
  `max_connections_per_device` sessions (a new one evicts the oldest), and a quota of
  quarantined bytes (`quarantine_quota_bytes`): past it every BATCH of that device is refused
  with ERROR("quarantine_full") before it is verified or stored (its records stay in the
  device's outbox). ZMQ_MAXMSGSIZE and `limits.max_frame_bytes` (the smaller of the two) bound
  frames; every `ProtocolLimits` field is enforced by `decode`.
- Online REQUESTs run in a small thread pool (handlers never block the ack path); their REPLY
  goes back through the loop, the only thread touching the socket.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import zmq
from zmq.auth.thread import ThreadAuthenticator

from sync.central.errors import StoreError
from sync.central.receiver_auth import (
    Allowlist,
    Device,
    DeviceGate,
    DeviceLimits,
    MemoryAllowlist,
    ZapPolicy,
)
from sync.central.receiver_bundles import SessionOffers
from sync.central.receiver_chain import verify_batch
from sync.central.receiver_writer import CommitItem, CommitWriter, refused_item
from sync.central.store import Store, StoreHandle
from sync.errors import BindError, ChainError, ProtocolError, SignatureError
from sync.protocol import (
    Ack,
    Batch,
    Bundle,
    BundleAck,
    ErrorMessage,
    Heartbeat,
    Hello,
    ProtocolLimits,
    Reply,
    Request,
    decode,
    encode,
)
from sync.sealing import SealedRecord, verify_chain_head

__all__ = [
    "Allowlist",
    "Device",
    "MemoryAllowlist",
    "Receiver",
    "ReceiverConfig",
]

log = logging.getLogger("sync.central.receiver")


@dataclass(frozen=True)
class ReceiverConfig:
    bind: str = "tcp://127.0.0.1:5570"
    max_message_bytes: int = 8 * 1024 * 1024
    limits: ProtocolLimits = ProtocolLimits()
    rate_messages_per_s: float = 200.0
    rate_message_burst: float = 400.0
    rate_bytes_per_s: float = 64 * 1024 * 1024
    rate_bytes_burst: float = 128 * 1024 * 1024
    allowlist_recheck_s: float = 1.0
    session_idle_s: float = 120.0
    request_workers: int = 4
    max_request_timeout_ms: int = 30_000
    group_commit_records: int = 8000  # batches waiting together share one transaction (fsync)
    max_queued_records: int = 100_000  # verified but uncommitted; beyond it: ERROR busy (retry)
    bundle_recheck_s: float = 30.0  # ask `bundle_source` again for open sessions this often
    max_connections_per_device: int = 4  # sessions kept per device key; a new one evicts the oldest
    quarantine_quota_bytes: int = 64 * 1024 * 1024  # per device; past it its batches are refused
    quota_recheck_s: float = 60.0  # an over-quota device's use is re-read from the store


_SEEN_EVERY_S = 60.0  # heartbeats refresh a connected device's last_seen this often


@dataclass
class _Session:
    curve_key: bytes
    device: Device
    hello: bool
    seen: float
    resend_from: int | None = None  # after a `busy`: later batches wait for this seq again
    offers: SessionOffers | None = None  # downlink bundles offered in this session
    marked_seen: float = float("-inf")  # when `last_seen` was last written for this session


class Receiver:
    """Run with `start()` (own thread) / `stop()`, or `run()` in the calling thread.

    `store` is a zero-argument factory (`lambda: open_store(db)`): the store is opened in the loop
    thread. `handlers` map a REQUEST kind to `fn(device_id, payload) -> dict`. `bundle_source`
    is `fn(device_id, catalog_version) -> bytes | [bytes, ...] | None`, asked after each HELLO
    and every `bundle_recheck_s`; each new bundle goes down once per session as a BUNDLE
    (`receiver_bundles.directory_bundle_source` serves a directory's catalog and config).
    """

    def __init__(
        self,
        config: ReceiverConfig,
        store: Callable[[], Store],
        allowlist: Allowlist,
        server_public: bytes,
        server_secret: bytes,
        *,
        handlers: Mapping[str, Callable[[str, dict], dict]] | None = None,
        bundle_source: Callable[[str, int], bytes | Sequence[bytes] | None] | None = None,
        context: zmq.Context | None = None,
    ) -> None:
        # the smaller frame bound wins, so configuring either one is enough
        frame = min(config.max_message_bytes, config.limits.max_frame_bytes)
        self.config = dataclasses.replace(
            config, limits=dataclasses.replace(config.limits, max_frame_bytes=frame)
        )
        config = self.config
        self._gate = DeviceGate(
            DeviceLimits(
                config.rate_messages_per_s,
                config.rate_message_burst,
                config.rate_bytes_per_s,
                config.rate_bytes_burst,
                config.max_connections_per_device,
                config.quarantine_quota_bytes,
                config.quota_recheck_s,
            )
        )
        self._store_factory = store
        self.allowlist = allowlist
        self._server_public, self._server_secret = server_public, server_secret
        self.handlers = dict(handlers or {})
        self.bundle_source = bundle_source
        self._own_context = context is None
        self._ctx = context or zmq.Context()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._replies: queue.SimpleQueue = queue.SimpleQueue()  # request replies
        self._signal = f"inproc://central-receiver-{id(self):x}"
        self._sessions: dict[bytes, _Session] = {}
        self.endpoint = ""
        self.error: BaseException | None = None
        self.stats = {
            "batches": 0,
            "records_stored": 0,
            "duplicates": 0,
            "rejected": 0,
            "errors_sent": 0,
            "requests": 0,
            "bundles_applied": 0,
            "bundles_refused": 0,
            "rate_limited": 0,
            "sessions_evicted": 0,
            "quarantine_full": 0,
        }
        self._writer = CommitWriter(
            self._store_factory, self._ctx, self._signal, config.group_commit_records, self.stats
        )

    # --- lifecycle --------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> Receiver:
        self._thread = threading.Thread(
            target=self._run_guarded, name="central-receiver", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise StoreError("start", "receiver did not become ready")
        if self.error is not None:
            raise self.error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run_guarded(self) -> None:
        try:
            self.run()
        except BaseException as e:  # noqa: BLE001 - reported to start()/the CLI, never lost
            self.error = e
            self._ready.set()
            log.error("receiver stopped: %s", type(e).__name__)

    def run(self) -> None:
        """The loop; returns when `stop()` is called."""
        store = StoreHandle(self._store_factory)
        store.get()  # fail early (bad URL, unreachable database) with the store's error
        auth = ThreadAuthenticator(self._ctx, log=logging.getLogger("sync.central.zap"))
        auth.start()
        auth.configure_curve_callback(domain="*", credentials_provider=ZapPolicy(self.allowlist))
        router = self._ctx.socket(zmq.ROUTER)
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.config.request_workers, thread_name_prefix="central-request"
        )
        try:
            router.curve_server = True
            router.curve_publickey = self._server_public
            router.curve_secretkey = self._server_secret
            router.maxmsgsize = self.config.max_message_bytes
            router.linger = 0
            router.sndhwm = router.rcvhwm = 100_000
            try:
                router.bind(self.config.bind)
            except zmq.ZMQError as e:
                raise BindError(self.config.bind, e.strerror) from e
            self.endpoint = router.last_endpoint.decode()
            wake = self._ctx.socket(zmq.PULL)
            wake.linger = 0
            wake.bind(self._signal)
            writer = threading.Thread(target=self._writer.run, name="central-writer", daemon=True)
            writer.start()
            self._ready.set()
            log.info("receiver listening on %s", self.endpoint)
            try:
                self._loop(router, store, pool, wake)
            finally:
                self._writer.put(None)
                writer.join(30)
                wake.close(linger=0)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            router.close(linger=0)
            auth.stop()
            store.close()
            if self._own_context:
                self._ctx.term()

    def _loop(self, router: zmq.Socket, store: StoreHandle, pool, wake: zmq.Socket) -> None:
        poller = zmq.Poller()
        poller.register(router, zmq.POLLIN)
        poller.register(wake, zmq.POLLIN)
        next_sweep = time.monotonic() + self.config.allowlist_recheck_s
        next_offer = time.monotonic() + self.config.bundle_recheck_s
        pending_requests = 0
        while not self._stop.is_set():
            timeout = 20 if pending_requests else 200
            events = dict(poller.poll(timeout))
            if events.get(wake):
                while True:
                    try:
                        wake.recv(flags=zmq.NOBLOCK)
                    except zmq.Again:
                        break
            while True:
                try:
                    identity, message, device_id, quarantined = self._writer.results.get_nowait()
                except queue.Empty:
                    break
                if quarantined:  # conflicts kept by the writer count against the quota too
                    self._gate.add_quarantined(device_id, quarantined)
                self._send(router, identity, message)
            if events.get(router):
                for _ in range(1000):  # drain what is there, then look at the rest
                    try:
                        frames = router.recv_multipart(flags=zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        break
                    pending_requests += self._handle(router, store, pool, frames)
            while True:
                try:
                    identity, message = self._replies.get_nowait()
                except queue.Empty:
                    break
                pending_requests -= 1
                self._send(router, identity, message)
            if time.monotonic() >= next_sweep:
                self._sweep(router)
                next_sweep = time.monotonic() + self.config.allowlist_recheck_s
            if time.monotonic() >= next_offer:  # bundles published while sessions stay open
                for identity, session in list(self._sessions.items()):
                    self._offer_bundles(router, identity, session)
                next_offer = time.monotonic() + self.config.bundle_recheck_s

    # --- one message ------------------------------------------------------------------------
    def _send(self, router: zmq.Socket, identity: bytes, message) -> None:
        if isinstance(message, ErrorMessage):
            self.stats["errors_sent"] += 1
        try:
            router.send_multipart([identity, encode(message)], flags=zmq.NOBLOCK)
        except zmq.ZMQError as e:  # peer gone or queue full: the agent will resend
            log.warning("reply dropped: %s", e.strerror)

    def _error(self, router, identity: bytes, code: str, detail: str = "", **kw) -> int:
        if code != "rate_limited":  # a flood would flood the log too; counted in stats instead
            log.warning("error to peer: %s %s", code, detail[:80])
        self._send(router, identity, ErrorMessage(code=code, detail=detail[:200], **kw))
        return 0

    def _handle(self, router: zmq.Socket, store: StoreHandle, pool, frames) -> int:
        identity = frames[0].bytes
        if len(frames) != 2:
            return self._error(router, identity, "malformed", "expected one payload frame")
        frame = frames[1]
        try:
            curve_key = frame.get("User-Id").encode("ascii")
        except (zmq.ZMQError, UnicodeError, AttributeError):
            return self._error(router, identity, "unauthenticated")
        device = self.allowlist.lookup(curve_key)
        if device is None or device.revoked:
            self._drop_session(identity)
            return self._error(router, identity, "revoked", "device key not enrolled")
        session = self._sessions.get(identity)
        now = time.monotonic()
        if session is None:
            session = _Session(curve_key, device, False, now)
            self._sessions[identity] = session
            for old in self._gate.attach(device.device_id, identity):
                self._sessions.pop(old, None)
                self.stats["sessions_evicted"] += 1
                self._error(router, old, "too_many_connections", "newer session of this device")
        session.seen, session.device = now, device
        data = frame.buffer
        wait = self._gate.take(device.device_id, len(data))
        if wait > 0:  # per device: all its connections share the buckets
            self.stats["rate_limited"] += 1
            return self._error(
                router, identity, "rate_limited", retry_after_ms=int(wait * 1000) + 1
            )
        try:
            message = decode(data, self.config.limits)
        except ProtocolError as e:
            return self._error(router, identity, e.code, str(e))
        if isinstance(message, Hello):
            return self._hello(router, store, identity, session, message)
        if not session.hello:
            return self._error(router, identity, "hello_required")
        if isinstance(message, Batch):
            return self._batch(router, store, identity, session, message)
        if isinstance(message, Heartbeat):
            self._send(router, identity, Heartbeat(time.time()))
            self._mark_seen(store, session)
            return 0
        if isinstance(message, Request):
            return self._request(router, pool, identity, session, message)
        if isinstance(message, BundleAck):
            if session.offers is not None:
                session.offers.catalog_version = message.catalog_version
            self.stats["bundles_applied" if message.ok else "bundles_refused"] += 1
            log.info(
                "bundle %s on %s (catalog %d)",
                "applied" if message.ok else f"refused ({message.error})",
                device.device_id,
                message.catalog_version,
            )
            return 0
        return self._error(router, identity, "unexpected", type(message).__name__)

    def _hello(
        self, router, store: StoreHandle, identity: bytes, session: _Session, hello: Hello
    ) -> int:
        if hello.device_id != session.device.device_id:
            return self._error(
                router, identity, "wrong_device", "device id is not the enrolled one"
            )
        try:
            state = store.get().device_state(hello.device_id)
        except StoreError as e:
            store.reset()
            return self._error(router, identity, "store_unavailable", e.reason, retry_after_ms=1000)
        session.hello = True
        self._mark_seen(store, session, force=True)
        log.info(
            "hello from %s: device acked %d, central committed %d",
            hello.device_id,
            hello.last_acked_seq,
            state.committed_seq,
        )
        self._send(router, identity, Ack(0, state.committed_seq))
        session.offers = SessionOffers(hello.catalog_version)
        self._offer_bundles(router, identity, session)
        return 0

    def _mark_seen(self, store: StoreHandle, session: _Session, *, force: bool = False) -> None:
        """`last_seen` for a device that speaks without sending records: at HELLO, then at most
        once a minute on heartbeats. A store hiccup here is logged, never an error to the device."""
        now = time.time()
        if not force and now - session.marked_seen < _SEEN_EVERY_S:
            return
        session.marked_seen = now
        try:
            store.get().mark_seen(session.device.device_id, now)
        except StoreError as e:
            store.reset()
            log.warning("last seen not recorded: %s", e.reason)

    def _offer_bundles(self, router, identity: bytes, session: _Session) -> None:
        if self.bundle_source is None or session.offers is None:
            return
        try:
            due = session.offers.due(self.bundle_source, session.device.device_id)
        except Exception as e:  # noqa: BLE001 - a bundle source bug must not stop the loop
            log.error("bundle source failed: %s", type(e).__name__)
            return
        for data in due:
            self._send(router, identity, Bundle(data))

    def _batch(
        self, router, store: StoreHandle, identity: bytes, session: _Session, batch: Batch
    ) -> int:
        device_id = session.device.device_id
        if session.resend_from is not None:
            if batch.first_seq > session.resend_from:  # keep the stream contiguous: no gap
                return self._error(router, identity, "busy", ref=batch.batch_id, retry_after_ms=500)
            session.resend_from = None
        try:  # checked before any verification or write: an over-quota device costs nothing
            full = self._gate.over_quota(
                device_id, lambda: store.get().quarantined_bytes(device_id)
            )
        except StoreError as e:
            store.reset()
            return self._error(router, identity, "store_unavailable", e.reason, retry_after_ms=1000)
        if full:
            self.stats["quarantine_full"] += 1
            return self._error(
                router, identity, "quarantine_full", ref=batch.batch_id, retry_after_ms=60_000
            )
        last_seq = batch.first_seq + len(batch.records) - 1
        try:
            rows, head = verify_batch(batch.records, batch.first_seq, device_id)
            verify_chain_head(
                session.device.signing_public, device_id, last_seq, head, batch.head_signature
            )
        except (ChainError, SignatureError) as e:
            code = "bad_signature" if isinstance(e, SignatureError) else "chain_break"
            records = [SealedRecord(h, c) for h, c in batch.records]
            self._quarantine(device_id, batch, records, code)
            return self._error(router, identity, code, str(e), ref=batch.batch_id)
        if self._writer.backlog > self.config.max_queued_records:
            # back-pressure instead of unbounded memory: the agent pauses and resends
            session.resend_from = batch.first_seq
            return self._error(router, identity, "busy", ref=batch.batch_id, retry_after_ms=1000)
        # durable commit happens on the writer thread; the ACK follows it (see _writer)
        self._writer.put(CommitItem(identity, batch.batch_id, device_id, rows))
        return 0

    def _quarantine(self, device_id: str, batch: Batch, records, code: str) -> None:
        """Keep a refused batch; the write goes to the commit thread (no fsync on the loop)."""
        item = refused_item(device_id, batch.batch_id, batch.first_seq, records, code)
        self._writer.put(item)
        self._gate.add_quarantined(
            device_id, sum(len(r.header) + len(r.ciphertext) for r, _ in item.rows)
        )

    def _request(self, router, pool, identity: bytes, session: _Session, request: Request) -> int:
        handler = self.handlers.get(request.kind)
        if handler is None:
            self._send(router, identity, Reply(request.request_id, False, {}, "unknown_kind"))
            return 0
        self.stats["requests"] += 1
        timeout = min(request.timeout_ms, self.config.max_request_timeout_ms) / 1000.0
        deadline = time.monotonic() + timeout
        device_id = session.device.device_id

        def work() -> None:
            try:
                payload = handler(device_id, request.payload)
                reply = Reply(request.request_id, True, dict(payload), "")
            except Exception as e:  # noqa: BLE001 - a handler failure becomes an error REPLY
                log.warning("request %s failed: %s", request.kind, type(e).__name__)
                reply = Reply(request.request_id, False, {}, "handler_failed")
            if time.monotonic() <= deadline:  # past its deadline the caller has fallen back
                self._replies.put((identity, reply))
            else:
                self._replies.put(
                    (identity, ErrorMessage("deadline_passed", "", request.request_id))
                )

        pool.submit(work)
        return 1

    def _sweep(self, router: zmq.Socket) -> None:
        """Close sessions of keys revoked since they connected; forget idle sessions."""
        now = time.monotonic()
        for identity, session in list(self._sessions.items()):
            device = self.allowlist.lookup(session.curve_key)
            if device is None or device.revoked:
                log.warning("closing session of revoked device %s", session.device.device_id)
                self._error(router, identity, "revoked", "device key revoked")
                self._drop_session(identity)
            elif now - session.seen > self.config.session_idle_s:
                self._drop_session(identity)

    def _drop_session(self, identity: bytes) -> None:
        session = self._sessions.pop(identity, None)
        if session is not None:
            self._gate.detach(session.device.device_id, identity)
