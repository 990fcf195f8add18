"""さがす on the real kiosk app (offscreen Kivy, the card reader behind pcscd, the test cupsd):
home's search box opens the search screen; an empty box shows no count and no hits; words typed
by tapping keys (kana, Latin letters) give the right first hit after the debounce; tapping it
lands where it belongs; a FAQ's answer with its offer and no count line; nothing found said with
other words to try (words that do find something, in the screen's language), 係員を呼ぶ and
相談する; the words gone after the wipe. Screenshots of home and the search screen in ja, en,
ja-easy and vi."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.paths import screenshot_dir

# (keyboard, keys tapped, what the session searched, first hit, the screen it opens)
CASES = [
    ("kana", "ひつ小こし", "ひっこし", "life_event_moving_in", "life_event_questions"),
    ("latin", "JUMINHYO", "JUMINHYO", "certificate_resident_record", "certificate_choose"),
    ("latin", "BABY", "BABY", "life_event_birth", "life_event_questions"),
    ("latin", "CON", "CON", "life_event_child_care", "life_event_questions"),
    # 印鑑 read as it is typed on the kana keys (いんかん): the catalog's word for it
    ("kana", "いんかん", "いんかん", "procedure_seal_registration", "procedure_intro"),
]


# What the home box and the search screen say (others' screens are checked by their tests).
SEARCH_MSGIDS = {
    "Search by words (e.g. moving, residence certificate)",
    "Search by words",
    "Type here",
    "Back",
    "Back to the results",
    "Call staff",
    "Consult",
    "Kana",
    "Latin letters",
    "Touch the keys. What matches appears here.",
    "Found: {count}. Touch one to open it.",
    "Nothing was found. Please try other words (for example: moving, insurance, tax).",
    "{kind}: {name}",
    "Life event",
    "Procedure",
    "Certificate",
    "Consultation",
    "Question",
}


def _wait_for_query(ui, words: str) -> None:
    """Frames until the debounced search ran (bounded: the test's own deadline)."""
    deadline = time.monotonic() + 10
    while ui.session.flows.search.query != words:
        assert time.monotonic() < deadline, f"no search for {words!r}"
        ui.frames(1)
        time.sleep(0.02)
    _settle(ui)


def _settle(ui) -> None:
    """Frames until the hits stop moving: their heights follow their text over a few frames and
    the list scrolls back to its top when refilled; a touch on a moving list stops the scroll
    instead of pressing a button (a test taps faster than a hand)."""
    hits = ui.root.current_screen.ids.hits

    def geometry():  # where each hit is on the window: the list itself may still be scrolling
        return [(tuple(w.to_window(*w.pos)), tuple(w.size)) for w in hits.children]

    before = None
    for _ in range(30):
        ui.frames(1)
        now = geometry()
        if now == before:
            return
        before = now


def _type(ui, keyboard: str, keys: str) -> None:
    screen = ui.root.current_screen
    if screen.keyboard != keyboard:
        ui.tap("kb_switch")
    assert screen.keyboard == keyboard
    ui.type(f"kb_{keyboard}", keys)


def _first_hit(ui):
    rows = ui.root.current_screen.ids.hits.children[::-1]
    assert rows, "no hits shown"
    return rows[0]


EMPTY_HINT = "キーを押してください。合うものがここに出ます。"


def _open_search(ui) -> None:
    ui.tap("search")
    assert ui.root.step == "search"
    assert ui.root.find("query").text == "ここに出ます"  # the box says where words appear
    # nothing typed: what to do, never "N件見つかりました", and no hits
    assert ui.root.find("found").text == EMPTY_HINT
    assert not ui.root.current_screen.ids.hits.children


@pytest.mark.timeout(300)
def test_typed_words_find_the_first_hit_and_open_it(kiosk_ui):
    ui = kiosk_ui
    ui.session.choose_language("ja")
    ui.app.render()
    for keyboard, keys, words, hit, lands_on in CASES:
        _open_search(ui)
        _type(ui, keyboard, keys)
        assert ui.root.find("query").text == words  # shown as typed, before the search
        _wait_for_query(ui, words)
        first = _first_hit(ui)
        assert first.kid == f"hit_{hit}", (words, [w.kid for w in first.parent.children[::-1]])
        kinds = {"life_event": "できごと", "procedure": "手続き", "certificate": "証明書"}
        kind = next(word for prefix, word in kinds.items() if hit.startswith(prefix))
        assert first.text.startswith(f"{kind}：")  # what it is, then its name
        ui.tap(first.kid)
        assert ui.root.step == lands_on, words
        if lands_on == "certificate_choose":  # preselected: the chosen certificate is lit
            assert ui.root.current_screen.cert_id == "resident_record"
            assert ui.root.find("cert_resident_record").style == "selected"
        ui.session.flows.visit.home()
        ui.app.render()


@pytest.mark.timeout(300)
def test_a_faq_answer_no_hits_and_the_wipe(kiosk_ui):
    ui = kiosk_ui
    ui.session.choose_language("ja")
    ui.app.render()
    _open_search(ui)
    _type(ui, "kana", "こ゛み")
    ui.tap("kb_kana_key_OK")  # OK searches at once, without waiting for the debounce
    ui.frames(2)
    assert ui.session.flows.search.query == "ごみ"
    assert ui.root.find("found").text.startswith("1件")
    ui.tap("hit_faq_garbage")
    answer = ui.root.find("faq_answer").text
    assert "ごみ分別ガイド" in answer
    # the answer page has no count line (「1件見つかりました。押すと開きます。」 was stale there)
    found = ui.root.find("found")
    assert found.text == "" and found.height == 0
    assert "見つかりました" not in _texts(ui)
    offer = ui.root.find("faq_offer")
    assert offer.text == "係員を呼ぶ"
    ui.tap("faq_offer")
    assert str(ui.session.notice.code) == "staff_called"
    ui.tap("back")  # back to the hits
    assert ui.root.find("hit_faq_garbage") is not None
    assert ui.root.find("found").text.startswith("1件")
    # Nothing found: said plainly, with a person to ask.
    _type(ui, "latin", "")
    ui.tap("kb_latin_key_CLEAR")  # the words typed so far stay when the keyboard changes
    ui.type("kb_latin", "QZXV")
    _wait_for_query(ui, "QZXV")
    assert ui.session.flows.search.hits == ()
    assert ui.root.find("found").text == (
        "見つかりませんでした。ほかのことばで さがしてみてください（例：ひっこし、ほけん、ぜいきん）"
    )
    assert ui.root.find("none_staff").text == "係員を呼ぶ"
    assert ui.root.find("none_consult").text == "相談する"
    # The wipe (idle, finish, card): the words leave the session, the screen and the keys.
    screen = ui.root.current_screen
    keyboards = list(screen._keyboards.values())
    ui.session.flows.visit.wipe("idle")
    ui.app.render()
    ui.frames(2)
    assert ui.root.step == "home"
    assert ui.session.flows.search.query == "" and ui.session.flows.search.hits == ()
    assert screen.query_text == "" and all(kb.value == "" for kb in keyboards)
    assert not screen.ids.hits.children
    _open_search(ui)  # a new visit starts with an empty box, no count, no hits
    # Emptied by hand: the hits and their count go at once with the words.
    _type(ui, "kana", "こ゛み")
    _wait_for_query(ui, "ごみ")
    assert ui.root.current_screen.ids.hits.children
    ui.tap("kb_kana_key_CLEAR")
    ui.frames(2)
    assert ui.root.find("query").text == "ここに出ます"
    assert ui.root.find("found").text == EMPTY_HINT
    assert not ui.root.current_screen.ids.hits.children


def _texts(ui) -> str:
    """Every label and button text on the current screen, one per line."""
    return "\n".join(
        w.text for w in ui.root.current_screen.walk() if isinstance(getattr(w, "text", None), str)
    )


# The no-results line's examples, typed as a resident of each language would on the screen's
# keys: each must find something (else the advice is a dead end).
EXAMPLES = {
    "ja": ("ひっこし", "ほけん", "ぜいきん"),
    "ja-easy": ("ひっこし", "ほけん", "ぜいきん"),
    "en": ("moving", "insurance", "tax"),
    "zh-Hans": ("moving", "insurance", "tax"),
    "ko": ("moving", "insurance", "tax"),
    "pt-BR": ("mudanca", "seguro", "imposto"),
    "vi": ("chuyen nha", "bao hiem", "thue"),
}


@pytest.mark.parametrize("lang", sorted(EXAMPLES))
def test_no_results_line_names_words_that_find_something(lang):
    from kiosk.app import LOCALE_DIR
    from kiosk.catalog import SearchIndex, default_catalog
    from madoguchi.core.i18n import load_translator

    line = load_translator(LOCALE_DIR, lang).gettext(
        "Nothing was found. Please try other words (for example: moving, insurance, tax)."
    )
    index = SearchIndex(default_catalog())
    for word in EXAMPLES[lang]:
        assert word in line, (lang, word, line)
        assert index.search(word.upper(), limit=8), (lang, word)


@pytest.mark.timeout(300)
def test_a_query_set_without_typing_shows_in_the_box(kiosk_ui):
    """The box says what the hits are for (a walk or a restored visit sets the query without
    keys): never hits and "8件見つかりました" under an empty box."""
    ui = kiosk_ui
    ui.session.choose_language("ja")
    ui.app.render()
    _open_search(ui)
    assert ui.session.flows.search.set_query("ひっこし")
    ui.app.render()
    ui.frames(2)
    assert ui.root.find("query").text == "ひっこし"
    assert ui.root.find("found").text.endswith("押すと開きます。")  # a count, or "the best" of more
    assert ui.root.current_screen.ids.hits.children


def _shoot(window, shots: Path, name: str) -> None:
    from tests.support.kivy_ui import frames

    frames(3)  # drawn before the window is read
    taken = window.screenshot(str(shots / name))
    Path(taken).replace(shots / name)  # Kivy numbers the file


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["ja", "en", "ja-easy", "vi"])
def test_search_screens_are_drawn(kivy_window, lang):
    from kiosk.ui.walk import PreviewUi

    shots = screenshot_dir()
    with PreviewUi(kivy_window) as ui:
        s, render = ui.session, ui.app.render
        s.choose_language(lang)
        render()
        _shoot(kivy_window, shots, f"search-kiosk-{lang}-home.png")
        assert s.flows.search.open()
        render()
        screen = ui.root.current_screen
        assert screen.name == "search"
        words = "ひっこし" if lang.startswith("ja") else {"en": "MOVING", "vi": "CHUYEN"}[lang]
        kb = screen._keyboards[screen.keyboard]
        kb.value = words
        screen._search_now()
        render()
        assert s.flows.search.hits and ui.root.find("hit_life_event_moving_in") is not None
        assert not ui.app.translator(lang).missing() & SEARCH_MSGIDS, lang
        _shoot(kivy_window, shots, f"search-kiosk-{lang}-results.png")
        kb.value = "ごみ" if lang.startswith("ja") else "GOMI"
        screen._search_now()
        assert s.flows.search.choose("faq:garbage")
        render()
        assert screen.answer_shown and screen.offer_text
        assert ui.root.find("found").text == ""  # no count over the answer
        _shoot(kivy_window, shots, f"search-kiosk-{lang}-faq.png")
        s.flows.search.back()
        kb.value = "QZXV"
        screen._search_now()
        render()
        assert screen.no_hits
        assert ui.root.find("found").text == ui.app.translator(lang).gettext(
            "Nothing was found. Please try other words (for example: moving, insurance, tax)."
        )
        _shoot(kivy_window, shots, f"search-kiosk-{lang}-none.png")
        # emptied: the hint again, with no count and no hits
        kb.value = ""
        render()
        assert not screen.ids.hits.children and screen.found_text == ui.app.translator(
            lang
        ).gettext("Touch the keys. What matches appears here.")
        _shoot(kivy_window, shots, f"search-kiosk-{lang}-empty.png")


def test_more_matches_than_shown_say_the_best_not_a_count(kivy_window):
    """Eight buttons at most: with more matches the line says these are the best and that more
    words narrow them down, never 「8件見つかりました」."""
    from kiosk.ui.walk import PreviewUi

    with PreviewUi(kivy_window) as ui:
        s = ui.session
        s.choose_language("ja")
        assert s.flows.search.open()
        assert s.flows.search.set_query("届")
        ui.app.render()
        assert ui.root.find("found").text == (
            "よく合う 8件です。ことばを足すと しぼれます。押すと開きます。"
        )
