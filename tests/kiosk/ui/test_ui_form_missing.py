"""A form with required entries still empty (review A9) and the card left in the reader at the
end (review A14), in the real app over the card simulator behind the test pcscd and the test
cupsd (fixture of tests/kiosk/ui/conftest.py).

A9: an empty required entry reads 「入力してください」 on a marked box, the line above 申請 names
what is still empty, and 申請 then opens the first one's editor titled 「…を入力してください」.
A14: 「カードをお取りください」 in large type on the done screen, said aloud even with voice
guidance off, until pcscd reports the card removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kiosk_driver import place_card
from tests.support.paths import screenshot_dir


def shot(ui, name: str) -> None:
    ui.frames(3)
    taken = ui.window.screenshot(str(screenshot_dir() / name))
    Path(taken).replace(screenshot_dir() / name)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("language", ["ja", "en", "ja-easy"])
def test_empty_required_entries_are_named_and_submit_takes_you_there(kiosk_ui, language):
    ui = kiosk_ui
    ui.session.flows.visit.choose_language(language)
    ui.open_procedure("nhi_enroll")
    card = place_card(ui).insert()
    try:
        ui.enter_pin()
        assert ui.step == "form_confirm"
        ui.frames(2)
        form = ui.session.form
        kana = form.field("name_kana").spec.label[language]
        box = ui.root.find("value_name_kana")
        assert box.text == ui.app.tr("Not entered yet") and box.style == "warn"
        assert ui.root.find("value_name").style == "field"  # a filled entry is not marked
        line = ui.text("missing_line")
        empty = [fv.spec.label[language] for fv in form.values if fv.spec.required and not fv.value]
        assert len(empty) >= 2 and all(label in line for label in empty), line
        # while entries are empty the button says what it does: no "submit" (review)
        assert ui.text("confirm") == ui.app.tr("Fill in what is still empty")
        if language == "ja":
            assert ui.text("confirm") == "まだの項目を入力する"
        shot(ui, f"form_missing_{language}.png")
        ui.tap("confirm")
        assert ui.step == "form_confirm"
        assert ui.root.current_screen.editing == "name_kana"
        title = ui.app.tr("Please enter: {field}", field=kana)
        ui.frames(2)
        assert title in ui.screen_texts()  # 「氏名（フリガナ）を入力してください」
        if language == "ja":
            assert f"{kana}を入力してください" == title
        shot(ui, f"form_missing_editor_{language}.png")
        ui.type("kb_kana", "やまた")
        ui.tap("kb_kana_key_OK")
        ui.frames(2)
        assert ui.root.find("value_name_kana").style == "field"
        assert kana not in ui.text("missing_line")  # no longer named as empty
    finally:
        card.remove()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("language", ["ja", "en", "ja-easy"])
def test_a_card_left_in_the_reader_is_said_aloud_and_shown_large(kiosk_ui, language):
    ui = kiosk_ui
    ui.session.flows.visit.choose_language(language)
    assert not ui.app.voice.enabled  # guidance off: the reminder is said all the same
    ui.open_procedure("nhi_enroll")
    card = place_card(ui).insert()
    try:
        ui.enter_pin()
        ui.tap("fix_name_kana")
        ui.type("kb_kana", "やまた")
        ui.tap("kb_kana_key_OK")
        for field, digits in (("insured_count", "1"), ("phone", "0532")):
            ui.tap(f"fix_{field}")
            ui.type("kb_numeric", digits)
            ui.tap("kb_numeric_key_OK")
        ui.tap("confirm")
        assert ui.step == "done", ui.session.notice
        ui.frames(2)
        reminder = ui.app.tr("Please take your card.")
        label = ui.root.find("take_card")
        assert label.text == reminder and label.role == "title" and label.style == "warn"
        assert (language, reminder) in ui.app.voice.spoken
        shot(ui, f"done_take_card_{language}.png")
        said = len(ui.app.voice.spoken)
        card.remove()
        assert ui.until(lambda: ui.text("take_card").strip() == "")
        ui.tap("next")
        assert ui.step == "survey"
        assert ui.text("take_card").strip() == ""
        assert len(ui.app.voice.spoken) == said or ui.app.voice.spoken[-1] != (language, reminder)
    finally:
        card.remove()


@pytest.mark.timeout(180)
def test_a_card_left_when_the_resident_walks_away_is_named_before_the_wipe(kiosk_ui):
    """Idle on a form with the card in the reader: 「まだご利用中ですか？」 also says to take the
    card, aloud; the wipe then leaves nothing (the card is the resident's to take)."""
    ui = kiosk_ui
    ui.open_procedure("nhi_enroll")
    card = place_card(ui).insert()
    try:
        ui.enter_pin()
        assert ui.step == "form_confirm"
        ui.advance(ui.session.config.form_idle_timeout_s + 1)
        assert ui.step == "still_there"
        reminder = ui.app.tr("Please take your card.")
        assert ui.text("take_card") == reminder
        assert ("ja", reminder) in ui.app.voice.spoken
        shot(ui, "still_there_take_card_ja.png")
        ui.advance(ui.session.config.still_there_timeout_s + 1)
        assert ui.step == "home"
        assert ui.session.form is None
    finally:
        card.remove()
