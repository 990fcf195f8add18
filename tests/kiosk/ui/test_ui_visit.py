"""The one-stop visit in the real Kivy app (issue 19): a family of three moving in. The simulated
My Number card behind the test pcscd, the real sealed outbox, the test cupsd's capture queue —
the same parts as tests/kiosk/ui/test_ui_journeys.py, whose fixture this file uses.

One card read and one PIN (with the resident's consent on the first form) for every kiosk item of
the checklist; the household is typed once on the checklist; nothing is typed twice; the checklist
ticks only what was submitted and says where to go for the rest; one survey at the end; the wipe
leaves nothing on any screen."""

from __future__ import annotations

import pytest

from tests.support.kiosk_driver import place_card  # noqa: E402

NO = {"has_employer_insurance", "has_school_children", "has_member_65_plus",
      "has_member_75_plus", "wants_seal_registration", "has_dog", "needs_water_service"}  # fmt: skip


class Typist:
    """Types into form fields through the on-screen keyboards and remembers which fields were
    typed, so the test can say that nothing was typed twice in the visit."""

    def __init__(self, ui) -> None:
        self.ui, self.typed = ui, []

    def number(self, field: str, digits: str) -> None:
        self.typed.append(field)
        self.ui.tap(f"fix_{field}")
        self.ui.type("kb_numeric", digits)
        self.ui.tap("kb_numeric_key_OK")

    def kana(self, field: str, keys: list[str]) -> None:
        self.typed.append(field)
        self.ui.tap(f"fix_{field}")
        for key in keys:
            self.ui.tap(f"kb_kana_key_{key}")
        self.ui.tap("kb_kana_key_OK")

    def choice(self, field: str, choice: str) -> None:
        self.typed.append(field)
        self.ui.tap(f"fix_{field}")
        self.ui.tap(f"choice_{choice}")


def _add_member(ui, kana_keys: list[str], birth: str, relation: str) -> None:
    ui.tap("add_member")
    assert "1 / 3" in ui.text("event_name")  # progress, and the field named in the title
    for key in kana_keys:
        ui.tap(f"member_kana_key_{key}")
    ui.tap("member_kana_key_OK")
    assert "2 / 3" in ui.text("event_name")
    ui.type("member_birth", birth)
    shown = ui.text("member_value")
    assert "年" in shown and "月" in shown and "日" in shown, shown  # 2019年6月10日, not digits
    ui.tap("member_birth_key_OK")
    assert "3 / 3" in ui.text("event_name")
    ui.tap(f"relation_{relation}")
    assert ui.step == "checklist"


def _settle(ui, kid: str) -> None:
    """Run frames until the row stops moving (the ScrollView's effect settles in real time, as
    it does on the panel before a resident's finger gets there); bounded."""
    import time

    last = None
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        ui.frames(2)
        widget = ui.root.find(kid)
        pos = tuple(widget.to_window(*widget.pos)) if widget is not None else None
        if pos is not None and pos == last:
            return
        last = pos
        time.sleep(0.05)


def _submit_and_return(ui) -> None:
    assert ui.session.form.missing() == [], ui.session.form.missing()
    ui.tap("confirm")
    assert ui.step == "done", ui.session.notice
    ui.tap("checklist")  # 一覧に戻る: the checklist is the hub
    assert ui.step == "checklist"


@pytest.mark.timeout(240)
def test_family_of_three_moving_in_one_card_read_nothing_typed_twice(kiosk_ui):  # noqa: F811
    ui = kiosk_ui
    typist = Typist(ui)
    ui.tap("life_events")
    ui.tap("event_moving_in")
    while ui.step == "life_event_questions":
        ui.tap("no" if ui.session.current_question.id in NO else "yes")
    assert ui.step == "checklist"

    # The household, typed once: the spouse and a child (hiragana typed, katakana kept).
    _add_member(ui, ["や", "ま", "た", "゛", "た", "ろ", "う"], "19830201", "spouse")
    _add_member(ui, ["や", "ま", "た", "゛", "SPACE", "ゆ", "い"], "20190610", "child")
    assert "ヤマダタロウ" in ui.text("member_0") and "1983年2月1日" in ui.text("member_0")
    assert "ヤマダ　ユイ" in ui.text("member_1")

    # 転入届: the one card read and PIN of the visit, with consent to use it for the others.
    ui.tap("proc_moving_in")
    ui.tap("start")
    with place_card(ui) as card:
        ui.enter_pin("1234")
        assert ui.step == "form_confirm"
        assert ui.text("value_household_size") == "3"  # from the household, not typed
        ui.tap("visit_consent")
        assert ui.session.visit_consent
        ui.frames(2)
        assert ui.text("visit_consent") == ui.app.tr(  # the state in words, not colour only
            "Chosen: use these details for my other procedures today. Touch to undo."
        )
        typist.kana("name_kana", ["や", "ま", "た", "゛", "は", "な", "こ"])
        typist.choice("new_town", "sakura")
        typist.number("new_chome", "3")
        typist.number("new_lot", "12")
        typist.number("moved_on", "20261120")
        typist.number("phone", "05320001")
        _submit_and_return(ui)
        assert len(card.sim.verify_apdus(with_data=True)) == 1
    # The card is taken back; the visit goes on without it.
    assert ui.until(lambda: not ui.session.card_present)
    assert ui.step == "checklist"

    for procedure_id in ("nhi_enroll", "child_allowance", "child_medical_subsidy"):
        _settle(ui, f"proc_{procedure_id}")  # the list laid out again after the done screen
        scroll = ui.root.current_screen.ids.list_scroll  # the cards, the text and date above
        assert 0.0 <= scroll.scroll_y <= 1.0  # the list is where the resident sees it
        ui.tap(f"proc_{procedure_id}")
        assert ui.step == "procedure_intro", procedure_id
        ui.tap("start")
        assert ui.step == "form_confirm", procedure_id  # no card, no PIN
        assert ui.text("value_name") == "山田 花子"
        if procedure_id == "child_allowance":
            assert ui.text("value_child_name_kana") == "ヤマダ　ユイ"
            assert ui.text("value_children") == "1"
            typist.number("bank_code", "0001")
            typist.number("branch_code", "123")
            typist.number("account_number", "1234567")
        _submit_and_return(ui)

    assert len(typist.typed) == len(set(typist.typed)), typist.typed  # nothing typed twice
    assert ui.session.card_reads == 1
    items = {i.procedure_id: i for i in ui.session.checklist}
    ticked = {pid for pid, i in items.items() if i.reference}
    assert ticked == {"moving_in", "nhi_enroll", "child_allowance", "child_medical_subsidy"}
    for pid, item in items.items():
        row = ui.text(f"proc_{pid}")
        if pid in ticked:
            assert item.reference in row
        else:  # every other item says where to go
            assert str(item.state) in ("office", "online"), pid
            assert any(w in row for w in ("窓口", "オンライン")), row
    apps = ui.records("application")
    assert [a["procedure"] for a in apps] == [
        "moving_in", "nhi_enroll", "child_allowance", "child_medical_subsidy"]  # fmt: skip
    assert apps[1]["values"]["name_kana"] == apps[0]["values"]["name_kana"]
    assert apps[1]["values"]["insured_count"] == "3"
    assert apps[3]["values"]["child_name_kana"] == "ヤマダ　ユイ"

    ui.tap("home")  # 終わる on the checklist: the one survey of the visit
    assert ui.step == "survey"
    ui.tap("score_8")
    ui.tap("submit")
    assert ui.step == "home"
    assert len(ui.records("survey")) == 1
    texts = ui.screen_texts()
    assert "山田" not in texts and "ヤマダ" not in texts
    assert ui.session.household == [] and not ui.session.visit_card_kept


@pytest.mark.timeout(120)
def test_missing_entries_are_named_and_the_first_one_opens(kiosk_ui):  # noqa: F811
    """Submit with required entries empty: the editor of the first one opens at once, its title
    naming the field; required rows say so in words; dates read 1990年4月1日 (issue 19)."""
    ui = kiosk_ui
    ui.open_procedure("nhi_enroll")
    with place_card(ui):
        ui.enter_pin()
        assert ui.step == "form_confirm"
        birth = ui.text("value_birth_date")
        assert "年" in birth and "月" in birth and "日" in birth and "-" not in birth, birth
        texts = ui.screen_texts()
        required = ui.app.tr("(required)")
        kana_label = ui.session.form.field("name_kana").spec.label["ja"]
        assert f"{kana_label} {required}" in texts  # 氏名（フリガナ） （必須）
        ui.tap("confirm")
        assert ui.step == "form_confirm"
        assert ui.session.notice.code.value == "missing_values"
        first = ui.session.notice.params["fields"][0]
        editing = ui.root.current_screen.editing
        assert editing == first
        label = ui.session.form.field(first).spec.label["ja"]
        assert ui.root.current_screen.editing_label == label
        ui.frames(2)
        assert label in ui.screen_texts()  # the title says which entry
        assert ui.root.find("kb_kana_key_OK") is not None  # its keyboard is up


@pytest.mark.timeout(120)
def test_take_your_card_until_the_card_removed_event(kiosk_ui):  # noqa: F811
    """After submitting with the card still in the reader, the done screen says 「カードを
    お取りください」 until pcscd reports the card gone; the buttons do not move when it goes."""
    ui = kiosk_ui
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
        assert ui.text("take_card") == reminder
        before = tuple(ui.root.find("next").to_window(*ui.root.find("next").pos))
        card.remove()
        assert ui.until(lambda: ui.text("take_card").strip() == "")
        ui.frames(2)
        assert tuple(ui.root.find("next").to_window(*ui.root.find("next").pos)) == before
        ui.tap("next")
        assert ui.step == "survey" and ui.text("take_card").strip() == ""
    finally:
        card.remove()


@pytest.mark.timeout(120)
def test_pin_boxes_are_visible_in_high_contrast_on_the_last_try(kivy_window):
    """The empty PIN display has an edge in the text colour: in high contrast the field is black
    on the black page, and on the last try at large text it was invisible (issue 19)."""
    from kiosk.ui.walk import PreviewUi
    from tests.support.kivy_ui import frames, ink, widget_pixels

    with PreviewUi(kivy_window) as ui:
        ui.session.set_high_contrast(True)
        ui.session.set_text_scale(True)
        for step in ui.walk():
            if step == "pin_entry_last_try":
                break
        else:
            pytest.fail("the walk never showed the last-try PIN screen")
        frames(2)
        display = ui.root.find("pin_display")
        assert display.text.strip() == ""
        _w, _h, pixels = widget_pixels(display)
        assert ink(pixels) > 100  # the edge is drawn (white on black)
        label = ui.root.find("tries_left")
        assert label.text.count("1") == 1  # "1 try left" said once, not twice
