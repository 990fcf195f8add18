"""A call in a room (`CallRig(janus=True)`: the terminal's worker, the console, Debian's chromium
and Janus, real video) names its parties as staff read them: each staff member by display name
and role in Japanese (「田中（担当）」, 「グエン（通訳）」), the resident as 「相談者（<center>）」
over the big picture, in every console of the call; the header says the resident's language
and what to write in; a staff member's chat line carries the same name."""

from __future__ import annotations

import pytest

from madoguchi.rig.call import CallRig
from tests.support.consult import PASSWORD, add_staff, room_call_marks
from tests.support.paths import screenshot_dir

pytestmark = room_call_marks(200)
pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")
pytest.importorskip("playwright", reason="the console is driven by playwright (test extra)")

SCREENSHOTS = screenshot_dir()
VIETNAMESE = (
    "相談者の言語：ベトナム語（やさしい日本語（漢字を少なく、短い文）か英語で書いてください）"
)


def _captions(page) -> list[str]:
    return page.eval_on_selector_all(
        "#others figcaption", "els => els.map((e) => e.innerText.replace(/\\s+/g, ' ').trim())"
    )


def test_a_room_names_each_party_by_name_and_role_and_says_the_residents_language(tmp_path):
    with CallRig(tmp_path, janus=True) as rig:
        add_staff(rig.db, "tanaka", "specialist", display_name="田中")
        add_staff(rig.db, "nguyen", "interpreter", display_name="グエン")
        terminal = rig.call_port()
        terminal.wait_for("ready", 20)
        terminal.call("welfare", "vi")
        terminal.wait_for("queued", 20)

        tanaka = rig.console_page("tanaka", PASSWORD)
        tanaka.wait_for_selector("#queue tbody tr button.accept:not([disabled])")
        assert tanaka.inner_text("#queue tbody tr td.wait").startswith("待ち時間 ")
        tanaka.click("#queue tbody tr button.accept")
        tanaka.wait_for_function("() => window.consult.phase === 'call'", timeout=30_000)
        assert tanaka.inner_text("#call-language-ja") == VIETNAMESE
        assert tanaka.inner_text("#call-language-en") == (
            "Resident's language: Vietnamese (write in Easy Japanese (few kanji, short sentences) or English)"
        )
        tanaka.wait_for_function(
            "() => (window.consult.partyFrames().terminal || 0) >= 10", timeout=45_000
        )

        tanaka.evaluate("() => window.consult.invite('interpreter')")
        nguyen = rig.console_page("nguyen", PASSWORD)
        nguyen.wait_for_selector("#invites tbody tr button.join", timeout=20_000)
        nguyen.click("#invites tbody tr button.join")
        nguyen.wait_for_function("() => window.consult.phase === 'call'", timeout=30_000)

        # Each console: the resident over the big picture, the other staff member's tile by
        # name and role, with their video drawn (frames counted) under that caption.
        for page, other, feed in (
            (tanaka, "グエン（通訳） Interpreter", "interpreter|グエン"),
            (nguyen, "田中（担当） Specialist", "specialist|田中"),
        ):
            page.wait_for_function(
                "(feed) => { const f = window.consult.partyFrames();"
                " return (f.terminal || 0) >= 10 && (f[feed] || 0) >= 10; }",
                arg=feed,
                timeout=45_000,
            )
            assert _captions(page) == [other]
            assert (
                page.inner_text("#remote-label").split()[0] == "相談者（東町コミュニティセンター）"
            )
            assert page.inner_text("#call-language-ja") == VIETNAMESE
            # no login ID and no role id anywhere in the call's captions
            text = page.inner_text("#call-panel")
            assert "nguyen" not in text and "specialist" not in text, text

        # A staff member's chat line carries the same name.
        nguyen.wait_for_function(
            "() => window.consult.dc && window.consult.dc.readyState === 'open'", timeout=20_000
        )
        nguyen.evaluate("() => window.consult.sendChat('Xin chào. こんにちは。')")
        tanaka.wait_for_function(
            "() => window.consult.chat.some((m) => m.who === 'グエン（通訳）: ')", timeout=20_000
        )
        assert "グエン（通訳）: Xin chào. こんにちは。" in tanaka.inner_text("#chat-log")

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tanaka.evaluate("() => window.scrollTo(0, 0)")
        tanaka.screenshot(path=str(SCREENSHOTS / "consult-console-room-names.png"), full_page=True)
        nguyen.screenshot(path=str(SCREENSHOTS / "consult-console-room-names-interpreter.png"))

        tanaka.select_option("#outcome", "resolved")
        tanaka.click("#hangup")
        nguyen.wait_for_function("() => window.consult.call === null", timeout=15_000)
        terminal.wait_for("ended", 15)
