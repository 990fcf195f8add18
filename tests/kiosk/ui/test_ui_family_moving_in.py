"""Issue 19's done-when journey, in the real Kivy app offscreen: a family of three moving in.

The simulated My Number card behind the test pcscd, the test cupsd's capture queue (receipts and
the printed checklist, rasterized with pdftoppm), the real sealed outbox. Every tap is recorded,
so the test can say from the taps themselves that nothing was typed twice: the household, the
moving date and every answer are given once, and each later form comes prefilled.

The resident (山田 花子 on the simulator's card) moves in with a spouse and a seven-year-old
child, reads the card and enters the PIN once, consents to its use for the visit, does every
procedure the checklist says can be done here, sees where to go for the others, prints the
checklist (done only for what was submitted, with reference numbers), takes the card when told,
answers the one survey of the visit, and leaves nothing behind."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest

from tests.support.kiosk_driver import pdf_text, place_card
from tests.support.paths import screenshot_dir

# The resident's answers: employed elsewhere no longer (国保), a schoolchild, a seal, water.
ANSWERS = {
    "has_employer_insurance": "no",
    "has_children_under_18": "yes",
    "has_school_children": "yes",
    "has_member_65_plus": "no",
    "wants_seal_registration": "yes",
    "has_dog": "no",
    "needs_water_service": "yes",
}
KIOSK_ITEMS = ("moving_in", "nhi_enroll", "child_allowance", "child_medical_subsidy")
FAMILY = ("山田", "花子", "ヤマダ", "タロウ", "ユイ", "やまだ", "05320001", "1234567")


class TapLog:
    """Records every tap of the journey (`ui.tap` is wrapped), and reads back from the taps what
    was typed: each keyboard's keys up to its OK, each choice, each relation, with the field
    it was typed into."""

    def __init__(self, ui) -> None:
        self.taps: list[str] = []
        self._tap = ui.tap
        ui.tap = self.tap

    def tap(self, kid: str) -> None:
        self.taps.append(kid)
        self._tap(kid)

    def typed(self) -> list[tuple[str, str]]:
        """(field, value) for everything the resident typed or chose in an editor."""
        out: list[tuple[str, str]] = []
        field, keys, member = "", [], 0
        for kid in self.taps:
            if kid.startswith("fix_"):
                field, keys = kid[4:], []
            elif kid == "add_member":  # each member's fields are that member's own
                member += 1
                field, keys = f"member{member}_kana", []
            elif "_key_" in kid and not kid.startswith("pin_"):
                board, key = kid.split("_key_", 1)
                if key == "OK":
                    out.append((field or board, "".join(keys)))
                    field = field.replace("_kana", "_birth") if field.startswith("member") else ""
                    keys = []
                elif key not in ("KANA",):
                    keys.append(key)
            elif kid.startswith("relation_"):
                out.append((f"member{member}_relation", kid.split("_", 1)[1]))
                field = ""
            elif kid.startswith("choice_"):
                out.append((field, kid.split("_", 1)[1]))
                field = ""
        return out


def _add_member(ui, kana: list[str], birth: str, relation: str) -> None:
    ui.tap("add_member")
    for key in kana:
        ui.tap(f"member_kana_key_{key}")
    ui.tap("member_kana_key_OK")
    ui.type("member_birth", birth)
    ui.tap("member_birth_key_OK")
    ui.tap(f"relation_{relation}")
    assert ui.step == "checklist", ui.session.notice


def _settle(ui, kid: str) -> None:
    """Run frames until the row stops moving (the list is laid out again after a done screen and
    its ScrollView effect settles in real time, as on the panel before a finger gets there)."""
    import time

    last, deadline = None, time.monotonic() + 3.0
    while time.monotonic() < deadline:
        ui.frames(2)
        widget = ui.root.find(kid)
        pos = tuple(widget.to_window(*widget.pos)) if widget is not None else None
        if pos is not None and pos == last:
            return
        last = pos
        time.sleep(0.05)


def _shot(ui, name: str) -> None:
    from pathlib import Path

    ui.frames(3)
    taken = ui.window.screenshot(str(screenshot_dir() / name))
    Path(taken).replace(screenshot_dir() / name)


def _render_pdf(pdf: bytes, name: str) -> str:
    """pdftoppm's PNG of the first page, in the screenshot folder (looked at by a reviewer)."""
    out = screenshot_dir() / name
    src = out.with_suffix(".pdf")
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", "1", "-l", "1", str(src),
         str(out.with_suffix(""))],
        check=True, timeout=60,
    )  # fmt: skip
    src.unlink()
    assert out.stat().st_size > 10_000  # a page with text on it, not a blank
    return str(out)


@pytest.mark.timeout(300)
def test_a_family_of_three_moves_in_with_one_card_read(kiosk_ui):
    ui = kiosk_ui
    log = TapLog(ui)

    # 転入: the questions, one at a time; none asks what an earlier answer settles.
    ui.tap("life_events")
    ui.tap("event_moving_in")
    asked = []
    while ui.step == "life_event_questions":
        qid = ui.session.current_question.id
        asked.append(qid)
        ui.tap(ANSWERS[qid])
    assert ui.step == "checklist"
    assert asked == list(ANSWERS)  # the school question follows "children: yes"

    # The household, typed once on the checklist: the spouse and the child.
    _add_member(ui, ["や", "ま", "た", "゛", "た", "ろ", "う"], "19830201", "spouse")
    _add_member(ui, ["や", "ま", "た", "゛", "SPACE", "ゆ", "い"], "20190610", "child")

    # The moving date, once, with the steppers: a month before today (2026年11月4日（水）).
    today = ui.session.today()
    ui.tap("date_today")
    ui.tap("date_change")  # opens the 年・月・日 steppers
    ui.tap("month_earlier")
    moved = ui.session.event_date
    assert (moved.year * 12 + moved.month) == (today.year * 12 + today.month) - 1
    weekday = "月火水木金土日"[moved.weekday()]
    assert f"{moved.year}年{moved.month}月{moved.day}日（{weekday}）" in ui.text("event_date")
    _shot(ui, "family_checklist_date_ja.png")

    # 転入届 (pre-entry): the one card read and PIN of the visit; the consent to use it today.
    ui.tap("proc_moving_in")
    ui.tap("start")
    card = place_card(ui).insert()
    try:
        ui.enter_pin("1234")
        assert ui.step == "form_confirm"
        assert ui.text("value_household_size") == "3"  # 1 + the two members, not typed
        ui.tap("visit_consent")
        ui.tap("fix_name_kana")
        ui.type("kb_kana", "やまた")
        ui.tap("kb_kana_key_゛")
        ui.type("kb_kana", "はなこ")
        ui.tap("kb_kana_key_OK")
        ui.tap("fix_new_town")
        ui.tap("choice_sakura")
        assert ui.session.form.get("moved_on") == moved.isoformat()  # from the checklist
        _shot(ui, "family_form_ja.png")
        for field, digits in (("new_chome", "3"), ("new_lot", "12"), ("phone", "05320001")):
            ui.tap(f"fix_{field}")
            ui.type("kb_numeric", digits)
            ui.tap("kb_numeric_key_OK")
        ui.tap("confirm")
        assert ui.step == "done", ui.session.notice
        first = ui.session.reference
        ui.tap("checklist")
        assert ui.step == "checklist"
        assert ui.session.event_date == moved

        # Every other kiosk item: its form opens at once, prefilled; only what is new is typed.
        for pid in KIOSK_ITEMS[1:]:
            _settle(ui, f"proc_{pid}")
            ui.tap(f"proc_{pid}")
            ui.tap("start")
            assert ui.step == "form_confirm", (pid, ui.session.notice)
            form = ui.session.form
            assert ui.text("value_name") == "山田 花子"
            for name in ("name_kana", "phone", "children", "child_name_kana", "insured_count"):
                if form.field(name) is not None:
                    assert form.field(name).value, (pid, name)  # prefilled, not asked again
            if pid == "child_allowance":  # the bank account is the only new thing
                for field, digits in (("bank_code", "0001"), ("branch_code", "123"),
                                      ("account_number", "1234567")):  # fmt: skip
                    ui.tap(f"fix_{field}")
                    ui.type("kb_numeric", digits)
                    ui.tap("kb_numeric_key_OK")
            assert form.missing() == [], (pid, form.missing())
            ui.tap("confirm")
            assert ui.step == "done", (pid, ui.session.notice)
            assert ui.text("take_card") == ui.app.tr("Please take your card.")  # still in
            if pid == "child_medical_subsidy":
                _shot(ui, "family_done_take_card_ja.png")
            ui.tap("checklist")
            assert ui.step == "checklist"
        assert len(card.sim.verify_apdus(with_data=True)) == 1  # one PIN for the visit
        assert ui.session.card_reads == 1
    except BaseException:
        card.remove()
        raise

    # Nothing typed twice: from the taps, every field and every value once.
    typed = log.typed()
    fields = Counter(f for f, _v in typed)
    values = Counter(v for f, v in typed if not f.endswith("_relation"))
    assert max(fields.values()) == 1, fields
    assert max(values.values()) == 1, values
    assert not {"household_size", "insured_count", "children", "child_name_kana"} & set(fields)
    assert log.taps.count("pin_key_OK") == 1

    # The checklist: ticked exactly for what the outbox accepted, the rest says where to go.
    items = {i.procedure_id: i for i in ui.session.checklist}
    apps = ui.records("application")
    assert [a["procedure"] for a in apps] == list(KIOSK_ITEMS)
    assert {p for p, i in items.items() if i.reference} == set(KIOSK_ITEMS)
    assert items["moving_in"].reference == first
    for pid, item in items.items():
        row = ui.text(f"proc_{pid}")
        if item.reference:
            assert item.reference in row, row
        else:
            assert item.state.value in ("office", "online"), pid  # nothing left for here
            assert any(w in row for w in ("窓口", "オンライン")), row
    assert {"school_transfer", "seal_registration", "water_start", "pension_address"} <= set(items)
    assert {a["values"]["name_kana"] for a in apps if "name_kana" in a["values"]} == {
        "ヤマダハナコ"
    }
    assert apps[1]["values"]["insured_count"] == "3"
    assert apps[2]["values"]["child_name_kana"] == "ヤマダ　ユイ"
    assert {a["values"]["phone"] for a in apps} == {"05320001"}
    assert apps[0]["values"]["moved_on"] == moved.isoformat()

    # The printed checklist says done only for the submitted items, with their numbers.
    before = len(ui.listener.jobs)
    ui.tap("print")
    assert ui.until(
        lambda: ui.session.notice and ui.session.notice.code.value == "checklist_printed"
    )
    jobs = ui.listener.wait_for_jobs(before + 1, timeout=60)
    pdf = next(j for j in reversed(jobs) if "手続きチェックリスト" in pdf_text(j))
    text = pdf_text(pdf)
    for pid, item in items.items():
        if item.reference:
            assert item.reference in text, pid
    done_lines = text.count("済（センターの機械で受付") + text.count("事前入力済（受付番号")
    assert done_lines == len(KIOSK_ITEMS), text
    assert "山田" not in text and "ヤマダ" not in text  # no personal data on paper
    _render_pdf(pdf, "family_checklist_print_ja.png")
    _shot(ui, "family_checklist_done_ja.png")

    # Finish: the one survey of the visit, the card reminder until the card-removed event.
    ui.tap("home")
    assert ui.step == "survey"
    assert ui.text("take_card") == ui.app.tr("Please take your card.")
    _shot(ui, "family_survey_take_card_ja.png")
    card.remove()
    assert ui.until(lambda: ui.text("take_card").strip() == "")
    ui.tap("score_9")
    ui.tap("submit")
    assert ui.step == "home"
    assert len(ui.records("survey")) == 1

    # The wipe: nothing of the family in the app's state or on any screen; the outbox holds
    # only sealed records (their bodies are ciphertext: no name, kana or phone in the file).
    s = ui.session
    assert s.household == [] and s.submitted == {} and s.answers == {}
    assert s.form is None and s.life_event is None and s.event_date is None
    assert not s.visit_card_kept and s.visit_values == {}
    texts = ui.screen_texts()
    for word in FAMILY:
        assert word not in texts, word
    path = ui.outbox.config.path
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for word in FAMILY:
        assert word.encode() not in raw, word
    for record in ui.outbox.records_from(1, 100, 10_000_000):
        assert record.header.kind in ("application", "survey", "metric")
