"""Checklist cards say where each procedure is done in words on their first line (review: they
differed by colour alone): a badge per true state — here, pre-fill here then the counter, the
counter (also for an item pre-filled here, which the counter finishes), online, done — left
aligned, and the sentence above the list quotes the badges word for word."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.ui.walk import PreviewUi
from tests.support.kivy_ui import frames
from tests.support.paths import screenshot_dir

BADGES = {
    "ja": {"here": "【ここでできます】", "prefill": "【ここで入力 → 窓口で完了】",
           "office": "【窓口へ】", "prefilled": "【入力ずみ → 窓口へ】", "online": "【オンラインで】",
           "done": "【済み】"},
    "en": {"here": "[Can be done here]", "prefill": "[Enter here → finish at the counter]",
           "office": "[Go to the counter]", "prefilled": "[Entered → go to the counter]",
           "online": "[Online]", "done": "[Done]"},
}  # fmt: skip


@pytest.fixture
def ui(kivy_window):
    with PreviewUi(kivy_window) as preview:
        preview.worker.hold = False
        yield preview


def _render(ui):
    ui.app.render()
    frames(2)


def _shot(ui, name):
    frames(3)
    taken = ui.window.screenshot(str(screenshot_dir() / name))
    Path(taken).replace(screenshot_dir() / name)


def _sample(spec) -> str:
    kind = str(spec.kind)
    return {"number": str(spec.min_value if spec.min_value is not None else 1),
            "choice": spec.choices[0].id if spec.choices else "", "latin": "MIHON HANAKO",
            "date": "2000-01-01", "address_number": "1-2", "sex": "9"}.get(kind, "みほん")  # fmt: skip


def _submit(ui, procedure_id):
    """The resident does this procedure here and comes back to the list (the real journey)."""
    s = ui.session
    assert s.choose_procedure(procedure_id)
    assert s.start_procedure()
    s.card_inserted()
    s.submit_pin("1234")
    for fv in s.form.values:
        if not fv.value:
            s.correct_field(fv.name, _sample(fv.spec))
    assert s.confirm(), s.notice
    assert s.return_to_checklist()
    s.card_removed()
    _render(ui)


def _cards(ui):
    s = ui.session
    return {
        i.procedure_id: (str(i.state), ui.root.find(f"proc_{i.procedure_id}")) for i in s.checklist
    }


def _check_cards(ui, language):
    """Each card's first line is its state's badge, alone; the card is left-aligned."""
    badges = BADGES[language]
    cards = _cards(ui)
    for pid, (state, card) in cards.items():
        first, *rest = card.text.split("\n")
        assert first == badges[state], (pid, card.text)
        assert rest and not any(b in "\n".join(rest) for b in set(badges.values()))
        assert card.halign == "left", pid  # a card of several lines reads from its left edge
    return {state for state, _w in cards.values()}


@pytest.mark.timeout(180)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_card_starts_with_the_badge_of_its_true_state(ui, language):
    s = ui.session
    s.choose_language(language)
    s.open_life_events()
    s.choose_life_event("moving_in")
    while s.current_question is not None:
        s.answer(s.current_question.id, True)
    _render(ui)
    seen = _check_cards(ui, language)  # before: here, prefill, office, online
    _shot(ui, f"checklist_badges_{language}.png")
    _submit(ui, "moving_in")  # pre-filled here: the counter finishes it
    _submit(ui, "child_allowance")  # done here
    assert ui.root.step == "checklist"
    seen |= _check_cards(ui, language)
    _shot(ui, f"checklist_badges_done_{language}.png")
    assert seen == set(BADGES[language])  # every state the session has, each with its badge
    cards = _cards(ui)
    assert cards["moving_in"][0] == "prefilled" and cards["child_allowance"][0] == "done"
    badges = BADGES[language]
    intro = ui.root.find("checklist_intro").text
    # the badges' very words, each of the three a card can start with before it is done
    assert badges["here"] in intro and badges["office"] in intro and badges["prefill"] in intro
    if language == "ja":
        assert "この機械" in intro and "端末" not in intro and "青い" not in intro
        assert "受付番号" in cards["child_allowance"][1].text
