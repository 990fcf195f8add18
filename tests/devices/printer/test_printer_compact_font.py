"""The printer's compact font: the same glyphs as the full Noto CJK face for every character it
keeps, the full face taken on first need for anything else (coverage never shrinks), every
label and catalog text of all seven languages inside the copy (ordinary documents never load
the full face), and a font upgrade making an old copy unused, not wrong."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from devices.fonts import cjk_font_path
from devices.printer.documents import MSGIDS, sample_info
from devices.printer.documents._compact import (
    build_compact_font,
    compact_font_path,
    in_repertoire,
)
from devices.printer.documents._font import FontSource
from devices.printer.documents._renderer import DocumentRenderer
from madoguchi.core.i18n import LANGUAGES

SAMPLE = set("受付番号 転入届 こくみん ÁÉ Tiếng Việt 한국어 简体中文 ①→")
RARE = "𠮷"  # U+20BB7: in Noto CJK, outside JIS X 0208 / GB 2312 / KS X 1001


@pytest.fixture(scope="module")
def small_copy(tmp_path_factory):
    """A compact copy holding only SAMPLE (the real builder; a small repertoire is fast)."""
    directory = tmp_path_factory.mktemp("fonts")
    path, facts = build_compact_font(directory, keep={ord(c) for c in SAMPLE})
    assert facts["characters"] == len({c for c in SAMPLE})  # every SAMPLE char is in Noto CJK
    return path


@pytest.fixture(scope="module")
def real_copy():
    """The copy `make` builds (`madoguchi build-print-font`); built here if it is missing."""
    path = compact_font_path()
    if not path.is_file():
        build_compact_font()
    return path


def _glyphs(font_bytes: bytes) -> dict[str, tuple]:
    """char -> (advance, outline coordinates, end points) of a per-document font."""
    font = TTFont(io.BytesIO(font_bytes))
    glyf, hmtx = font["glyf"], font["hmtx"]
    out = {}
    for code, name in font.getBestCmap().items():
        glyph = glyf[name]
        coords = tuple(glyph.getCoordinates(glyf)[0]) if glyph.numberOfContours else ()
        ends = tuple(getattr(glyph, "endPtsOfContours", ()))
        out[chr(code)] = (hmtx[name][0], coords, ends)
    return out


def test_the_copy_draws_exactly_the_full_faces_glyphs(small_copy):
    full = FontSource(compact=False)
    compact = FontSource(compact=small_copy)
    assert compact.uses_compact and not full.uses_compact
    a, b = _glyphs(full.subset_font(SAMPLE)), _glyphs(compact.subset_font(SAMPLE))
    assert set(a) == set(b) and len(a) >= len(SAMPLE) - 1
    assert a == b
    assert not compact.full_loaded  # every character was in the copy


def test_a_character_outside_the_copy_comes_from_the_full_face(small_copy):
    compact = FontSource(compact=small_copy)
    assert not compact.missing("受付")
    assert not compact.full_loaded
    font = compact.subset_font(set("受付" + RARE))
    assert compact.full_loaded
    glyphs = _glyphs(font)
    assert RARE in glyphs and glyphs[RARE][1]  # a real outline, not the empty .notdef
    assert glyphs[RARE] == _glyphs(FontSource(compact=False).subset_font({RARE}))[RARE]
    assert compact.missing("\U000f0000") == {"\U000f0000"}  # in neither face: reported


def test_certificate_with_a_rare_kanji_prints_it_with_the_copy(real_copy):
    renderer = DocumentRenderer(font=FontSource())
    assert renderer.font.uses_compact
    pdf = renderer.certificate(sample_info("certificate", "ja"))  # holder 𠮷田 花子
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert RARE + "田" in text
    assert renderer.font.full_loaded


def test_every_label_and_catalog_text_is_inside_the_copy(real_copy):
    """Ordinary documents never need the full face: all printer labels in all languages and
    every catalog text (procedures, life events, offices...) are in the repertoire."""
    from devices.printer.documents import LOCALE_DIR
    from kiosk.catalog import default_catalog
    from madoguchi.core.i18n import load_translator

    texts: list[str] = []
    for language in LANGUAGES:
        t = load_translator(LOCALE_DIR, language)
        texts += [t.gettext(m) for m in MSGIDS]
    catalog = default_catalog()
    for proc in catalog.procedures.values():
        texts += [proc.name.get(lang) for lang in LANGUAGES]
    for event in catalog.life_events.values():
        texts += [event.name.get(lang) for lang in LANGUAGES]
    chars = {c for text in texts for c in text if not c.isspace()}
    outside = sorted(c for c in chars if not in_repertoire(ord(c)))
    assert not outside, outside
    copy = FontSource()
    assert copy.uses_compact
    assert not copy.missing("".join(chars))
    assert not copy.full_loaded


def test_a_changed_source_font_makes_the_old_copy_unused(tmp_path, small_copy):
    source = tmp_path / "font.ttc"
    source.write_bytes(b"a font file")  # only its identity (path, size, mtime) matters here
    first = compact_font_path(tmp_path, source)
    os.utime(source, ns=(1, 1))
    assert compact_font_path(tmp_path, source) != first
    assert compact_font_path(tmp_path / "x") != compact_font_path(tmp_path / "y")


def test_build_cli_if_missing_does_not_rebuild(tmp_path):
    env = dict(os.environ, MADOGUCHI_FONT_CACHE=str(tmp_path))
    path = compact_font_path(tmp_path)
    path.write_bytes(b"placeholder")  # stands for a built copy: --if-missing must keep it
    bold = compact_font_path(tmp_path, cjk_font_path("bold"))  # the screens' bold copy
    bold.write_bytes(b"placeholder")
    out = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "build-print-font", "--if-missing", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert '"built": false' in out.stdout
    assert path.read_bytes() == b"placeholder" and bold.read_bytes() == b"placeholder"
    assert json.loads(out.stdout)["bold"] == {"path": str(bold), "built": False}


def test_repertoire_covers_names_and_addresses():
    for ch in "山田太郎 東京都千代田区霞が関一丁目 髙橋 﨑 ヴ ー・":
        if not ch.isspace() and ch not in "髙﨑":  # IBM extensions: outside JIS X 0208
            assert in_repertoire(ord(ch)), ch
