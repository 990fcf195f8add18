"""The life-event questions on screen (review A12, issue 19): where a resident may not know the
answer (which health insurance), a third button 「わからない」 and a one-line hint; choosing it keeps
the procedure on the checklist with 「窓口で確認します」. Questions without it show two buttons and
no hint. In the real app in the test window (fixture of tests/kiosk/ui/conftest.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kiosk.ui.screens._datewords import long_date_words
from kiosk.ui.widgets import is_shown
from tests.support.kiosk_driver import pdf_text
from tests.support.paths import screenshot_dir


def shot(ui, name: str) -> None:
    ui.frames(3)
    taken = ui.window.screenshot(str(screenshot_dir() / name))
    Path(taken).replace(screenshot_dir() / name)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("language", ["ja", "en", "ja-easy"])
def test_i_dont_know_keeps_the_item_for_the_counter(kiosk_ui, language):
    ui = kiosk_ui
    ui.session.flows.visit.choose_language(language)
    ui.tap("life_events")
    ui.tap("event_moving_in")
    q = ui.session.current_question
    assert q.id == "has_employer_insurance"
    assert ui.text("hint") == q.hint[language]  # how to tell, under the question
    assert is_shown(ui.root.find("hint"))
    assert is_shown(ui.root.find("unsure"))
    assert ui.text("unsure") == ui.app.tr("I don't know")
    shot(ui, f"questions_unsure_{language}.png")
    ui.tap("unsure")
    assert ui.session.answers["has_employer_insurance"] is None
    # The next question offers only はい / いいえ: no third button, no hint.
    assert ui.session.current_question.id == "has_children_under_18"
    ui.frames(2)
    assert not is_shown(ui.root.find("unsure"))
    assert ui.text("hint").strip() == ""
    while ui.step == "life_event_questions":
        ui.tap("no")
    row = ui.text("proc_nhi_enroll")
    assert ui.app.tr("We will check this with you at the counter.") in row
    assert ui.app.tr("We will check this with you at the counter.") not in ui.text("proc_moving_in")
    # The moving date with the steppers, shown with its weekday (2026年11月4日（水）).
    ui.tap("date_today")
    ui.tap("date_change")  # opens the 年・月・日 steppers
    ui.tap("month_earlier")
    day = ui.session.event_date
    assert long_date_words(day.isoformat(), language) in ui.text("event_date")
    assert ui.app.tr("We will check this with you at the counter.") in ui.text("proc_nhi_enroll")
    row = ui.root.find("proc_nhi_enroll")
    ui.root.current_screen.ids.list_scroll.scroll_to(row, padding=10, animate=False)  # a swipe
    shot(ui, f"checklist_unsure_{language}.png")
    # The printed list: nothing done yet, so nothing says done; rendered for a reviewer.
    before = len(ui.listener.jobs)
    ui.tap("print")
    jobs = ui.listener.wait_for_jobs(before + 1, timeout=60)
    text = pdf_text(jobs[-1])
    assert "C01-" not in text  # no reference number: nothing was submitted
    if language == "ja":  # the item kept by わからない says so on paper too
        assert "必要かどうか、窓口で確認します" in text
    out = screenshot_dir() / f"checklist_print_{language}.pdf"
    out.write_bytes(jobs[-1])
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", "1", "-l", "1", str(out),
         str(out.with_suffix(""))],
        check=True, timeout=60,
    )  # fmt: skip
    out.unlink()
    assert out.with_suffix(".png").stat().st_size > 10_000
