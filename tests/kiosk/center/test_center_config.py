"""The `[center]` config table and the kiosk services wiring: the host terminal serves the queue
from its own process (real waitress on loopback, real outbox), a terminal's `TerminalQueue` and
`CenterStaffAlert` become the session's ports; bad values are refused by name."""

from __future__ import annotations

import pytest

from devices.card import CardReader
from kiosk.center import CenterConfigError, CenterQueue, HostClient, TerminalQueue
from kiosk.center.config import center_config
from kiosk.config import KioskConfigError, load_kiosk_config
from kiosk.services import KioskServices
from kiosk.session.config import hash_staff_pin
from kiosk.staff_alert import CenterStaffAlert
from tests.support.center import STAFF_PIN, TOKEN, opened
from tests.support.sync import central_kit, device_kit

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def token_file(tmp_path):
    p = tmp_path / "center-token"
    p.write_text(TOKEN + "\n")
    p.chmod(0o600)
    return p


def _table(token, **kw):
    return {
        "center": "higashi",
        "host_url": "http://127.0.0.1:8470",
        "token_file": str(token),
        "mark": "2",
        **kw,
    }


def test_a_full_table(token_file):
    c = center_config(_table(token_file, serve="127.0.0.1:0", counters=["1", "A"], name="東町"))
    assert (c.center, c.mark, c.token, c.serve, c.counters) == (
        "higashi", "2", TOKEN, ("127.0.0.1", 0), ("1", "A"),
    )  # fmt: skip
    assert TOKEN not in repr(c)  # nor in any error message (below)
    placed = center_config(_table(token_file, places={"K1": " 入口側の端末 ", "K-2": "2階"}))
    assert placed.places == (("K1", "入口側の端末"), ("K-2", "2階"))


@pytest.mark.parametrize(
    "change, field",
    [
        ({"mark": "0"}, "mark"),
        ({"mark": "12"}, "mark"),
        ({"host_url": "ftp://x"}, "host_url"),
        ({"center": "東町 センター"}, "center"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": True}, "timeout_s"),
        ({"serve": "nowhere"}, "serve"),
        ({"serve": "0.0.0.0:70000"}, "serve"),
        ({"counters": ["1", "1"]}, "counters"),
        ({"counters": []}, "counters"),
        ({"token_file": "/nonexistent/token"}, "token_file"),
        ({"bogus": 1}, "bogus"),
        ({"places": ["入口"]}, "places"),
        ({"places": {"K1": ""}}, "places"),
        ({"places": {"K1": "入口\n2階"}}, "places"),
        ({"places": {"K 1": "入口"}}, "places"),
        ({"places": {"K1": "あ" * 41}}, "places"),
        ({"places": {"K1": 3}}, "places"),
    ],
)
def test_bad_values_are_refused_by_name(token_file, change, field):
    with pytest.raises(CenterConfigError) as e:
        center_config({**_table(token_file), **change})
    assert e.value.field == field and TOKEN not in str(e.value)


def test_a_short_token_is_refused(tmp_path):
    p = tmp_path / "t"
    p.write_text("short")
    with pytest.raises(CenterConfigError, match="at least 24"):
        center_config(_table(p))


def test_kiosk_config_center_table(tmp_path):
    p = tmp_path / "kiosk.toml"
    p.write_text('[center]\ncenter = "higashi"\nmark = "3"\n')
    assert load_kiosk_config(p).center == {"center": "higashi", "mark": "3"}
    p.write_text('center = "higashi"\n')
    with pytest.raises(KioskConfigError, match=r"\[center\] must be a table"):
        load_kiosk_config(p)


def test_the_host_terminal_serves_and_a_terminal_uses_it(tmp_path, token_file):
    central = central_kit()
    kit = device_kit(tmp_path, central, "HOST")
    pin_hash = hash_staff_pin(STAFF_PIN, iterations=1000)
    services = KioskServices(
        card_reader=CardReader("no reader"),
        outbox=kit.outbox,
        center_config=center_config(_table(token_file, serve="127.0.0.1:0", mark="1")),
        center_host_db=tmp_path / "center-host.sqlite3",
    )
    server = services.start_center_host(lambda: pin_hash)
    terminal = TerminalQueue(
        HostClient(server.url, TOKEN),
        CenterQueue(tmp_path / "t2.db", "higashi", mark="2"),
        kit.outbox.append,
        terminal="T2",
    ).start(interval_s=0.1)
    other = KioskServices(card_reader=CardReader("no reader"), outbox=kit.outbox)
    other.center_queue = terminal
    try:
        ports = other.ports()
        assert ports.queue is terminal and isinstance(ports.alert, CenterStaffAlert)
        assert ports.queue.take_ticket("certificate", "ko") == ("B-001", 0)
    finally:
        other.close()  # stops the terminal's sync thread
        services.close()
    assert [b["ticket"] for b in opened(kit, central, "queue_event")] == ["B-001"]
