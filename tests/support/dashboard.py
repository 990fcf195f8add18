"""The dashboard tests' scenario pieces: fictional personal data that must never show, device kits
that seal records into real outboxes, a sync over the real receiver, the dashboard server on 127.0.0.1
and an HTTP client with the token."""

from __future__ import annotations

import time
from pathlib import Path

import requests
import zmq

from sync.central import Processor, open_store
from sync.central.dashboard.app import DashboardConfig, create_app
from sync.central.dashboard.centers import registry_centers
from sync.central.dashboard.server import DashboardServer, Listen
from sync.protocol import Ack, Hello
from tests.support.sync import (
    KEY_ID,
    DeviceKit,
    RawPeer,
    agent_for,
    device_kit,
    signed_batch,
    start_receiver,
    wait_until,
)

TOKEN = "dashboard-test-token-0123456789"
DAY = 86400

# Personal data inside the records: none of it may ever appear in a response.
NAME, KANA, ADDRESS = "山田 花子", "ヤマダ ハナコ", "東京都千代田区千代田1番1号"
BIRTH, PHONE = "1985-04-01", "0312345678"
EVACUEE, EVACUEE_ADDRESS = "グエン ヴァン アン", "大阪府大阪市北区梅田9丁目"
BOOKER = "佐藤 太郎"
SECRETS = [NAME, KANA, ADDRESS, BIRTH, PHONE, EVACUEE, EVACUEE_ADDRESS, BOOKER, "values"]

CENTERS = {"kita-01": "北センター", "minami-02": "南センター", "higashi-03": "東センター"}


class ShiftClock:
    """A device clock set per record: (unix seconds, synchronized)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> tuple[float, bool]:
        return time.time() + self.offset, True


def device_kit_at(tmp: Path, central, device_id: str) -> tuple[DeviceKit, ShiftClock]:
    clock = ShiftClock()
    return device_kit(tmp, central, device_id, clock=clock), clock


def append(kit: DeviceKit, clock: ShiftClock, kind: str, body: dict, ago: float = 60) -> None:
    clock.offset = -ago
    kit.outbox.append(kind, body)


def survey_body(service: str, score: int, reasons: list[str]) -> dict:
    return {
        "service": service,
        "score": score,
        "reasons": reasons,
        "language": "ja",
        "catalog_version": 1,
    }


def metric_body(procedure: str, outcome: str, steps: list) -> dict:
    return {
        "service": "procedure",
        "procedure": procedure,
        "outcome": outcome,
        "steps": steps,
        "language": "en",
        "catalog_version": 1,
    }


def personal_body(procedure: str, name: str, address: str) -> dict:
    return {
        "procedure": procedure,
        "catalog_version": 1,
        "language": "ja",
        "submitted_at": "2026-11-29T10:00:00+09:00",
        "values": {
            "name": name,
            "name_kana": KANA,
            "address": address,
            "birth_date": BIRTH,
            "phone": PHONE,
        },
        "corrected": ["address"],
    }


def sync_kits(central, db: str, kits: list[DeviceKit]) -> None:
    """Every outbox through the real agent and receiver, then the processing stage."""
    receiver = start_receiver(central, db)
    agents = [agent_for(k, central, receiver.endpoint).start() for k in kits]
    try:
        for kit in kits:
            last = kit.outbox.stats().last_seq
            assert wait_until(lambda kit=kit, last=last: kit.outbox.stats().last_acked_seq == last)
    finally:
        for agent in agents:
            agent.stop()
        receiver.stop()
    process_all(central, db)


def process_all(central, db: str) -> None:
    processor = Processor(lambda: open_store(db), {KEY_ID: central.sealing_key})
    try:
        processor.drain()
    finally:
        processor.store.close()


def send_with_gap(central, db: str, kit: DeviceKit) -> None:
    """Seqs 3-4 of `kit` straight over the wire (1-2 never come): a gap, reported."""
    receiver = start_receiver(central, db)
    ctx = zmq.Context()
    try:
        peer = RawPeer(
            ctx, receiver.endpoint, central.curve_public, kit.curve_public, kit.curve_secret
        )
        assert isinstance(peer.ask(Hello(kit.device_id, 0, 0, time.time())), Ack)
        assert peer.ask(signed_batch(kit, 3, 2, 1)) == Ack(1, 0)
        peer.close()
    finally:
        receiver.stop()
        ctx.destroy(linger=0)


class Client:
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.token = token

    def get(self, path: str, *, auth: str | None | bool = True, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if auth is True and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif isinstance(auth, str):
            headers["Authorization"] = auth
        return requests.get(self.url + path, headers=headers, timeout=20, **kw)

    def json(self, path: str) -> dict:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json")
        return response.json()


def serve(
    db: str, registry: Path | None, token: str | None = TOKEN, clock=time.time, **config
) -> DashboardServer:
    # these tests check exact small counts; small-cell suppression (default 10) has its own
    # tests in test_dashboard_hardening.py
    config.setdefault("min_residents", 1)
    app = create_app(
        DashboardConfig(db=db, token=token, **config),
        centers=registry_centers(registry),
        clock=clock,
    )
    return DashboardServer(
        app, token=token, token_env="MADOGUCHI_DASHBOARD_TOKEN", listen=Listen("127.0.0.1", 0)
    ).start()


PAGES = [
    "/",
    "/satisfaction",
    "/procedures",
    "/shelter",
    "/api/overview",
    *(f"/{p}?window={w}" for p in ("satisfaction", "procedures") for w in ("7d", "30d", "90d")),
    *(f"/api/{p}?window={w}" for p in ("satisfaction", "procedures") for w in ("7d", "30d", "90d")),
    "/shelter?window=72h",
    "/api/shelter?window=24h",
    "/api/shelter?window=72h",
]
