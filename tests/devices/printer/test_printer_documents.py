"""Every printed document kind renders in all seven languages: the expected text is in the PDF
(pypdf), every character has a glyph in the embedded font, the QR code decodes back to the
reference number (pdftoppm + zbar), and the rasterized glyphs are real shapes, not boxes."""

import io
import subprocess

import pytest
from PIL import Image
from pypdf import PdfReader
from pyzbar.pyzbar import decode

from devices.printer.documents import (
    KINDS,
    MSGIDS,
    DocumentRenderer,
    sample_info,
)
from devices.printer.documents._layout import ROLL, Block, render_blocks
from devices.printer.errors import DocumentDataError
from madoguchi.core.i18n import LANGUAGES

REFERENCE = "R-2026-000123"
# The heading each kind prints, as an English msgid (translated per language below).
TITLES = {
    "receipt": "Receipt",
    "queue_ticket": "Queue ticket",
    "consultation_slip": "Consultation booking",
    "checklist": "Checklist of procedures",
    "certificate": "Certificate of residence",
    "claim_slip": "Certificate request received",
    "payment_slip": "Payment slip",
    "notices": "Notices at this shelter",
}


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up(labels=True)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _raster(pdf: bytes, tmp_path, dpi: int = 150) -> Image.Image:
    src = tmp_path / "doc.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-gray",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            str(src),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    with Image.open(tmp_path / "page.pgm") as img:
        return img.convert("L").copy()


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete(renderer, language):
    assert renderer.translator(language).missing(MSGIDS) == set()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_every_language(renderer, kind, language, tmp_path):
    info = sample_info(kind, language, REFERENCE)
    pdf = renderer.render(kind, info)
    assert pdf.startswith(b"%PDF-")

    # The text a resident reads, in their language (spaces may be lost by extraction).
    text = _squash(_text(pdf))
    t = renderer.translator(language)
    assert _squash(t.gettext(TITLES[kind])) in text
    assert _squash(info.center_name) in text
    if kind == "queue_ticket":
        assert "042" in text
    elif kind == "notices":  # no reference: the notices themselves
        assert _squash(info.items[0].text) in text
    else:
        assert REFERENCE in text

    # No character of the document lacks a glyph in the font.
    blocks = renderer.blocks(kind, info)
    every_char = "".join(b.text + b.value for b in blocks)
    assert renderer.font.missing(every_char) == set()

    # The QR code decodes back to the reference number (the ticket's to its number).
    found = {d.data.decode() for d in decode(_raster(pdf, tmp_path))}
    if kind == "notices":
        assert found == set()  # nothing to look up: the notices print no QR code
    else:
        assert found == {"042" if kind == "queue_ticket" else REFERENCE}


def test_receipt_shows_reference_and_procedures_not_personal_data(renderer):
    info = sample_info("receipt", "ja", REFERENCE)
    text = _squash(_text(renderer.receipt(info)))
    assert REFERENCE in text and "転入届" in text
    # ReceiptInfo has no field for a name, address or birth date at all.
    assert not {"holder_name", "holder_address", "address"} & set(vars(info))


def test_certificate_has_issuer_block_and_verification_code(renderer):
    info = sample_info("certificate", "en", REFERENCE)
    text = _squash(_text(renderer.certificate(info)))
    for expected in (
        "Issuedby",
        _squash(info.issuer),
        "Verificationcode",
        info.verification_code,
        _squash(info.holder_name),
    ):
        assert expected in text
    pages = PdfReader(io.BytesIO(renderer.certificate(info))).pages
    width, height = (float(v) for v in pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_roll_documents_are_80mm_wide_and_as_long_as_content(renderer):
    short = renderer.queue_ticket(sample_info("queue_ticket", "en"))
    long_info = sample_info("receipt", "en")
    long_info = type(long_info)(**{**vars(long_info), "procedures": ("Procedure",) * 40})
    tall = renderer.receipt(long_info)
    sizes = [PdfReader(io.BytesIO(p)).pages[0].mediabox for p in (short, tall)]
    assert all(round(float(s.width) * 25.4 / 72) == 80 for s in sizes)
    assert float(sizes[1].height) > float(sizes[0].height) * 2
    assert len(PdfReader(io.BytesIO(tall)).pages) == 1


def test_checklist_prints_on_80mm_and_a4(renderer):
    info = sample_info("checklist", "ko")
    roll = PdfReader(io.BytesIO(renderer.checklist(info, paper="80mm"))).pages[0].mediabox
    a4 = PdfReader(io.BytesIO(renderer.checklist(info, paper="A4"))).pages[0].mediabox
    assert round(float(roll.width) * 25.4 / 72) == 80
    assert round(float(a4.width)) == 595


def _glyph_bitmap(renderer, ch: str, tmp_path) -> bytes:
    """`ch` alone on a roll page, rasterized, cropped to its ink box."""
    pdf = render_blocks(
        renderer.font, [Block("text", ch, size=40)], ROLL, char_wrap=True, title="probe"
    )
    img = _raster(pdf, tmp_path, dpi=100).point(lambda p: 0 if p > 128 else 255)
    box = img.getbbox()
    return img.crop(box).tobytes() if box else b""


# One character per script the documents print: kanji, hiragana, katakana, simplified
# Chinese, Hangul, Vietnamese with stacked diacritics, Portuguese, a kanji outside the BMP.
SAMPLES = ["転", "ぁ", "ヴ", "迁", "전", "ệ", "ã", "𠮷", "証"]


def test_scripts_draw_distinct_glyphs_not_boxes(renderer, tmp_path):
    bitmaps = [_glyph_bitmap(renderer, ch, tmp_path) for ch in SAMPLES]
    assert all(len(b) > 0 for b in bitmaps), "a character drew nothing"
    # A missing glyph is drawn as the same .notdef box every time: distinct bitmaps prove glyphs.
    assert len(set(bitmaps)) == len(SAMPLES)


def test_detector_catches_characters_the_font_lacks(renderer, tmp_path):
    lacking = ["\ue000", "\ue001", "\ue002"]  # private use: no glyph in Noto Sans CJK
    assert renderer.font.missing("".join(lacking)) == set(lacking)
    bitmaps = {_glyph_bitmap(renderer, ch, tmp_path) for ch in lacking}
    # fpdf2 draws a glyph the font lacks as nothing (or, elsewhere, as the same box): the
    # checks above (ink + distinct bitmaps) fail either way.
    assert len(bitmaps) == 1


BAD = [
    ("receipt", {"language": "xx"}),
    ("receipt", {"reference": ""}),
    ("receipt", {"procedures": ()}),
    ("receipt", {"city_name": "   "}),
    ("receipt", {"reference": "R" * 65}),
    ("queue_ticket", {"ticket_number": ""}),
    ("consultation_slip", {"topic": "astrology"}),
    ("consultation_slip", {"duration_min": 0}),
    ("certificate", {"certificate_kind": "passport"}),
    ("certificate", {"verification_code": ""}),
    ("claim_slip", {"certificate_kind": ""}),
    ("checklist", {"items": ()}),
]


@pytest.mark.parametrize(("kind", "change"), BAD, ids=[f"{k}-{next(iter(c))}" for k, c in BAD])
def test_bad_document_data_is_refused(kind, change):
    info = sample_info(kind, "ja")
    with pytest.raises(DocumentDataError):
        type(info)(**{**vars(info), **change})


def test_bad_checklist_item_and_paper_refused(renderer):
    from devices.printer.documents import ChecklistItem

    with pytest.raises(DocumentDataError):
        ChecklistItem("x", "somewhere")
    with pytest.raises(DocumentDataError):
        renderer.checklist(sample_info("checklist", "ja"), paper="A3")
    with pytest.raises(DocumentDataError):
        renderer.render("passport", sample_info("receipt", "ja"))
    with pytest.raises(DocumentDataError):  # the same request check as the render worker's
        renderer.render("receipt", sample_info("queue_ticket", "ja"))


def _seal_png() -> str:
    import base64

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 0, 0)).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _marked_area(pdf: bytes, tmp_path) -> int:
    """Non-white pixels in the page's lower middle, where only the diagonal 見本 stamp draws."""
    img = _raster(pdf, tmp_path, dpi=40)
    w, h = img.size
    box = img.crop((int(w * 0.2), int(h * 0.65), int(w * 0.6), int(h * 0.85)))
    return sum(1 for v in box.getdata() if v < 240)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_certificate_without_mayor_and_seal_prints_as_sample(renderer, language, tmp_path):
    import dataclasses

    from devices.printer.documents import SAMPLE_MARK, is_sample

    base = sample_info("certificate", language, REFERENCE)
    sealed = dataclasses.replace(base, mayor="豊橋市長 窓口 一郎", seal_png_b64=_seal_png())
    assert not is_sample(sealed)
    # No mayor, or a mayor without the official seal: a sample, on every page of every copy.
    for info in (base, dataclasses.replace(base, mayor="豊橋市長 窓口 一郎")):
        assert is_sample(info)
        pdf = renderer.certificate(dataclasses.replace(info, copies=2))
        pages = PdfReader(io.BytesIO(pdf)).pages
        assert len(pages) == 2
        for page in pages:
            text = _squash(page.extract_text())
            assert _squash(SAMPLE_MARK) in text and "証明書としての効力はありません" in text
        assert _marked_area(pdf, tmp_path) > 50
        # The QR code still reads (the stamp is light), so the verify page can say "not issued".
        assert {d.data.decode() for d in decode(_raster(pdf, tmp_path))} == {REFERENCE}
    pdf = renderer.certificate(sealed)
    assert "見本" not in _text(pdf) and "SAMPLE" not in _text(pdf)
    assert _marked_area(pdf, tmp_path) == 0


def test_sample_stamp_is_on_a_copy_that_runs_over_a_page_break(renderer):
    import dataclasses
    from datetime import date

    from devices.printer.documents import CertificateMember

    members = tuple(
        CertificateMember(name=f"窓口 {i}郎", birth_date=date(2000, 1, 1), relationship="子")
        for i in range(20)
    )
    info = dataclasses.replace(sample_info("certificate", "ja", REFERENCE), members=members)
    pages = PdfReader(io.BytesIO(renderer.certificate(info))).pages
    assert len(pages) >= 2  # one copy, more than one sheet
    for page in pages:
        assert "証明書としての効力はありません" in page.extract_text()


@pytest.mark.parametrize("language", LANGUAGES)
def test_tax_certificate_legal_content_is_japanese_in_every_language(renderer, language):
    import dataclasses

    from devices.printer.documents import TaxYear

    info = dataclasses.replace(
        sample_info("certificate", language, REFERENCE),
        certificate_kind="tax",
        tax=TaxYear(fiscal_year=2026, income_yen=3_200_000, tax_yen=154_000),
    )
    text = _squash(_text(renderer.certificate(info)))
    for legal in ("課税（所得）証明書", "氏名", "年度", "総所得金額", "3,200,000円", "税額",
                  "154,000円", "交付年月日", "2026年11月22日", "発行者", "上記のとおり相違ない"):  # fmt: skip
        assert _squash(legal) in text, legal
    t = renderer.translator(language)
    if language == "ja":
        assert "Totalincome" not in text
    else:  # the resident's words added under the Japanese, never instead of it
        for msgid in ("Tax certificate", "Total income", "Tax amount", "Fiscal year"):
            assert _squash(t.gettext(msgid)) in text, msgid


def _roll_lines(renderer, text: str) -> list[str]:
    pdf = render_blocks(renderer.font, [Block("text", text)], ROLL, char_wrap=True, title="t")
    return [line for line in _text(pdf).splitlines() if line]


def _script(c: str) -> str:
    if "\u3041" <= c <= "\u309f":
        return "hira"
    return "kanji" if "\u3400" <= c <= "\u9fff" else "other"


def test_japanese_roll_lines_break_between_phrases_not_inside_words(renderer):
    """Review B4: 「支払\\nい済み」 and 「保管してくださ\\nい。」 on the 80 mm receipt."""
    paid = "センターの機械でキャッシュレス決済により支払い済み。お支払いの証明として、この領収書を保管してください。"
    lines = _roll_lines(renderer, paid)
    assert len(lines) > 1 and "".join(lines) == paid
    assert not any(line.endswith(("支払", "くださ")) for line in lines), lines
    # Every Japanese label the printer has, on the roll: no break between a kanji and its
    # okurigana, none inside a number, none before 」。、 or after 「（.
    t = renderer.translator("ja")
    for msgid in MSGIDS:
        text = t.gettext(msgid).replace("{", "").replace("}", "")
        lines = _roll_lines(renderer, text)
        for above, below in zip(lines, lines[1:], strict=False):
            pair = (above[-1], below[0])
            assert not (_script(pair[0]) == "kanji" and _script(pair[1]) == "hira"), lines
            assert not (pair[0].isdigit() and pair[1].isdigit()), lines
            assert below[0] not in "、。）」』" and above[-1] not in "（「『", lines
