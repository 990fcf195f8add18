"""Certificates that carry what a valid copy carries, end to end with real parts: the city's back
office on 127.0.0.1 answers the holder and the certificate fields, the central `Issuer` checks
the card's signature over its challenge, passes on only what the resident's options ask for and
signs a verification reference; the kiosk's `PrinterAdapter` renders the A4 PDF (認証文, city,
mayor and official seal from the signed config's `city`, issue date, options); pdftoppm rasters
it, pyzbar reads the QR code and the central verify page checks it: valid, no personal data on
the page, the printed fields match; a tampered reference or altered printout does not verify."""

from __future__ import annotations

import base64
import datetime as dt
import io
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageDraw
from pypdf import PdfReader
from pyzbar.pyzbar import decode

from devices.card.simulator.ca import default_test_ca, issue_card_credentials
from devices.printer.documents import DocumentRenderer
from devices.printer.errors import DocumentDataError
from kiosk.services import PrinterAdapter
from kiosk.session.ports import PortPrintError, PrintJob
from sync.central.certificate_content import (
    CertificateOptionsError,
    parse_options,
    select_fields,
)
from sync.central.issuer import REASONS, Issuer, IssuerConfig
from sync.central.residents import HttpResidentRecords, ResidentRecordsConfig
from sync.central.verify import ReferenceError, create_verify_app, read_reference
from tests.support.issuer import rsa_signer, signed_request
from tests.support.residents import ResidentsBackOffice, key_of

pytestmark = pytest.mark.timeout(120)

CA = default_test_ca()
CARD = issue_card_credentials(CA, "certificate-content")
KEY = key_of(CARD.certificate, CA.certificate)
VERIFY_URL = "https://city.example/verify/"


def _png(color: str, text: str = "") -> str:
    img = Image.new("RGBA", (120, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 116, 116), outline=color, width=8)
    draw.rectangle((38, 38, 82, 82), outline=color, width=6)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


SEAL = _png("#c00000")  # the city's official seal
IMPRESSION = _png("#b00000")  # the resident's registered seal
RECORD = {
    "name": "窓口 花子",
    "address": "愛知県豊橋市今橋町1番地",
    "birth_date": "1985-06-07",
    "sex": "2",
    "head_of_household": "窓口 太郎",
    "relationship": "妻",
    "domicile": "愛知県豊橋市八町通五丁目1番地",
    "domicile_head": "窓口 太郎",
    "moved_in": "2019-04-01",
    "my_number": "123456789018",
    "household": [
        {"name": "窓口 太郎", "birth_date": "1983-01-02", "relationship": "世帯主",
         "moved_in": "2019-04-01", "my_number": "987654321098"},
        {"name": "窓口 一郎", "birth_date": "2020-08-09", "relationship": "子",
         "moved_in": "2020-08-09"},
    ],
    "seal_number": "第 01234 号",
    "seal_png_b64": IMPRESSION,
    "tax": [
        {"fiscal_year": 2025, "income_yen": 3120000, "tax_yen": 168500},
        {"fiscal_year": 2024, "income_yen": 2980000, "tax_yen": 159000},
    ],
}  # fmt: skip
CITY = {"name": "豊橋市", "mayor": "豊橋市長　市野　守", "seal_png_b64": SEAL}


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


@pytest.fixture
def central(tmp_path):
    key = Ed25519PrivateKey.generate()
    with ResidentsBackOffice({KEY: RECORD}) as office:
        issuer = Issuer(
            IssuerConfig(trusted_cas=(CA.certificate,), city_name="豊橋市", verify_url=VERIFY_URL),
            tmp_path / "issuer.db",
            secret=b"0123456789abcdef0123456789abcdef",
            document_key=key,
            residents=HttpResidentRecords(ResidentRecordsConfig(url=office.url)),
        )
        try:
            yield issuer, key
        finally:
            issuer.close()


def _issue(issuer, kind="resident_record", copies=1, options=None) -> dict:
    payload = signed_request(issuer.handlers(), "kita-01", CARD.certificate_der,
                             rsa_signer(CARD.key), certificate=kind, copies=copies)  # fmt: skip
    if options is not None:
        payload["options"] = options
    return issuer.certificate_issue("kita-01", payload)


class _Paper:
    """Stands in for `devices.printer.Printer` only as far as `render` goes (no job sent)."""

    pending: list = []


def _render(reply: dict, kind="resident_record", copies=1, language="ja") -> bytes:
    adapter = PrinterAdapter(
        _Paper(), RENDERER, city_name="Madoguchi City", center_name="北部市民館",
        now=lambda: dt.datetime(2026, 12, 3, 10, 30), city=lambda: CITY,
    )  # fmt: skip
    job = PrintJob("certificate", language,
                   {"certificate": kind, "copies": copies, "title": "x", "document": reply})  # fmt: skip
    role, pdf, _ = adapter.render(job)
    assert role == "document"
    return pdf


def _text(pdf: bytes) -> str:
    return "".join(
        "".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )


def _page_png(pdf: bytes, tmp_path, name: str, dpi: int = 110) -> Image.Image:
    src = tmp_path / f"{name}.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", "1", "-l", "1",
                    str(src), str(tmp_path / name)], check=True, timeout=60)  # fmt: skip
    with Image.open(tmp_path / f"{name}.png") as img:
        return img.convert("RGB").copy()


RENDERER = DocumentRenderer()


def test_resident_record_with_every_option_carries_what_a_valid_copy_carries(central, tmp_path):
    issuer, key = central
    options = {"household": "all", "head": True, "domicile": True, "moved_in": True,
               "my_number": True}  # fmt: skip
    reply = _issue(issuer, options=options)
    assert reply["ok"] is True, reply
    pdf = _render(reply)
    text = _text(pdf)
    for expected in (
        "住民票の写し", "窓口花子", "愛知県豊橋市今橋町1番地", "1985年6月7日",
        "この写しは、住民票の原本と相違ないことを証明する。",  # 認証文
        "豊橋市長市野守", "豊橋市", "交付年月日", "2026年12月3日",
        "世帯主", "窓口太郎", "続柄", "妻", "本籍", "愛知県豊橋市八町通五丁目1番地", "筆頭者",
        "住民となった年月日", "2019年4月1日", "個人番号", "123456789018",
        "世帯全員（3人）", "窓口一郎", "2020年8月9日", "子", "987654321098",
    ):  # fmt: skip
        assert expected in text, expected
    page = _page_png(pdf, tmp_path, "resident-all")
    # The official seal is drawn in red (the rest of the page is black on white).
    reds = sum(1 for r, g, b in page.getdata() if r > 150 and g < 90 and b < 90)
    assert reds > 200
    [code] = decode(page.convert("L"))
    url = code.data.decode()
    assert url.startswith(VERIFY_URL)
    ref = read_reference(url, key.public_key())
    assert ref.type == "resident_record" and ref.document_id == reply["document_id"]
    assert ref.matches("窓口 花子", "1985-06-07", "愛知県豊橋市今橋町1番地")


def test_default_options_print_only_the_resident_and_no_my_number(central):
    issuer, _ = central
    reply = _issue(issuer)  # 本人のみ, nothing else: as a コンビニ交付 machine's defaults
    holder = reply["holder"]
    assert set(holder) == {"name", "address", "birth_date", "sex"}
    text = _text(_render(reply))
    for absent in ("123456789018", "個人番号", "本籍", "窓口一郎", "世帯全員", "続柄"):
        assert absent not in text, absent
    assert "この写しは、住民票の原本と相違ないことを証明する。" in text


def test_three_copies_are_three_pages_each_with_the_attestation_and_seal(central, tmp_path):
    issuer, _ = central
    pdf = _render(_issue(issuer, copies=3), copies=3)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 3
    for n, page in enumerate(pages, 1):
        text = "".join(page.extract_text().split())
        assert f"{n}通目（全3通）" in text
        assert "この写しは、住民票の原本と相違ないことを証明する。" in text


def test_seal_certificate_has_number_impression_and_attestation(central, tmp_path):
    issuer, key = central
    reply = _issue(issuer, kind="seal_certificate")
    assert reply["holder"]["seal_number"] == "第 01234 号"
    pdf = _render(reply, kind="seal_certificate")
    text = _text(pdf)
    for expected in ("印鑑登録証明書", "登録番号", "第01234号", "印影",
                     "この写しは、登録されている印影と相違ないことを証明する。", "豊橋市長市野守"):  # fmt: skip
        assert expected in text, expected
    assert "個人番号" not in text and "1985-06-07" not in text
    page = _page_png(pdf, tmp_path, "seal")
    assert read_reference(decode(page.convert("L"))[0].data.decode(), key.public_key())


@pytest.mark.parametrize(("options", "year"), [(None, 2025), ({"fiscal_year": 2024}, 2024)])
def test_tax_certificate_prints_the_year_asked(central, options, year):
    issuer, _ = central
    reply = _issue(issuer, kind="tax_certificate", options=options)
    text = _text(_render(reply, kind="tax_certificate", language="en"))
    income = {2025: "3,120,000", 2024: "2,980,000"}[year]
    for expected in ("Taxcertificate", "Fiscalyear", str(year), income, "上記のとおり相違ないことを証明する。",
                     "Theaboveiscertifiedtobecorrect."):  # fmt: skip
        assert expected in text, expected


def test_the_verify_page_checks_without_showing_personal_data(central, tmp_path):
    issuer, key = central
    reply = _issue(issuer, options={"household": "all", "my_number": True})
    page = _page_png(_render(reply), tmp_path, "verify")
    url = decode(page.convert("L"))[0].data.decode()
    client = create_verify_app(key.public_key()).test_client()
    path = "/verify/" + url.rsplit("/", 1)[-1]
    got = client.get(path)
    html = got.get_data(as_text=True)
    assert got.status_code == 200 and 'data-valid="1"' in html and "住民票の写し" in html
    for personal in ("窓口", "花子", "1985", "今橋", "123456789018"):
        assert personal not in html
    assert got.headers["Cache-Control"] == "no-store"
    # The checker types what is printed: it matches; an altered printout does not.
    printed = {
        "name": "窓口 花子",
        "birth_date": "1985-06-07",
        "address": "愛知県豊橋市今橋町1番地",
    }
    same = client.post(path, data={**printed, "name": "窓口　花子"}).get_data(as_text=True)
    assert 'data-match="1"' in same
    altered = client.post(path, data={**printed, "name": "窓口 花江"}).get_data(as_text=True)
    # Typed values come back only in the form, to the one who typed them (review B3: keep
    # what was typed); the answer itself never echoes them.
    assert 'data-match="0"' in altered and "窓口 花江" not in altered.split("<form")[0]
    assert 'value="窓口 花江"' in altered


def test_a_tampered_or_foreign_reference_does_not_verify(central):
    issuer, key = central
    token = _issue(issuer)["verify"].rsplit("/", 1)[-1]
    client = create_verify_app(key.public_key()).test_client()
    assert client.get(f"/verify/{token}").status_code == 200
    body = token[len("MDG1.") :]
    for i in (0, 3, 10, 30, 60, len(body) - 1):  # type, time, id, digest, signature
        flipped = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1 :]
        got = client.get(f"/verify/MDG1.{flipped}")
        assert got.status_code == 404 and 'data-valid="0"' in got.get_data(as_text=True)
    other = create_verify_app(Ed25519PrivateKey.generate().public_key()).test_client()
    assert other.get(f"/verify/{token}").status_code == 404
    for bad in ("", "MDG1.", "MDG2." + body, "MDG1." + body + "A", "x" * 500, "MDG1.@@@"):
        with pytest.raises(ReferenceError):
            read_reference(bad, key.public_key())


# -- bad input: refused with a clear code, nothing printed or issued -----------------------


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("resident_record", {"household": "some"}),
        ("resident_record", {"my_number": "yes"}),
        ("resident_record", {"honseki": True}),
        ("seal_certificate", {"household": "all"}),
        ("tax_certificate", {"fiscal_year": 1999}),
        ("tax_certificate", {"fiscal_year": "2025"}),
        ("resident_record", ["household"]),
    ],
)
def test_bad_options_are_refused_before_the_card_check(central, kind, options):
    issuer, _ = central
    assert "bad_options" in REASONS
    assert _issue(issuer, kind=kind, options=options) == {"ok": False, "reason": "bad_options"}
    with pytest.raises(CertificateOptionsError):
        parse_options(kind, options)


def test_a_back_office_that_answers_more_than_asked_passes_on_only_what_was_asked():
    extra = {k: v for k, v in RECORD.items() if k not in ("name", "address", "birth_date", "sex")}
    chosen = select_fields("resident_record", parse_options("resident_record", {"head": True}),
                           extra)  # fmt: skip
    assert chosen == {"head_of_household": "窓口 太郎", "relationship": "妻"}
    all_no_number = select_fields(
        "resident_record", parse_options("resident_record", {"household": "all"}), extra
    )
    assert "my_number" not in str(all_no_number) and len(all_no_number["household"]) == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"my_number": "12345"},
        {"moved_in": "2019-13-01"},
        {"household": [{"name": "x"}]},
        {"household": "all"},
        {"seal_png_b64": base64.b64encode(b"GIF89a...").decode()},
        {"tax": [{"fiscal_year": 2025, "income_yen": -1, "tax_yen": 0}]},
    ],
)
def test_a_bad_back_office_field_issues_without_holder(tmp_path, bad):
    """The back office's answer fails validation: as for any bad answer, the certificate is
    issued without holder data and the kiosk prints a slip (staff print at the counter)."""
    with ResidentsBackOffice({KEY: {**RECORD, **bad}}) as office:
        issuer = Issuer(
            IssuerConfig(trusted_cas=(CA.certificate,)),
            tmp_path / "issuer.db",
            secret=b"0123456789abcdef0123456789abcdef",
            document_key=Ed25519PrivateKey.generate(),
            residents=HttpResidentRecords(ResidentRecordsConfig(url=office.url)),
        )
        try:
            reply = _issue(issuer)
        finally:
            issuer.close()
    assert reply["ok"] is True and "holder" not in reply and "verify" not in reply


@pytest.mark.parametrize(
    "city",
    [
        {"name": "豊橋市", "mayor": "市長", "seal_png_b64": "not base64!"},
        {"name": "豊橋市", "mayor": "市長", "seal_png_b64": base64.b64encode(b"x" * 10).decode()},
    ],
)
def test_a_bad_seal_image_is_refused_as_document_data(central, city):
    issuer, _ = central
    reply = _issue(issuer)
    adapter = PrinterAdapter(_Paper(), RENDERER, city_name="c", center_name="c",
                             city=lambda: city)  # fmt: skip
    job = PrintJob("certificate", "ja", {"certificate": "resident_record", "title": "x",
                                         "document": reply})  # fmt: skip
    with pytest.raises(DocumentDataError):
        adapter.render(job)
    with pytest.raises(PortPrintError) as e:
        adapter.print_job(job)
    assert e.value.reasons == ("document-data",)


def test_a_claim_slip_says_what_is_owed_and_where_to_pay():
    adapter = PrinterAdapter(_Paper(), RENDERER, city_name="豊橋市", center_name="東部")
    data = {"certificate": "resident_record", "reference": "中央-1203-0042", "title": "x",
            "copies": 2, "fee_yen": 600, "office": "市民課 1番窓口"}  # fmt: skip
    role, pdf, _ = adapter.render(PrintJob("claim_slip", "ja", data))
    text = _text(pdf)
    assert role == "receipt"
    assert "お支払い金額" in text and "600円" in text and "お支払い窓口：市民課1番窓口" in text
    for bad in (-1, 1_000_001, "600", 2.5):
        with pytest.raises(PortPrintError):
            adapter.print_job(PrintJob("claim_slip", "ja", {**data, "fee_yen": bad}))


def test_the_render_worker_carries_every_certificate_field(central):
    """The kiosk renders in a worker process (`RemoteRenderer`): the nested fields (household
    members, tax year, seal images) cross its pipe and print the same."""
    from devices.printer.documents import RemoteRenderer

    issuer, _ = central
    options = {"household": "all", "head": True, "moved_in": True, "my_number": True}
    reply = _issue(issuer, options=options)
    tax = _issue(issuer, kind="tax_certificate")
    with RemoteRenderer(labels=False, timeout_s=120) as remote:
        for kind, document in (("resident_record", reply), ("tax_certificate", tax)):
            adapter = PrinterAdapter(_Paper(), remote, city_name="c", center_name="北部市民館",
                                     now=lambda: dt.datetime(2026, 12, 3, 10, 30),
                                     city=lambda: CITY)  # fmt: skip
            job = PrintJob("certificate", "ja", {"certificate": kind, "copies": 1, "title": "x",
                                                 "document": document})  # fmt: skip
            _, pdf, _ = adapter.render(job)
            assert _text(pdf) == _text(_render(document, kind=kind))


@pytest.mark.parametrize("language", ["ja", "ja-easy", "zh-Hans"])
def test_no_printed_line_starts_with_closing_punctuation(central, language):
    """禁則: a line never starts with 。、」） (the character before moves down with it)."""
    from devices.printer.documents import PaymentItem, PaymentSlipInfo

    issuer, _ = central
    reply = _issue(issuer, options={"household": "all", "head": True, "domicile": True})
    base = {"language": language, "city_name": "豊橋市", "center_name": "東部",
            "issued_at": dt.datetime(2026, 12, 3, 10, 30)}  # fmt: skip
    item = PaymentItem(name="住民票の写し", copies=2, fee_yen=600)
    slip = RENDERER.payment_slip(PaymentSlipInfo(**base, reference="R1", items=(item,),
                                                 total_yen=600, method="counter",
                                                 office="市民課 1番窓口"))  # fmt: skip
    for pdf in (slip, _render(reply, language=language)):
        for page in PdfReader(io.BytesIO(pdf)).pages:
            for line in page.extract_text().splitlines():
                assert line.strip()[:1] not in set("、。，．）」』】"), line


# -- the QR covers everything printed that matters (type, copies, date, reference, content) ----


def _check(client, path: str, fields: dict) -> tuple[str, str]:
    html = client.post(path, data=fields).get_data(as_text=True)
    match = html.split('data-match="', 1)[1][0]
    match_all = html.split('data-match-all="', 1)[1][0]
    return match, match_all


def test_the_qr_covers_copies_reference_and_every_printed_item(central, tmp_path):
    """The checker types what the paper says (dates as printed, 2019年4月1日): everything
    matches; one altered item (世帯主, a member's birth date, a member left out) does not, even
    with the name, birth date and address right. No My Number is ever asked (review B3): the
    page has no field for one and the digest does not cover it."""
    issuer, key = central
    options = {"household": "all", "head": True, "domicile": True, "moved_in": True,
               "my_number": True}  # fmt: skip
    reply = _issue(issuer, copies=2, options=options)
    pdf = _render(reply, copies=2)
    url = decode(_page_png(pdf, tmp_path, "all-items").convert("L"))[0].data.decode()
    ref = read_reference(url, key.public_key())
    assert ref.copies == 2 and ref.reference_number == reply["reference"]
    assert reply["reference"] in _text(pdf)
    client = create_verify_app(key.public_key()).test_client()
    path = "/verify/" + url.rsplit("/", 1)[-1]
    html = client.get(path).get_data(as_text=True)
    assert "通数 Copies: 2" in html and reply["reference"] in html
    assert 'name="members"' in html and 'name="my_number"' not in html
    printed = {
        "name": "窓口 花子", "birth_date": "1985年6月7日", "address": "愛知県豊橋市今橋町1番地",
        "head_of_household": "窓口 太郎", "relationship": "妻",
        "domicile": "愛知県豊橋市八町通五丁目1番地", "domicile_head": "窓口 太郎",
        "moved_in": "2019年4月1日",
        "members": "・窓口 太郎  1983年1月2日  世帯主 2019年4月1日\n"
                   "・窓口 一郎  2020年8月9日  子 2020-08-09\n",
    }  # fmt: skip
    assert _check(client, path, printed) == ("1", "1")
    for field, altered in (
        ("head_of_household", "窓口 次郎"),
        ("members", "窓口 太郎 1983年1月3日 世帯主 2019年4月1日\n"
                    "窓口 一郎 2020年8月9日 子 2020年8月9日"),
        ("members", "窓口 太郎 1983年1月2日 世帯主 2019年4月1日"),  # one left out
    ):  # fmt: skip
        match, match_all = _check(client, path, {**printed, field: altered})
        assert (match, match_all) == ("1", "0"), field
    # A copy of two pages is not one copy: the count is signed.
    one = _issue(issuer, copies=1, options=options)
    assert read_reference(one["verify"], key.public_key()).copies == 1


@pytest.mark.parametrize(
    ("kind", "typed", "altered"),
    [
        ("tax_certificate", {"fiscal_year": "2025", "income_yen": "3,120,000円",
                             "tax_yen": "168,500"}, {"income_yen": "3,720,000"}),
        ("seal_certificate", {"seal_number": "第01234号"}, {"seal_number": "第01235号"}),
    ],
)  # fmt: skip
def test_tax_and_seal_items_are_covered(central, kind, typed, altered):
    issuer, key = central
    reply = _issue(issuer, kind=kind)
    client = create_verify_app(key.public_key()).test_client()
    path = "/verify/" + reply["verify"].rsplit("/", 1)[-1]
    identity = {
        "name": "窓口花子",
        "birth_date": "1985-06-07",
        "address": "愛知県豊橋市今橋町1番地",
    }
    assert _check(client, path, {**identity, **typed}) == ("1", "1")
    assert _check(client, path, {**identity, **typed, **altered}) == ("1", "0")
    # Not typing the items is no match of everything (only the identity was checked).
    assert _check(client, path, identity) == ("1", "0")
