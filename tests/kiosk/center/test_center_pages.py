"""The staff console and the calling display in headless Debian chromium against a real queue
host on loopback (SQLite queue, waitress), tickets issued by a terminal over HTTP, events into a
real outbox. Screenshots: docs/screenshots/center_*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.center import CenterQueue, TerminalQueue
from tests.support.center import SHOTS, STAFF_PIN, chromium, client, opened, running_host
from tests.support.sync import central_kit, device_kit

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]


def _login(page, url: str, pin: str = STAFF_PIN) -> None:
    page.goto(url + "/")
    page.fill("#pin", pin)
    page.click("button[type=submit]")


def test_console_calls_and_the_display_shows_and_speaks(tmp_path):
    central = central_kit()
    kit = device_kit(tmp_path, central, "host-term")
    places = (("kiosk-2", "入口側の端末"),)  # [center] places: staff know terminals by place
    with (
        running_host(tmp_path, kit.outbox, places=places) as (host, server),
        chromium(tmp_path) as browser,
    ):
        terminal = TerminalQueue(
            client(server), CenterQueue(tmp_path / "t2.db", "higashi", mark="2"),
            kit.outbox.append, terminal="kiosk-2",
        )  # fmt: skip
        assert terminal.take_ticket("procedure", "en") == ("A-001", 0)
        assert terminal.take_ticket("reserved", "ja") == ("R-001", 0)
        assert terminal.take_ticket("certificate", "vi")[0] == "B-001"

        display = browser.new_page()
        display.goto(server.url + "/display")
        display.wait_for_function("document.querySelectorAll('#next li').length === 3")
        assert display.locator("#next li").all_inner_texts() == ["R-001", "A-001", "B-001"]

        console = browser.new_page()
        _login(console, server.url, "000000")
        assert "職員番号（PIN）が違う" in console.inner_text(".error")
        console.screenshot(path=str(SHOTS / "center_console_login_error.png"))
        _login(console, server.url)
        console.wait_for_selector("#call_next")
        console.wait_for_function("document.querySelectorAll('#waiting li').length === 3")
        assert "R-001" in console.inner_text("#reservations")

        console.click("#call_next")  # counter 1: the reservation first
        console.wait_for_function("document.getElementById('current').textContent === 'R-001'")
        console.select_option("#counter", "2")
        console.click("#call_next")
        console.wait_for_function("document.getElementById('current').textContent === 'A-001'")
        display.wait_for_function("window.centerSpoken.length >= 3")
        spoken = display.evaluate("window.centerSpoken")
        assert spoken[0] == {"lang": "ja", "text": "番号、R 0 0 1番の方、1番窓口へお越しください。"}
        assert {"lang": "en", "text": "Number A 0 0 1, please come to counter 2."} in spoken
        rows = display.locator("#calls tr").all_inner_texts()
        assert rows[0].split() == ["A-001", "2番窓口"] and rows[1].split() == ["R-001", "1番窓口"]
        assert display.locator("#next li").all_inner_texts() == ["B-001"]
        # the wait estimate per service, from the host's measured counter times
        display.wait_for_function("document.querySelectorAll('#estimates li').length === 3")
        assert display.locator("#estimates li").first.inner_text().startswith("手続き（A）約")

        call_id = terminal.staff_call("procedure_form")
        console.wait_for_selector("#alerts .alert")
        assert "kiosk-2" in console.inner_text("#alerts") and "申請の入力" in console.inner_text(
            "#alerts"
        )
        assert console.inner_text("#alerts").startswith("係員呼出：入口側の端末（kiosk-2）の方が")
        console.screenshot(path=str(SHOTS / "center_console.png"), full_page=True)
        display.screenshot(path=str(SHOTS / "center_display.png"))
        console.click("#alerts button")
        console.wait_for_function("document.querySelectorAll('#alerts .alert').length === 0")
        assert terminal.staff_call_state(call_id)["state"] == "answered"

        console.click("#start")
        console.wait_for_function(
            "document.getElementById('current-state').textContent === '対応中'"
        )
        console.click("#end")
        console.wait_for_function("document.getElementById('current').textContent === '—'")

    events = [(b["ticket"], b["event"]) for b in opened(kit, central, "queue_event")]
    assert events == [
        ("A-001", "issued"), ("R-001", "issued"), ("B-001", "issued"), ("R-001", "called"),
        ("A-001", "called"), ("A-001", "started"), ("A-001", "ended"),
    ]  # fmt: skip
    calls = [(b["event"], b["terminal"]) for b in opened(kit, central, "staff_call")]
    assert calls == [("called", "kiosk-2"), ("answered", "kiosk-2")]
