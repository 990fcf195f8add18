"""The words city-hall staff read on the consultation console for the ids the relay and the
records use: topics, roles, outcomes and residents' languages, in Japanese with English, and
what staff should write in for each resident's language (the call's header).

An id not listed here is shown as itself (a new topic still works, only unnamed).
"""

from __future__ import annotations

__all__ = [
    "LANGUAGES",
    "OUTCOMES",
    "ROLES",
    "ROLE_SHORT",
    "TOPICS",
    "all_words",
    "language_line",
]

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
# A role as the short word in a caption: 「田中（担当）」.
ROLE_SHORT = {
    "specialist": "担当",
    "front_desk": "総合案内",
    "interpreter": "通訳",
    "supervisor": "責任者",
}
# The residents' languages: (Japanese name, English name).
_LANGUAGE_NAMES = {
    "ja": ("日本語", "Japanese"),
    "ja-easy": ("やさしい日本語", "Easy Japanese"),
    "en": ("英語", "English"),
    "zh-Hans": ("中国語（簡体字）", "Chinese"),
    "ko": ("韓国語", "Korean"),
    "pt-BR": ("ポルトガル語", "Portuguese"),
    "vi": ("ベトナム語", "Vietnamese"),
}
LANGUAGES = {code: f"{ja} {en}" for code, (ja, en) in _LANGUAGE_NAMES.items()}
# What staff write in, by the resident's language: staff write Japanese, やさしい日本語 and
# English; for the others, the two a resident is most likely to read (the kiosk shows the
# resident every line as it was typed: nothing is translated).
_WRITE_IN = {
    "ja": None,
    "ja-easy": (
        "やさしい日本語で、漢字を少なく、短い文で書いてください",
        "write in Easy Japanese: few kanji, short sentences",
    ),
    "en": ("英語で書いてください", "write in English"),
}
_WRITE_IN_OTHER = (
    "やさしい日本語（漢字を少なく、短い文）か英語で書いてください",
    "write in Easy Japanese (few kanji, short sentences) or English",
)


def language_line(code: str) -> tuple[str, str]:
    """The call's header line about the resident's language, (Japanese, English):
    「相談者の言語：ベトナム語（やさしい日本語か英語で書いてください）」. An unknown code is shown
    as itself with no advice."""
    if code not in _LANGUAGE_NAMES:
        return f"相談者の言語：{code}", f"Resident's language: {code}"
    ja, en = _LANGUAGE_NAMES[code]
    advice = _WRITE_IN.get(code, _WRITE_IN_OTHER)
    if advice is None:
        return f"相談者の言語：{ja}", f"Resident's language: {en}"
    return f"相談者の言語：{ja}（{advice[0]}）", f"Resident's language: {en} ({advice[1]})"


def all_words() -> dict[str, dict[str, str]]:
    """Every table at once, for the page's script (a JSON block, never executed)."""
    return {
        "topics": TOPICS,
        "roles": ROLES,
        "role_short": ROLE_SHORT,
        "outcomes": OUTCOMES,
        "languages": LANGUAGES,
        "language_line": {code: language_line(code)[0] for code in _LANGUAGE_NAMES},
        "language_line_en": {code: language_line(code)[1] for code in _LANGUAGE_NAMES},
    }
