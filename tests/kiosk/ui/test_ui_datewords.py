"""A booking slot's start as residents read it: the date with its weekday in their own words
(review 6: the slot read "2027-01-12 10:00")."""

from __future__ import annotations

import pytest

from kiosk.ui.screens._datewords import slot_words


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", "2027年1月12日（火）10:00"),
        ("ja-easy", "1がつ 12にち（かようび） 10じ"),
        ("en", "Tue 12 January 2027, 10:00"),
        ("zh-Hans", "2027年1月12日（周二）10:00"),
        ("ko", "2027년 1월 12일 (화) 10:00"),
        ("pt-BR", "ter. 12 de janeiro de 2027, 10:00"),
        ("vi", "Thứ Ba, 12/01/2027, 10:00"),
    ],
)
def test_a_slot_reads_with_its_weekday_in_the_residents_words(language, words):
    assert slot_words("2027-01-12T10:00", language) == words


def test_minutes_and_unreadable_starts():
    assert slot_words("2027-01-12T14:30:00", "ja-easy") == "1がつ 12にち（かようび） 14:30"
    assert slot_words("2027-01-12T09:05", "en") == "Tue 12 January 2027, 9:05"
    assert slot_words("soon", "ja") == "soon"
