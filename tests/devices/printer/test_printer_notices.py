"""The shelter's notices as a printed roll (`notices` kind): what the kiosk's shelter screen
shows, in the reader's language, with where each notice comes from; bounded and refused plainly
when malformed (real renderer, PDF text read back)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from pypdf import PdfReader

from devices.printer.documents import DocumentRenderer, NoticeItem, NoticesInfo
from devices.printer.errors import DocumentDataError

pytestmark = pytest.mark.timeout(120)

BASE = {"language": "ja", "city_name": "豊橋市", "center_name": "東町",
        "issued_at": datetime(2026, 12, 4, 9, 0)}  # fmt: skip


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


def _text(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_notices_print_with_their_source(renderer):
    items = (
        NoticeItem(kind="給水", text="給水車は14時から正面玄関前です。", city=True),
        NoticeItem(kind="入浴", text="シャワーは18時から20時まで使えます。"),
    )
    text = _text(renderer.notices(NoticesInfo(**BASE, items=items)))
    assert "避難所からのお知らせ" in text
    assert "給水" in text and "市役所から" in text and "正面玄関前" in text
    assert "入浴" in text and "この避難所の職員から" in text and "18時から20時" in text
    none = _text(renderer.notices(NoticesInfo(**{**BASE, "language": "en"})))
    assert "There are no notices now." in none


@pytest.mark.parametrize(
    "item",
    [
        {"kind": "", "text": "x"},
        {"kind": "給水", "text": ""},
        {"kind": "給水", "text": "あ" * 301},
        {"kind": "給水", "text": "一行目\n二行目"},
        {"kind": "給" * 41, "text": "x"},
        {"kind": "給水", "text": 3},
    ],
)
def test_malformed_notices_are_refused(item):
    with pytest.raises(DocumentDataError):
        NoticeItem(**item)


def test_at_most_twenty(renderer):
    items = tuple(NoticeItem(kind="お知らせ", text=f"{i}") for i in range(21))
    with pytest.raises(DocumentDataError, match="at most 20"):
        NoticesInfo(**BASE, items=items)
