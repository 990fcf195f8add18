"""The .po loader: translations found, missing strings reported, unknown languages refused."""

import pytest

from madoguchi.core.i18n import LANGUAGE_NAMES, LANGUAGES, UnknownLanguageError, load_translator

PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Receipt"
msgstr "受付票"

msgid "{n} people waiting"
msgstr "{n}人待ち"

msgid "Untranslated"
msgstr ""
"""


def test_loads_and_reports_missing(tmp_path):
    (tmp_path / "ja.po").write_text(PO, encoding="utf-8")
    t = load_translator(tmp_path, "ja")
    assert t.gettext("Receipt") == "受付票"
    assert t.format("{n} people waiting", n=3) == "3人待ち"
    assert t.gettext("Untranslated") == "Untranslated"
    assert t.missing() == {"Untranslated"}
    assert t.missing(["Receipt", "Other"]) == {"Untranslated", "Other"}


def test_unknown_language_refused(tmp_path):
    with pytest.raises(UnknownLanguageError):
        load_translator(tmp_path, "xx")


def test_missing_catalog_is_an_error(tmp_path):
    with pytest.raises(UnknownLanguageError):
        load_translator(tmp_path, "vi")


def test_every_language_has_a_native_name():
    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
    assert len(LANGUAGES) == 7
