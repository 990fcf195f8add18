"""Form values are validated per field kind (table-driven), and config refuses bad values."""

from __future__ import annotations

import pytest

from kiosk.catalog import Choice, FieldKind, FieldSource, FieldSpec, Text
from kiosk.session import SessionConfig, SessionConfigError, hash_staff_pin, validate_value
from kiosk.session.config import verify_staff_pin
from madoguchi.core.i18n import LANGUAGES

_T = Text(tuple((lang, "x") for lang in LANGUAGES))


def _spec(kind, **kw):
    return FieldSpec(name="f", label=_T, source=FieldSource.ASKED, kind=kind, **kw)


CASES = [
    (_spec(FieldKind.NUMBER, max_length=11), "0312345678", "0312345678"),
    (_spec(FieldKind.NUMBER), "１２", "12"),
    (_spec(FieldKind.NUMBER), "12a", None),
    (_spec(FieldKind.NUMBER), "-1", None),
    (_spec(FieldKind.NUMBER, min_value=1, max_value=20), "0", None),
    (_spec(FieldKind.NUMBER, min_value=1, max_value=20), "21", None),
    (_spec(FieldKind.NUMBER, max_length=4), "12345", None),
    (_spec(FieldKind.KANA), "やまだ ハナコ", "ヤマダ ハナコ"),  # フリガナ: katakana, however typed
    (_spec(FieldKind.KANA), "やまだ", "ヤマダ"),
    # An address's block and lot, typed with the - 丁目 番 号 keys (issue 19).
    (_spec(FieldKind.ADDRESS_NUMBER), "1-2-3", "1-2-3"),
    (_spec(FieldKind.ADDRESS_NUMBER), "3丁目4番地5", "3丁目4番地5"),
    (_spec(FieldKind.ADDRESS_NUMBER), "12番3号", "12番3号"),
    (_spec(FieldKind.ADDRESS_NUMBER), "１２ー３", "12-3"),  # full-width digits, a long-vowel dash
    (_spec(FieldKind.ADDRESS_NUMBER), "12－3", "12-3"),
    (_spec(FieldKind.ADDRESS_NUMBER), "-1", None),
    (_spec(FieldKind.ADDRESS_NUMBER), "1--2", None),
    (_spec(FieldKind.ADDRESS_NUMBER), "丁目", None),
    (_spec(FieldKind.ADDRESS_NUMBER), "1 2", None),
    (_spec(FieldKind.ADDRESS_NUMBER), "a1", None),
    (_spec(FieldKind.ADDRESS_NUMBER, max_length=4), "1-2-3", None),
    (_spec(FieldKind.KANA), "ヤマダー", "ヤマダー"),
    (_spec(FieldKind.KANA), "山田", None),
    (_spec(FieldKind.KANA), "Yamada", None),
    (_spec(FieldKind.LATIN), "Nguyễn Văn An", "Nguyễn Văn An"),
    (_spec(FieldKind.LATIN), "O'Brien-Silva", "O'Brien-Silva"),
    (_spec(FieldKind.LATIN), "山田", None),
    (_spec(FieldKind.LATIN), "123", None),
    (_spec(FieldKind.DATE), "2026-02-28", "2026-02-28"),
    (_spec(FieldKind.DATE), "2026-02-30", None),
    (_spec(FieldKind.DATE), "2026-2-3", None),
    (_spec(FieldKind.SEX), "9", "9"),
    (_spec(FieldKind.SEX), "3", None),
    (_spec(FieldKind.CHOICE, choices=(Choice("a", _T),)), "a", "a"),
    (_spec(FieldKind.CHOICE, choices=(Choice("a", _T),)), "b", None),
    (_spec(FieldKind.TEXT), "𠮷野 太郎", "𠮷野 太郎"),
    (_spec(FieldKind.TEXT), "a\x00b", None),
    (_spec(FieldKind.TEXT), "   ", None),
    (_spec(FieldKind.TEXT, max_length=3), "abcd", None),
]


@pytest.mark.parametrize("spec, value, expected", CASES)
def test_validate_value(spec, value, expected):
    assert validate_value(spec, value) == expected


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"default_language": "fr"}, "default_language"),
        ({"idle_timeout_s": 0}, "idle_timeout_s"),
        ({"still_there_timeout_s": -1}, "still_there_timeout_s"),
        ({"online_timeout_s": 5000}, "online_timeout_s"),
        ({"large_text_scale": 1.2}, "large_text_scale"),
        ({"device_id": ""}, "device_id"),
        ({"device_id": "端末"}, "device_id"),
        ({"staff_pin_hash": "1234"}, "staff_pin_hash"),
    ],
)
def test_bad_config_is_refused(kwargs, field):
    with pytest.raises(SessionConfigError) as info:
        SessionConfig(**kwargs)
    assert info.value.field == field


def test_staff_pin_hash_never_holds_the_pin():
    encoded = hash_staff_pin("20261122", iterations=1000)
    assert "20261122" not in encoded
    assert verify_staff_pin("20261122", encoded)
    assert not verify_staff_pin("20261123", encoded)
    assert not verify_staff_pin("20261122", None)
    assert not verify_staff_pin("20261122", "md5$1$00$00")
    with pytest.raises(SessionConfigError):
        hash_staff_pin("12a4")
