"""The words city-hall staff read on the consultation console for the ids the relay and the
records use: topics, roles, outcomes and residents' languages, in Japanese with English.

An id not listed here is shown as itself (a new topic still works, only unnamed).
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "OUTCOMES", "ROLES", "TOPICS", "all_words"]

TOPICS = {
    "welfare": "福祉 Welfare",
    "child_care": "子育て Child care",
    "tax": "税金 Tax",
    "care": "介護 Long-term care",
    "general": "総合案内 General information",
}
ROLES = {
    "specialist": "担当者 Specialist",
    "front_desk": "総合案内 Front desk",
    "interpreter": "通訳 Interpreter",
    "supervisor": "責任者 Supervisor",
}
OUTCOMES = {
    "resolved": "解決した Resolved",
    "booked_follow_up": "後日の予約をした Follow-up booked",
    "referred_to_counter": "窓口を案内した Referred to a counter",
    "handed_over": "取次いだ Handed over",
    "dropped": "途中で切れた Dropped",
}
LANGUAGES = {
    "ja": "日本語 Japanese",
    "ja-easy": "やさしい日本語 Easy Japanese",
    "en": "英語 English",
    "zh-Hans": "中国語（簡体字） Chinese",
    "ko": "韓国語 Korean",
    "pt-BR": "ポルトガル語 Portuguese",
    "vi": "ベトナム語 Vietnamese",
}


def all_words() -> dict[str, dict[str, str]]:
    """Every table at once, for the page's script (a JSON block, never executed)."""
    return {"topics": TOPICS, "roles": ROLES, "outcomes": OUTCOMES, "languages": LANGUAGES}
