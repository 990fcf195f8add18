"""The kiosk's seven languages and a small gettext-style loader over `.po` catalogs.

Languages (codes are ours; BCP 47 where one exists): ja, ja-easy (やさしい日本語, easy Japanese),
en, zh-Hans, ko, pt-BR, vi. Each domain keeps one `.po` file per language in a directory of its
own package (`<localedir>/<code>.po`): the printer's documents and the kiosk's screens are separate
domains, so neither package depends on the other. Catalogs are read with babel (no .mo build
step) once per (localedir, language) and cached in the returned `Translator`.

`Translator.gettext` falls back to the msgid only where a catalog truly lacks a string, and
`missing()` lists such strings so a test can fail on any untranslated text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from madoguchi.core.errors import MadoguchiError

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "Translator",
    "UnknownLanguageError",
    "load_translator",
]

LANGUAGES: tuple[str, ...] = ("ja", "ja-easy", "en", "zh-Hans", "ko", "pt-BR", "vi")
DEFAULT_LANGUAGE = "ja"
# Each language named in itself, as the language picker shows it.
LANGUAGE_NAMES: dict[str, str] = {
    "ja": "日本語",
    "ja-easy": "やさしい にほんご",
    "en": "English",
    "zh-Hans": "简体中文",
    "ko": "한국어",
    "pt-BR": "Português",
    "vi": "Tiếng Việt",
}


class UnknownLanguageError(MadoguchiError):
    """A language code that is not one of LANGUAGES."""


@dataclass
class Translator:
    language: str
    messages: dict[str, str]
    plurals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _missing: set[str] = field(default_factory=set)

    def gettext(self, msgid: str) -> str:
        text = self.messages.get(msgid)
        if not text:
            self._missing.add(msgid)
            return msgid
        return text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self.plurals.get(singular)
        if not forms:
            self._missing.add(singular)
            return singular if n == 1 else plural
        # Japanese, Chinese, Korean and Vietnamese have one form; English and Portuguese two.
        return forms[0] if len(forms) == 1 or n == 1 else forms[1]

    def format(self, msgid: str, **values: object) -> str:
        return self.gettext(msgid).format(**values)

    def missing(self, msgids: Iterable[str] = ()) -> set[str]:
        """Strings looked up without a translation so far, plus any of `msgids` not in the catalog."""
        return self._missing | {m for m in msgids if not self.messages.get(m)}


def load_translator(localedir: Path | str, language: str) -> Translator:
    """The translator for `language` from `<localedir>/<language>.po` (cached)."""
    if language not in LANGUAGES:
        raise UnknownLanguageError(
            f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}"
        )
    return _load(str(Path(localedir).resolve()), language)


@lru_cache(maxsize=64)
def _load(localedir: str, language: str) -> Translator:
    from babel.messages.pofile import read_po

    path = Path(localedir) / f"{language}.po"
    if not path.is_file():
        raise UnknownLanguageError(f"no catalog for {language!r} in {localedir}")
    with path.open("rb") as f:
        catalog = read_po(f, locale=None)
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            forms = tuple(s for s in message.string if s)
            if forms:
                plurals[message.id[0]] = forms
        elif message.string:
            messages[message.id] = message.string
    return Translator(language=language, messages=messages, plurals=plurals)
