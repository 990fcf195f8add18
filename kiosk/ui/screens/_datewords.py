"""Dates as residents read them, with the day of the week: 2026年12月3日（木） (review A13).

Pure presentation: an ISO date in, words out, per kiosk language; nothing is parsed from what a
resident typed here (the session validates dates)."""

from __future__ import annotations

import datetime as _dt

__all__ = ["long_date_words", "slot_words"]

# Monday first, as `date.weekday()` counts.
_WEEKDAYS = {
    "ja": "月火水木金土日",
    "ja-easy": "月火水木金土日",
    "zh-Hans": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "ko": "월화수목금토일",
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "pt-BR": ("seg.", "ter.", "qua.", "qui.", "sex.", "sáb.", "dom."),
    "vi": ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"),
}
# A booking's day in words a reader of やさしい日本語 says aloud (げつようび, not 月).
_EASY_WEEKDAYS = ("げつようび", "かようび", "すいようび", "もくようび", "きんようび", "どようび",
                  "にちようび")  # fmt: skip
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "pt-BR": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
              "setembro", "outubro", "novembro", "dezembro"),
}  # fmt: skip


def long_date_words(value: str, language: str) -> str:
    """`value` (YYYY-MM-DD) as 2026年12月3日（木） in Japanese and Chinese, 2026년 12월 3일 (목) in
    Korean, "Thu 2026-12-03" elsewhere; an unreadable value is returned as it is."""
    try:
        day = _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    weekday = _WEEKDAYS.get(language, _WEEKDAYS["en"])[day.weekday()]
    if language in ("ja", "ja-easy", "zh-Hans"):
        return f"{day.year}年{day.month}月{day.day}日（{weekday}）"
    if language == "ko":
        return f"{day.year}년 {day.month}월 {day.day}일 ({weekday})"
    return f"{weekday} {day.isoformat()}"


def slot_words(value: str, language: str) -> str:
    """A booking slot's start (YYYY-MM-DDTHH:MM) with its weekday, as the reader says it:
    2027年1月12日（火）10:00, 1がつ 12にち（かようび） 10じ (14:30 off the hour), "Tue 12 January
    2027, 10:00",
    2027年1月12日（周二）10:00, 2027년 1월 12일 (화) 10:00, "ter. 12 de janeiro de 2027, 10:00",
    "Thứ Ba, 12/01/2027, 10:00"; an unreadable value is returned as it is."""
    try:
        start = _dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    day, clock = start.date(), f"{start.hour}:{start.minute:02d}"
    weekday = _WEEKDAYS.get(language, _WEEKDAYS["en"])[day.weekday()]
    if language == "ja-easy":
        # 10じ on the hour; 14:30 otherwise (「30ふん」 is misread: it is 30ぷん; review)
        clock_words = clock if start.minute else f"{start.hour}じ"
        easy_day = _EASY_WEEKDAYS[day.weekday()]
        return f"{day.month}がつ {day.day}にち（{easy_day}） {clock_words}"
    if language in ("ja", "zh-Hans", "ko"):  # （火） closes itself; (화) wants a space
        gap = " " if language == "ko" else ""
        return f"{long_date_words(day.isoformat(), language)}{gap}{clock}"
    if language == "pt-BR":
        return f"{weekday} {day.day} de {_MONTHS['pt-BR'][day.month - 1]} de {day.year}, {clock}"
    if language == "vi":
        return f"{weekday}, {day.day:02d}/{day.month:02d}/{day.year}, {clock}"
    return f"{weekday} {day.day} {_MONTHS['en'][day.month - 1]} {day.year}, {clock}"
