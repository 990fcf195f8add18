"""The A4 certificates (住民票の写し, 印鑑登録証明書, 課税証明書): what a valid copy carries.

Invariants:
- Every certificate carries its 認証文 in Japanese (the legal text; a translation follows it in
  other languages), the issue date, the issuing city and, when the signed config gives them,
  the mayor's name with the official seal image over it; the verification code and a QR code
  of the signed verification reference (`verify`, from central) or, without one, the reference.
- The 課税（所得）証明書 is printed in Japanese in every language (title, labels, dates, amounts:
  institutions read the Japanese); in another language each label gets the resident's words as
  a second line under it, and the title a small line under it. The Japanese catalog is read
  once (cached) for that.
- Only what the resident chose is printed: the holder fields central passed on (世帯全員 or
  本人のみ, 世帯主・続柄, 本籍・筆頭者, 住民となった年月日, 個人番号), the seal registration
  number and impression, the tax year's income and tax.
- Without the mayor's name AND the official seal (the signed config's `city`), a certificate
  is a sample, never a document that looks valid: every page carries 見本 diagonally across it
  and the line `SAMPLE_MARK` at its top (Japanese always; it needs no translation). A
  production kiosk should refuse such a certificate before payment (`is_sample`: not done in
  the kiosk yet); the demo, whose city has no seal, prints it.
- Asked for N copies, N pages, each the whole certificate marked "copy n of N".
- Validation raises `DocumentDataError`: images must be PNGs of at most `MAX_PNG` bytes (given
  base64, as the render worker's pipe carries text), a My Number 12 digits. No I/O here.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from devices.printer.documents._block import Block
from devices.printer.documents._common import (
    DocumentInfo,
    format_date,
    format_datetime,
    require_text,
)
from devices.printer.errors import DocumentDataError
from madoguchi.core.i18n import Translator, load_translator

__all__ = [
    "ATTESTATIONS",
    "CERTIFICATES",
    "CERTIFICATE_MSGIDS",
    "MAX_COPIES",
    "SAMPLE_MARK",
    "CertificateInfo",
    "CertificateMember",
    "TaxYear",
    "certificate",
    "is_sample",
]

CERTIFICATES = {
    "residence": "Certificate of residence",
    "seal": "Certificate of seal registration",
    "tax": "Tax certificate",
}
# The 認証文: the legal statement stays Japanese on every copy; (ja text, gloss msgid).
ATTESTATIONS = {
    "residence": (
        "この写しは、住民票の原本と相違ないことを証明する。",
        "This copy is certified to be identical to the original resident record.",
    ),
    "seal": (
        "この写しは、登録されている印影と相違ないことを証明する。",
        "The impression above is certified to be identical to the registered seal.",
    ),
    "tax": ("上記のとおり相違ないことを証明する。", "The above is certified to be correct."),
}
MAX_COPIES = 20
# Certificates whose legal content is Japanese whatever the resident's language, with the title.
JAPANESE_ONLY = {"tax": "課税（所得）証明書"}
_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_JA = ("ja", "ja-easy")
# Printed on a certificate without a configured mayor and seal (see the module docstring).
SAMPLE_MARK = "見本（SAMPLE）— 証明書としての効力はありません"
_SAMPLE_STAMP = "見本\n証明書としての効力はありません（SAMPLE）"
MAX_PNG = 64 * 1024
MAX_MEMBERS = 20
_MY_NUMBER = re.compile(r"\d{12}")

CERTIFICATE_MSGIDS: tuple[str, ...] = (
    "Copy {n} of {total}",
    *CERTIFICATES.values(),
    *(gloss for _, gloss in ATTESTATIONS.values()),
    "Name",
    "Address",
    "Date of birth",
    "Issued by",
    "Verification code",
    "Check this certificate with the verification code on the city website.",
    "Date of issue",
    "Head of household",
    "Relationship to the head of household",
    "Registered domicile",
    "Head of the family register",
    "Became a resident on",
    "Individual number",
    "Household members ({n})",
    "Seal registration number",
    "Registered seal impression",
    "Fiscal year",
    "Total income",
    "Tax amount",
    "{amount} yen",
    "Scan the code to check this certificate on the city's verification page.",
)


def check_png(owner: object, name: str, value: str) -> None:
    """A base64 PNG of at most MAX_PNG bytes, or empty."""
    if not value:
        return
    try:
        png = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        png = b""
    if not png.startswith(b"\x89PNG\r\n\x1a\n") or len(png) > MAX_PNG:
        raise DocumentDataError(f"{type(owner).__name__}.{name} must be a base64 PNG <= 64 KiB")


def _check_my_number(owner: object, value: str) -> None:
    if value and not _MY_NUMBER.fullmatch(value):
        raise DocumentDataError(f"{type(owner).__name__}.my_number must be 12 digits")


@dataclass(frozen=True, kw_only=True)
class CertificateMember:
    """Another member of the household (世帯全員)."""

    name: str
    birth_date: date
    relationship: str = ""
    moved_in: date | None = None
    my_number: str = ""

    def __post_init__(self) -> None:
        require_text(self, "name", 100)
        if len(self.relationship) > 20:
            raise DocumentDataError("CertificateMember.relationship longer than 20 characters")
        _check_my_number(self, self.my_number)


@dataclass(frozen=True, kw_only=True)
class TaxYear:
    fiscal_year: int
    income_yen: int
    tax_yen: int

    def __post_init__(self) -> None:
        if not 2000 <= self.fiscal_year <= 2100:
            raise DocumentDataError("TaxYear.fiscal_year must be 2000..2100")
        if not (0 <= self.income_yen < 10**12 and 0 <= self.tax_yen < 10**12):
            raise DocumentDataError("TaxYear amounts must be 0 or more")


@dataclass(frozen=True, kw_only=True)
class CertificateInfo(DocumentInfo):
    certificate_kind: str  # one of CERTIFICATES
    reference: str
    holder_name: str
    holder_address: str
    holder_birth_date: date
    issuer: str  # e.g. "豊橋市" — the "issued by" block
    verification_code: str
    body: tuple[tuple[str, str], ...] = field(default=())  # extra (label, value) lines
    copies: int = 1  # the number asked (and charged): one page per copy
    # From the signed config (`city`): the mayor's name and the official seal image.
    mayor: str = ""
    seal_png_b64: str = ""
    # What central passed on for the options the resident chose (empty = not chosen).
    head_of_household: str = ""
    relationship: str = ""
    domicile: str = ""
    domicile_head: str = ""
    moved_in: date | None = None
    my_number: str = ""
    members: tuple[CertificateMember, ...] = ()
    seal_number: str = ""  # 印鑑登録証明書: the registration number
    impression_png_b64: str = ""  # 印鑑登録証明書: the registered impression
    tax: TaxYear | None = None  # 課税証明書
    verify: str = ""  # the signed verification reference (URL) for the QR code

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.certificate_kind not in CERTIFICATES:
            raise DocumentDataError(f"unknown certificate kind {self.certificate_kind!r}")
        for name in ("reference", "holder_name", "holder_address", "issuer", "verification_code"):
            require_text(self, name)
        if type(self.copies) is not int or not 1 <= self.copies <= MAX_COPIES:
            raise DocumentDataError(f"CertificateInfo.copies must be 1..{MAX_COPIES}")
        for name in ("mayor", "head_of_household", "domicile", "domicile_head", "seal_number"):
            if len(getattr(self, name)) > 200:
                raise DocumentDataError(f"CertificateInfo.{name} longer than 200 characters")
        if len(self.verify) > 400 or len(self.members) > MAX_MEMBERS:
            raise DocumentDataError("CertificateInfo.verify or members too long")
        _check_my_number(self, self.my_number)
        check_png(self, "seal_png_b64", self.seal_png_b64)
        check_png(self, "impression_png_b64", self.impression_png_b64)


def is_sample(info: CertificateInfo) -> bool:
    """True when the certificate lacks the mayor's name or the official seal: it prints as 見本."""
    return not (info.mayor and info.seal_png_b64)


def certificate(t: Translator, info: CertificateInfo) -> list[Block]:
    """The certificate; asked for N copies, N pages each holding the whole certificate."""
    one = _certificate_copy(t, info)
    if info.copies == 1:
        return one
    labels = _Labels(t, info)
    blocks: list[Block] = []
    for n in range(1, info.copies + 1):
        if n > 1:
            blocks.append(Block("page"))
        copy_line = labels.format("Copy {n} of {total}", n=n, total=info.copies)
        blocks.append(Block("small", copy_line, align="R"))
        blocks += one
    return blocks


class _Labels:
    """The certificate's labels: the resident's language, or for a JAPANESE_ONLY kind the
    Japanese with the resident's words as a second line (the law's text stays Japanese)."""

    def __init__(self, t: Translator, info: CertificateInfo):
        self.t = t
        # やさしい日本語 too: the legal wording is the standard Japanese, the easy words under it.
        japanese = info.certificate_kind in JAPANESE_ONLY and t.language != "ja"
        self.legal = load_translator(_LOCALE_DIR, "ja") if japanese else t

    def __call__(self, msgid: str) -> str:
        return self.both(self.legal.gettext(msgid), self.t.gettext(msgid))

    def format(self, msgid: str, **values: object) -> str:
        return self.both(self.legal.format(msgid, **values), self.t.format(msgid, **values))

    def both(self, legal: str, resident: str) -> str:
        return legal if self.legal is self.t or legal == resident else f"{legal}\n{resident}"


def _resident_fields(t: Translator, info: CertificateInfo) -> list[Block]:
    blocks = []
    if info.moved_in is not None:
        blocks.append(
            Block("row", t.gettext("Became a resident on"), format_date(t, info.moved_in))
        )
    for msgid, value in (
        ("Head of household", info.head_of_household),
        ("Relationship to the head of household", info.relationship),
        ("Registered domicile", info.domicile),
        ("Head of the family register", info.domicile_head),
        ("Individual number", info.my_number),
    ):
        if value:
            blocks.append(Block("row", t.gettext(msgid), value))
    if info.members:
        blocks.append(Block("small", t.format("Household members ({n})", n=len(info.members) + 1)))
        for m in info.members:
            line = f"・{m.name}  {format_date(t, m.birth_date)}"
            if m.relationship:
                line += f"  {m.relationship}"
            blocks.append(Block("text", line))
            details = []
            if m.moved_in is not None:
                details.append(f"{t.gettext('Became a resident on')}: {format_date(t, m.moved_in)}")
            if m.my_number:
                details.append(f"{t.gettext('Individual number')}: {m.my_number}")
            blocks += [Block("detail", d) for d in details]
    return blocks


def _kind_fields(t: Translator, info: CertificateInfo) -> list[Block]:
    if info.certificate_kind == "residence":
        return _resident_fields(t, info)
    blocks = []
    if info.certificate_kind == "seal":
        if info.seal_number:
            blocks.append(Block("row", t.gettext("Seal registration number"), info.seal_number))
        if info.impression_png_b64:
            blocks.append(Block("small", t.gettext("Registered seal impression")))
            blocks.append(Block("image", value=info.impression_png_b64, size=30.0))
    if info.certificate_kind == "tax" and info.tax is not None:
        tax, lab = info.tax, _Labels(t, info)
        blocks += [
            Block("row", lab("Fiscal year"), str(tax.fiscal_year)),
            Block("row", lab("Total income"), _yen(lab.legal, tax.income_yen)),
            Block("row", lab("Tax amount"), _yen(lab.legal, tax.tax_yen)),
        ]
    return blocks


def _yen(t: Translator, amount: int) -> str:
    return t.format("{amount} yen", amount=f"{amount:,}")


def _certificate_copy(t: Translator, info: CertificateInfo) -> list[Block]:
    legal, gloss = ATTESTATIONS[info.certificate_kind]
    lab = _Labels(t, info)
    lt = lab.legal  # dates in the legal language
    title = JAPANESE_ONLY.get(info.certificate_kind, t.gettext(CERTIFICATES[info.certificate_kind]))
    blocks = []
    if is_sample(info):
        blocks += [
            Block("watermark", _SAMPLE_STAMP),
            Block("text", SAMPLE_MARK, size=14, align="C"),
        ]
    blocks += [
        Block("small", f"{info.city_name}  {info.center_name}", align="R"),
        Block("heading", title, size=22),
    ]
    if lt is not t:  # the resident's words for the title, smaller, never instead of it
        blocks.append(Block("small", t.gettext(CERTIFICATES[info.certificate_kind]), align="C"))
    blocks += [
        Block("rule"),
        Block("field", lab("Name"), info.holder_name, size=14),
        Block("field", lab("Address"), info.holder_address, size=13),
        Block("field", lab("Date of birth"), format_date(lt, info.holder_birth_date)),
    ]
    blocks += _kind_fields(t, info)
    blocks += [Block("row", label, value) for label, value in info.body]
    blocks += [
        Block("row", lab("Reference number"), info.reference),
        Block("rule"),
        Block("text", legal, size=12),
    ]
    if t.language not in _JA:
        blocks.append(Block("small", t.gettext(gloss)))
    issued_by = f"{lt.gettext('Issued by')}  ({format_datetime(lt, info.issued_at)})"
    blocks += [
        Block("row", lab("Date of issue"), format_date(lt, info.issued_at.date())),
        Block("box", lab.both(issued_by, t.gettext("Issued by")), info.issuer, size=15),
    ]
    if info.mayor:
        blocks.append(Block("seal", info.mayor, info.seal_png_b64, size=22.0))
    if is_sample(info):  # said again beside the verification code, where a checker looks
        blocks.append(Block("text", SAMPLE_MARK, size=12, align="C"))
    blocks += [
        Block("row", lab("Verification code"), info.verification_code, size=14),
        Block("qr", info.verify or info.reference, size=30),
        Block(
            "small",
            lab("Scan the code to check this certificate on the city's verification page.")
            if info.verify
            else lab("Check this certificate with the verification code on the city website."),
        ),
    ]
    return blocks
