"""The checklist's household editor: add a member of the household in three short questions, one
per screen part (name in katakana, birth date, relation), each with its progress, its field name
and an example. Presentation only: the answers are held as typed until the last question, then
sent as one `flows.visit.add_household_member` call; the session validates and names a bad field.

Invariants: the typed kana and digits live only in the keyboards and two presentation strings,
all emptied by `cancel_member` and by `clear()` (leaving the screen); nothing is logged.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.ui._tree import discard_children
from kiosk.ui.widgets import KanaKeyboard, Keyboard, NumericKeyboard

_STEPS = ("kana", "birth", "relation")


def relation_words(app: Any) -> dict[str, str]:
    """The member's relation to the resident (session `RELATIONS`), as the buttons say it."""
    return {
        "spouse": app.tr("Husband or wife"),
        "child": app.tr("Child"),
        "parent": app.tr("Parent"),
        "other": app.tr("Other family member"),
    }


def date_words(value: str, language: str) -> str:
    """A date as residents read it: 2026年12月3日 (ja, zh), 2026년 12월 3일 (ko), else ISO.
    `value` is ISO (YYYY-MM-DD) or up to 8 typed digits (shown as far as typed)."""
    digits = value.replace("-", "")
    if not digits.isdigit():
        return value
    y, m, d = digits[:4], digits[4:6], digits[6:8]
    if language in ("ja", "ja-easy", "zh-Hans"):
        marks = ("年", "月", "日")
    elif language == "ko":
        marks = ("년 ", "월 ", "일")
    else:
        return "-".join(p for p in (y, m, d) if p)
    out = y + (marks[0] if len(y) == 4 else "")
    for part, mark in ((m, marks[1]), (d, marks[2])):
        # A part still being typed is shown as typed; a complete one without its leading zero.
        out += str(int(part)) + mark if len(part) == 2 else part
    return out.strip()


class HouseholdEditorMixin:
    """Mixed into `ChecklistScreen` (whose kv has the `member_*` parts and keyboard slots;
    `KScreen` gives it `host`, `session`, `flows` and `act`)."""

    member_step = StringProperty("")  # '' (the list), 'kana', 'birth', 'relation'
    member_title = StringProperty("")
    member_hint = StringProperty("")
    member_text = StringProperty("", force_dispatch=True)  # what the keyboard holds, shown

    def _member_keyboard(self, name: str) -> Keyboard:
        kbs = self.__dict__.setdefault("_member_kbs", {})
        if name not in kbs:
            cls = KanaKeyboard if name == "kana" else NumericKeyboard
            kb = cls(kid=f"member_{name}", max_length=40 if name == "kana" else 8)
            kb.bind(on_ok=lambda _kb, value: self.member_ok(value), value=self._member_sync)
            kbs[name] = kb
            self.ids[f"member_slot_{name}"].add_widget(kb)
        return kbs[name]

    def _member_sync(self, *_args: Any) -> None:
        kbs = self.__dict__.get("_member_kbs", {})
        kb = kbs.get(self.member_step)
        value = kb.value if kb is not None else ""
        lang = self.session.language
        self.member_text = date_words(value, lang) if self.member_step == "birth" else value

    def start_member(self) -> None:
        self.__dict__["_member_answers"] = {}
        self._member_show("kana")

    def _member_show(self, step: str) -> None:
        app = self.host
        n = _STEPS.index(step) + 1
        field, hint = {
            "kana": (app.tr("Name in katakana"), app.tr("Example: ヤマダ タロウ")),
            "birth": (
                app.tr("Date of birth"),
                app.tr("Type 8 digits. Example: 19830201 (1983-02-01)"),
            ),
            "relation": (app.tr("Relation to you"), app.tr("Choose one.")),
        }[step]
        self.member_title = app.tr(
            "Household member ({n} / {total}): {field}", n=n, total=len(_STEPS), field=field
        )
        self.member_hint = hint
        self.member_step = step
        if step == "relation":
            self.fill(
                self.ids.member_choices,
                [(f"relation_{rid}", words, "choice", lambda rid=rid: self.member_ok(rid))
                 for rid, words in relation_words(app).items()],
            )  # fmt: skip
            self.member_text = " "
            return
        kb = self._member_keyboard(step)
        kb.clear()
        if isinstance(kb, KanaKeyboard):
            kb.katakana = True  # フリガナ is katakana: the keys show it from the start
        self._member_sync()

    def member_ok(self, value: str) -> None:
        answers = self.__dict__.setdefault("_member_answers", {})
        step = self.member_step
        if step == "kana":
            if not value.strip():
                return  # OK on an empty name does nothing: the field says what it wants
            answers["kana"] = value
            self._member_show("birth")
        elif step == "birth":
            if len(value) != 8 or not value.isdigit():
                return
            answers["birth"] = f"{value[:4]}-{value[4:6]}-{value[6:]}"
            self._member_show("relation")
        elif step == "relation":
            kana, birth = answers.get("kana", ""), answers.get("birth", "")
            self.cancel_member()
            self.act(self.flows.visit.add_household_member, kana, birth, value)

    def cancel_member(self) -> None:
        for kb in self.__dict__.get("_member_kbs", {}).values():
            kb.clear()
        self.__dict__["_member_answers"] = {}
        discard_children(self.ids.member_choices)
        self.member_step = ""
        self.member_text = ""

    def member_rows(self, s: Any) -> list[tuple[str, str, str, Any]]:
        """The members added so far, one label each (personal: dropped when the screen clears)."""
        app = self.host
        words = relation_words(app)
        return [
            (f"member_{i}", app.tr("Household member: {name}, born {date}, {relation}",
                                   name=m.name_kana, date=date_words(m.birth_date, s.language),
                                   relation=words.get(m.relation, words["other"])),
             "field", None)
            for i, m in enumerate(getattr(s, "household", ()))
        ]  # fmt: skip
