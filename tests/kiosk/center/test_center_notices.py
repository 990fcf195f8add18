"""Notices on the calling display come only from staff of the center (logged in, CSRF) or from
city hall's signed config bundle: on the real Flask app with a real SQLite queue, the config
bundle signed and read back through `ConfigBundleView`, and the display and console in headless
Debian chromium (screenshots). Bad input is a 400 with a code and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.center import CenterQueue
from kiosk.center.host import CenterHost, HostConfig, create_app
from kiosk.center.notices import MAX_STAFF, city_notices
from kiosk.services import ConfigBundleView
from kiosk.session.config import hash_staff_pin
from sync.bundles import sign_bundle
from tests.support.center import SHOTS, STAFF_PIN, TOKEN, chromium
from tests.support.sync import central_kit, device_kit

pytestmark = pytest.mark.timeout(120)

AUTH = {"Authorization": f"Bearer {TOKEN}"}
WATER = {"id": "water-1", "kind": "water", "ja": "給水車は 10時と15時に 正面玄関に来ます。",
         "en": "Water truck at the main entrance at 10:00 and 15:00."}  # fmt: skip


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def host(tmp_path):
    clock = _Clock()
    queue = CenterQueue(tmp_path / "host.db", "higashi", clock=clock)
    city: list = []
    h = CenterHost(
        HostConfig("higashi", "東町", TOKEN),
        queue,
        lambda kind, body: None,
        lambda: hash_staff_pin(STAFF_PIN, iterations=1000),
        city_notices=lambda: city,
    )
    h.city, h.clock = city, clock
    yield h
    queue.close()


def _staff(app):
    c = app.test_client()
    assert c.post("/login", data={"pin": STAFF_PIN}).status_code == 303
    page = c.get("/").get_data(as_text=True)
    return c, {"X-CSRF-Token": page.split('name="csrf" content="')[1].split('"')[0]}


def _board(c) -> list[dict]:
    return c.get("/api/board").json["notices"]


def test_staff_post_and_withdraw_a_notice_the_display_shows(host):
    app = create_app(host)
    c, csrf = _staff(app)
    r = c.post("/api/console/notice_post", headers=csrf,
               json={"kind": "bath", "ja": "入浴は 18時から 20時まで。", "hours": 2})  # fmt: skip
    assert r.status_code == 200
    notice_id = r.json["result"]["id"]
    public = app.test_client()  # the display: no login
    [shown] = _board(public)
    assert shown["source"] == "staff" and shown["ja"] == "入浴は 18時から 20時まで。"
    assert "入浴は 18時から 20時まで。" in public.get("/notices").get_data(as_text=True)
    assert [n["id"] for n in c.get("/api/console").json["notices"]] == [notice_id]
    host.clock.now += 2 * 3600 + 1  # its hours have passed: gone by itself
    assert _board(public) == []
    r = c.post("/api/console/notice_post", headers=csrf, json={"kind": "food", "ja": "夕食 17時"})
    second = r.json["result"]["id"]
    assert c.post("/api/console/notice_withdraw", headers=csrf,
                  json={"notice": second}).status_code == 200  # fmt: skip
    assert _board(public) == []
    assert "いま出ているお知らせはありません" in public.get("/notices").get_data(as_text=True)


def test_only_staff_can_add_a_notice(host):
    app = create_app(host)
    anyone = app.test_client()
    for headers in ({}, AUTH):  # the public display, a terminal's token
        r = anyone.post("/api/console/notice_post", headers=headers,
                        json={"kind": "water", "ja": "偽のお知らせ"})  # fmt: skip
        assert r.status_code == 403
    c, _csrf = _staff(app)
    r = c.post("/api/console/notice_post", json={"kind": "water", "ja": "CSRF なし"})
    assert r.status_code == 403 and r.json["error"] == "csrf"
    assert _board(anyone) == []


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"kind": "party", "ja": "x"}, "bad_kind"),
        ({"kind": "water", "ja": ""}, "bad_ja"),
        ({"kind": "water", "ja": "   "}, "bad_ja"),
        ({"kind": "water", "ja": "あ" * 301}, "bad_ja"),
        ({"kind": "water", "ja": "一行目\n二行目"}, "bad_ja"),
        ({"kind": "water", "ja": "x", "en": "\u2028"}, "bad_en"),
        ({"kind": "water", "ja": 5}, "bad_ja"),
        ({"kind": "water", "ja": "x", "hours": 0}, "bad_hours"),
        ({"kind": "water", "ja": "x", "hours": 169}, "bad_hours"),
        ({"kind": "water", "ja": "x", "hours": True}, "bad_hours"),
        ({"kind": "water", "ja": "x", "hours": "2"}, "bad_hours"),
    ],
)
def test_a_bad_notice_is_a_400_and_nothing_is_shown(host, payload, code):
    c, csrf = _staff(create_app(host))
    r = c.post("/api/console/notice_post", headers=csrf, json=payload)
    assert r.status_code == 400 and r.json == {"ok": False, "error": code}
    assert _board(c) == []


def test_withdraw_refuses_city_and_unknown_notices_and_staff_notices_are_bounded(host):
    host.city.extend(city_notices([WATER], "higashi"))
    c, csrf = _staff(create_app(host))
    for notice, code in (("city-water-1", "bad_notice"), ("staff-00000000", "unknown_notice"),
                         (None, "bad_notice")):  # fmt: skip
        r = c.post("/api/console/notice_withdraw", headers=csrf, json={"notice": notice})
        assert r.status_code == 400 and r.json["error"] == code
    for i in range(MAX_STAFF):
        assert c.post("/api/console/notice_post", headers=csrf,
                      json={"kind": "general", "ja": f"お知らせ {i}"}).status_code == 200  # fmt: skip
    r = c.post("/api/console/notice_post", headers=csrf, json={"kind": "general", "ja": "21"})
    assert r.status_code == 400 and r.json["error"] == "too_many_notices"
    shown = _board(c)
    assert len(shown) == MAX_STAFF + 1 and shown[0]["source"] == "city"


def _bundle(directory: Path, key, version: int, payload: dict) -> None:
    data = sign_bundle("config", version, payload, signing_key=key,
                       expires_at=datetime.now(UTC) + timedelta(days=30))  # fmt: skip
    (directory / "config.bundle").write_bytes(data)


def test_city_notices_come_only_from_a_signed_config_bundle(tmp_path):
    key = Ed25519PrivateKey.generate()
    view = ConfigBundleView(tmp_path, key.public_key())
    assert view.notices("higashi") == []
    only_nishi = {"id": "bath-nishi", "kind": "bath", "ja": "入浴 18時", "centers": ["nishi"]}
    past = {
        "id": "old",
        "kind": "food",
        "ja": "昨日の炊き出し",
        "until": "2020-01-01T00:00:00+09:00",
    }
    _bundle(tmp_path, key, 1, {"notices": [WATER, only_nishi, past]})
    got = view.notices("higashi")
    assert [n["id"] for n in got] == ["city-water-1", "city-old"]
    assert [n["id"] for n in view.notices("nishi")] == [
        "city-water-1",
        "city-bath-nishi",
        "city-old",
    ]
    for version, bad in enumerate(
        (
            [{**WATER, "kind": "party"}],
            [{**WATER, "ja": ""}],
            [{**WATER, "id": "a b"}],
            [{**WATER, "until": "2026-12-03T10:00"}],  # no offset
            [{**WATER, "centers": "higashi"}],
            [{**WATER, "url": "https://x"}],
            {"water": WATER},
            [WATER] * 21,
        ),
        start=2,
    ):
        _bundle(tmp_path, key, version, {"notices": bad})
        assert view.notices("higashi") == got  # a malformed entry leaves the last good ones
    # Signed by another key: nothing is taken from it.
    _bundle(tmp_path, Ed25519PrivateKey.generate(), 20, {"notices": [{**WATER, "ja": "偽"}]})
    assert view.notices("higashi") == got
    # On the host, a city notice whose end time passed is not shown.
    queue = CenterQueue(tmp_path / "host.db", "higashi")
    try:
        h = CenterHost(HostConfig("higashi", "東町", TOKEN), queue, lambda k, b: None,
                       lambda: None, city_notices=lambda: view.notices("higashi"))  # fmt: skip
        assert [n["id"] for n in h.notices.current()] == ["city-water-1"]
    finally:
        queue.close()


def test_city_notices_carry_when_they_were_posted(tmp_path):
    """`posted` (with its offset) is the notice's own time (`at`); every city notice also
    carries its bundle's `issued_at` (`published`), the day shown when `posted` is missing."""
    key = Ed25519PrivateKey.generate()
    view = ConfigBundleView(tmp_path, key.public_key())
    issued = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
    posted = {**WATER, "id": "water-2", "posted": "2026-11-04T10:30:00+09:00"}
    data = sign_bundle("config", 1, {"notices": [WATER, posted]}, signing_key=key,
                       issued_at=issued, expires_at=issued + timedelta(days=30))  # fmt: skip
    (tmp_path / "config.bundle").write_bytes(data)
    plain, timed = view.notices("higashi")
    assert plain["at"] is None and plain["published"] == issued.timestamp()
    assert timed["at"] == datetime(2026, 11, 4, 1, 30, tzinfo=UTC).timestamp()
    for bad in ("2026-11-04T10:30", "11月4日", 1730683800):  # no offset, not a date, not text
        with pytest.raises(ValueError, match="bad_posted"):
            city_notices([{**WATER, "posted": bad}], "higashi")


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing")
def test_the_display_and_console_show_notices_with_their_source(tmp_path):
    from kiosk.center.server import HostServer

    central = central_kit()
    kit = device_kit(tmp_path, central, "host-term")
    queue = CenterQueue(tmp_path / "host.db", "higashi")
    city = city_notices([WATER], "higashi")
    host = CenterHost(
        HostConfig("higashi", "東町コミュニティセンター", TOKEN, counters=("1", "2")),
        queue, kit.outbox.append, lambda: hash_staff_pin(STAFF_PIN, iterations=1000),
        city_notices=lambda: city,
    )  # fmt: skip
    server = HostServer(create_app(host)).start()
    try:
        with chromium(tmp_path) as browser:
            console = browser.new_page()
            console.goto(server.url + "/")
            console.fill("#pin", STAFF_PIN)
            console.click("button[type=submit]")
            console.wait_for_selector("#notice-form")
            console.select_option("#notice-form select[name=kind]", "food")
            console.fill(
                "#notice-form textarea[name=ja]", "夕食は 17時30分から 1階ホールで配ります。"
            )
            console.fill(
                "#notice-form textarea[name=en]", "Dinner from 17:30 in the hall, 1st floor."
            )
            console.click("#notice-form button[type=submit]")
            console.wait_for_function("document.querySelectorAll('#notices li').length === 2")
            assert "呼出表示に出しました" in console.inner_text("#notice-message")
            assert "市役所から・署名済み" in console.inner_text("#notices")
            display = browser.new_page()
            display.goto(server.url + "/display")
            display.wait_for_function("document.querySelectorAll('#notices li').length === 2")
            items = display.locator("#notices li").all_inner_texts()
            assert "給水" in items[0] and "市役所から" in items[0]
            assert "食事" in items[1] and "センターから" in items[1] and "17時30分" in items[1]
            display.screenshot(path=str(SHOTS / "center_display_notices.png"))
            console.screenshot(path=str(SHOTS / "center_console_notices.png"), full_page=True)
            sheet = browser.new_page()
            sheet.goto(server.url + "/notices")
            assert len(sheet.locator("#notices li").all()) == 2
            sheet.screenshot(path=str(SHOTS / "center_notices_sheet.png"), full_page=True)
    finally:
        server.stop()
        queue.close()
