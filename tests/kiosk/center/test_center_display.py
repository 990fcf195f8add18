"""What the calling display and the staff console say, in headless Debian chromium against a
real queue host on loopback (SQLite queue, waitress), tickets issued by a terminal over HTTP:
the host's clock (not the screen's), the counter to go to, 「お待ちの方はいません」 instead of
「約0分」, type large enough to read from 5 m, no English or code words in the display's own
text, and console messages in staff words (never an error code). Screenshots to the tmp dir
(tests.support.paths.screenshot_dir): center_display_empty.png, center_display_calling.png,
center_console_words.png."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from kiosk.center import CenterQueue, TerminalQueue
from tests.support.center import SHOTS, STAFF_PIN, chromium, client, running_host
from tests.support.sync import central_kit, device_kit

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]

# Today at 10:17 local time: not what the browser's own clock says now, so the display's clock
# can only read 10:17 if it shows the host's time.
_AT = dt.datetime.combine(dt.date.today(), dt.time(10, 17)).timestamp()

# The display's own text (not the ticket labels, which carry a letter): Japanese only.
_CHROME = "header, thead, .how, #no-calls, .next h2, #waiting, #estimates, #sound"


def _own_text(page) -> str:
    # a service's letter (手続き（A）) is the letter its tickets carry, not an English word
    return re.sub(r"（[ABCR]）", "", " ".join(page.locator(_CHROME).all_inner_texts()))


def test_display_clock_counter_nobody_waiting_and_size(tmp_path):
    central = central_kit()
    kit = device_kit(tmp_path, central, "host-term")
    now = [_AT]
    with (
        running_host(tmp_path, kit.outbox, clock=lambda: now[0]) as (host, server),
        chromium(tmp_path) as browser,
    ):
        display = browser.new_page()
        display.goto(server.url + "/display")
        display.wait_for_function("document.getElementById('clock').textContent === '10:17'")
        display.wait_for_function(
            "document.getElementById('waiting').textContent === 'お待ちの方はいません'"
        )
        # nobody waiting: no 「約0分」 lines, no estimate heading, a sentence for no calls
        assert display.locator("#estimates li").count() == 0
        assert not display.locator("#estimates-head").is_visible()
        assert display.locator("#no-calls").is_visible()
        assert "約0分" not in display.inner_text("body")
        own = _own_text(display)
        assert not re.search(r"[A-Za-z]", own), own
        display.screenshot(path=str(SHOTS / "center_display_empty.png"))

        terminal = TerminalQueue(
            client(server), CenterQueue(tmp_path / "t2.db", "higashi", mark="2"),
            kit.outbox.append, terminal="kiosk-2",
        )  # fmt: skip
        assert terminal.take_ticket("procedure", "ja")[0] == "A-001"
        assert terminal.take_ticket("certificate", "en")[0] == "B-001"
        host.queue.call_next("2")
        now[0] += 60
        display.wait_for_function("document.getElementById('clock').textContent === '10:18'")
        display.wait_for_function("document.querySelectorAll('#calls tr').length === 1")
        assert display.locator("#calls tr").first.inner_text().split() == ["A-001", "2番窓口"]
        assert not display.locator("#no-calls").is_visible()
        assert display.inner_text("#waiting") == "お待ちの方 1人"
        display.wait_for_function("document.querySelectorAll('#estimates li').length === 3")
        estimates = display.locator("#estimates li").all_inner_texts()
        assert all(
            re.fullmatch(r"(手続き（A）|証明書（B）|相談（C）)約[1-9][0-9]*分", e)
            for e in estimates
        )
        own = _own_text(display)
        assert not re.search(r"[A-Za-z]", own), own

        # read from 5 m: every line residents read is at least 32 px; the called number far more
        sizes = display.evaluate(
            """() => Object.fromEntries(["h1 .sub", "#clock", ".how", "thead th", "#calls td",
                "#waiting", "#estimates li", ".next li"].map((s) => [s,
                Math.min(...[...document.querySelectorAll(s)].map(
                    (e) => parseFloat(getComputedStyle(e).fontSize)))]))"""
        )
        assert all(px >= 32 for px in sizes.values()), sizes
        assert sizes["#calls td"] >= 80, sizes
        display.screenshot(path=str(SHOTS / "center_display_calling.png"))


def test_console_speaks_staff_words_not_codes(tmp_path):
    central = central_kit()
    kit = device_kit(tmp_path, central, "host-term")
    with running_host(tmp_path, kit.outbox) as (host, server), chromium(tmp_path) as browser:
        terminal = TerminalQueue(
            client(server), CenterQueue(tmp_path / "t2.db", "higashi", mark="2"),
            kit.outbox.append, terminal="kiosk-2",
        )  # fmt: skip
        terminal.take_ticket("procedure", "ja")
        console = browser.new_page()
        console.goto(server.url + "/")
        console.fill("#pin", "000000")
        console.click("button[type=submit]")
        login_error = console.inner_text(".error")
        assert "職員番号（PIN）が違う" in login_error and "5分" in login_error
        console.fill("#pin", STAFF_PIN)
        console.click("button[type=submit]")
        console.wait_for_selector("#call_next")
        buttons = console.locator(".actions button").all_inner_texts()
        for word in ("対応を始める", "対応を終える", "呼んでも来ない（不在）"):
            assert word in buttons, buttons
        console.click("#call_next")
        console.wait_for_function("document.getElementById('current').textContent === 'A-001'")
        # ending a ticket not started: the host refuses (wrong_state); staff read why, no code
        console.click("#end")
        console.wait_for_function("document.getElementById('message').textContent !== ''")
        message = console.inner_text("#message")
        assert message.startswith("できませんでした。") and "状態" in message
        assert not re.search(r"[a-z]+_[a-z]+", message), message
        terminal.staff_call("procedure_form")
        console.wait_for_selector("#alerts .alert")
        alert = console.inner_text("#alerts")
        assert "kiosk-2" in alert and "「申請の入力」の画面でお待ちです" in alert
        console.screenshot(path=str(SHOTS / "center_console_words.png"), full_page=True)
