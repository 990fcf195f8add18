"""The procedure intro for a resident without a card, or who forgot its PIN (review): besides
「カードで始める」 a plain 「カードがない・暗証番号がわからない」 leads to a screen saying the
procedure is done at the counter, with a queue ticket for it; taking it prints the ticket of the
center queue's 手続き service, for this procedure. Short button labels, no sentence said twice,
「この機械」 rather than 「端末」. Screenshots go to the test screenshot folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.ui.walk import PreviewUi
from tests.support.kivy_ui import frames, tap
from tests.support.paths import screenshot_dir


@pytest.fixture
def ui(kivy_window):
    with PreviewUi(kivy_window) as preview:
        preview.worker.hold = False
        yield preview


def _tap(ui, kid):
    widget = ui.root.find(kid)
    assert widget is not None and not widget.disabled, kid
    tap(widget)
    frames(2)


def _shot(ui, name):
    frames(3)
    taken = ui.window.screenshot(str(screenshot_dir() / name))
    Path(taken).replace(screenshot_dir() / name)


def _intro(ui, language, procedure_id):
    s = ui.session
    s.choose_language(language)
    assert s.open_procedures()
    assert s.choose_procedure(procedure_id)
    ui.app.render()
    frames(2)
    assert ui.root.step == "procedure_intro"


@pytest.mark.timeout(120)
def test_no_card_leads_to_the_counter_and_a_ticket_for_this_procedure(ui):
    _intro(ui, "ja", "moving_in")
    assert ui.root.find("start").text == "カードで始める"
    assert ui.root.find("consult").text == "相談する"
    assert ui.root.find("no_card").text == "カードがない・暗証番号がわからない"
    details = ui.root.current_screen.ids.details.text
    assert "事前入力" in details and details.count("窓口で完了") == 1  # said once
    assert "端末" not in details
    _shot(ui, "no_card_intro_ja.png")
    _tap(ui, "no_card")
    assert ui.root.step == "procedure_counter"
    explain = ui.root.find("counter_explain").text
    # who helps (this center's counter, where the ticket is for) and where it is finished are
    # not confused (review: 「場所：市役所…」 beside a ticket for this center)
    assert "このセンターの窓口で、職員が「転入届」をお手伝いします" in explain
    assert "手続きの最後は 市役所 市民課 窓口 で行います。" in explain
    assert ui.root.find("counter_next").text.startswith("「番号札をとる」を押して")  # its words
    assert ui.root.find("take_ticket").text == "番号札をとる"
    _shot(ui, "no_card_counter_ja.png")
    _tap(ui, "back")  # back to the intro, the procedure still chosen
    assert ui.root.step == "procedure_intro" and ui.session.procedure.id == "moving_in"
    _tap(ui, "no_card")
    _tap(ui, "take_ticket")
    assert ui.root.step == "queue_ticket"
    ticket = ui.session.ticket
    assert ticket.procedure == "moving_in"
    assert str(ticket.number).startswith("A-")  # the center queue's 手続き (procedure) label
    assert ui.root.find("ticket_number").text == str(ticket.number)
    assert ui.root.find("wait").text.startswith("「転入届」の番号札です。")


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("language", "no_card", "counter"),
    [
        ("ja-easy", "カードが ない・あんしょうばんごうが わからない", "この センターの まどぐちで"),
        (
            "en",
            "No card, or I do not know the PIN",
            "this center's counter will help you with “Join National Health Insurance”",
        ),
        ("vi", "Không có thẻ, hoặc không nhớ mã PIN", "tại quầy của trung tâm này"),
    ],
)
def test_no_card_route_in_other_languages(ui, language, no_card, counter):
    _intro(ui, language, "nhi_enroll")
    assert ui.root.find("no_card").text == no_card
    _shot(ui, f"no_card_intro_{language}.png")
    _tap(ui, "no_card")
    assert counter in ui.root.find("counter_explain").text
    _shot(ui, f"no_card_counter_{language}.png")


@pytest.mark.timeout(120)
def test_no_card_button_only_where_the_card_would_be_used(ui):
    _intro(ui, "ja", "seal_registration")  # done at the counter anyway: the intro says so
    hidden = ui.root.find("no_card")  # kept in its hidden panel: not on screen, not tappable
    assert hidden is None or hidden.get_root_window() is None
    assert ui.root.find("start").disabled
