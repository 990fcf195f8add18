"""Dates as residents read them, with the day of the week: 2026年12月3日（木） (review A13).

Pure presentation: an ISO date in, words out, per kiosk language; nothing is parsed from what a
resident typed here (the session validates dates)."""

from __future__ import annotations

import datetime as _dt

__all__ = ["long_date_words"]

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
