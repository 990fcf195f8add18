"""The prefilled form: values for a procedure's fields, validated per field kind.

Invariants: a `Form` is built from a catalog `Procedure` and (optionally) the card's basic-4 data;
`set()` accepts a value only if it validates for the field's kind, so a confirmed form is always
valid. `wipe()` blanks every value in place (the objects the UI may still hold go empty too).
Nothing here logs values.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from kiosk.catalog import FieldKind, FieldSource, FieldSpec, Procedure
from kiosk.session.ports import CardData

__all__ = ["Form", "FormValue", "to_katakana", "validate_value"]

# 1, 1-2, 1-2-3, 1番2号, 3丁目4番地5, 12番地: numbers joined by a hyphen or 丁目/番(地)/号.
_ADDRESS_NUMBER = re.compile(r"^[0-9]+(?:(?:-|丁目|番地|番|号)[0-9]+)*(?:丁目|番地|番|号)?$")
_KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u3000 ・ー]+$")
# Latin letters incl. accents (pt-BR) and Vietnamese (Latin Extended Additional).
_LATIN = re.compile(
    r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff][A-Za-z\u00c0-\u024f\u1e00-\u1eff .,'\-]*$"
)


def to_katakana(value: str) -> str:
    """Hiragana to katakana (ぁ-ゖ → ァ-ヶ); everything else unchanged."""
    return "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in value)


def validate_value(spec: FieldSpec, value: str) -> str | None:
    """The normalised value, or None when `value` is not acceptable for `spec`."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        return None
    if len(value) > spec.max_length:
        return None
    kind = spec.kind
    if kind is FieldKind.NUMBER:
        value = unicodedata.normalize("NFKC", value)
        if not value.isascii() or not value.isdigit():
            return None
        # Kept as typed: phone and account numbers carry leading zeros.
        n = int(value)
        if spec.min_value is not None and n < spec.min_value:
            return None
        if spec.max_value is not None and n > spec.max_value:
            return None
        return value
    if kind is FieldKind.ADDRESS_NUMBER:
        # Any dash typed or pasted is the hyphen; full-width digits are digits (NFKC).
        value = re.sub(r"[ー−‐―－–—]", "-", unicodedata.normalize("NFKC", value))
        return value if _ADDRESS_NUMBER.match(value) else None
    if kind is FieldKind.KANA:
        # フリガナ is katakana whatever keyboard mode it was typed in (issue 19).
        return to_katakana(value) if _KANA.match(value) else None
    if kind is FieldKind.LATIN:
        return value if _LATIN.match(value) else None
    if kind is FieldKind.DATE:
        try:
            return _dt.date.fromisoformat(value).isoformat() if len(value) == 10 else None
        except ValueError:
            return None
    if kind is FieldKind.SEX:
        return value if value in ("1", "2", "9") else None
    if kind is FieldKind.CHOICE:
        return value if value in {c.id for c in spec.choices} else None
    # TEXT: any printable text (names may hold characters outside the BMP, e.g. 𠮷).
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        return None
    return value


@dataclass
class FormValue:
    spec: FieldSpec
    value: str = ""
    from_card: bool = False
    corrected: bool = False
    # Given earlier in this visit (another form, the household, the event date): a proposal the
    # resident sees and confirms like any value.
    from_visit: bool = False

    @property
    def name(self) -> str:
        return self.spec.name


class Form:
    def __init__(
        self,
        procedure: Procedure,
        card: CardData | None = None,
        prefill: dict[str, str] | None = None,
    ) -> None:
        self.procedure_id = procedure.id
        self.record_kind = procedure.record_kind
        card_values = card.as_fields() if card is not None else {}
        self.values: list[FormValue] = []
        for spec in procedure.fields:
            fv = FormValue(spec=spec)
            if spec.source is FieldSource.CARD and spec.card_item in card_values:
                fv.value = card_values[spec.card_item]
                fv.from_card = bool(fv.value)
            elif prefill and spec.source is FieldSource.ASKED and prefill.get(spec.name):
                clean = validate_value(spec, prefill[spec.name])
                fv.value = clean or ""
                fv.from_visit = clean is not None
            self.values.append(fv)

    def field(self, name: str) -> FormValue | None:
        for fv in self.values:
            if fv.name == name:
                return fv
        return None

    def get(self, name: str) -> str:
        fv = self.field(name)
        return fv.value if fv else ""

    def set(self, name: str, value: str) -> bool:
        """Store a validated value; False (and no change) when invalid or unknown."""
        fv = self.field(name)
        if fv is None:
            return False
        clean = validate_value(fv.spec, value)
        if clean is None:
            return False
        if clean != fv.value:
            fv.corrected = fv.corrected or fv.from_card
            fv.value = clean
        return True

    def missing(self) -> list[str]:
        """Names of required fields without a valid value (card values are validated too)."""
        out = []
        for fv in self.values:
            if not fv.value:
                if fv.spec.required:
                    out.append(fv.name)
            elif validate_value(fv.spec, fv.value) is None:
                out.append(fv.name)
        return out

    def record_body(self) -> dict[str, Any]:
        """The values for the sealed outbox record (personal data: goes nowhere else)."""
        return {
            "values": {fv.name: fv.value for fv in self.values if fv.value},
            "corrected": sorted(fv.name for fv in self.values if fv.corrected),
        }

    def wipe(self) -> None:
        for fv in self.values:
            fv.value = ""
            fv.from_card = fv.corrected = fv.from_visit = False
