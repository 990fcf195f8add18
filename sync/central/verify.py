"""Signed verification references of issued certificates, and the page that checks them.

A reference is what the certificate's QR code holds (after the issuer's `verify_url`, if set):
`MDG1.` + base64url(body + signature). Body, version 3 = version (1 byte) | certificate type
(1 byte index into `TYPES`) | issue time (uint32, Unix seconds) | document id (16 bytes, the
issuer's UUID) | copies (1 byte) | identity digest (`certificate_content.check_digest` of the
printed name, birth date and address, 16 bytes) | content digest
(`certificate_content.content_digest`: type, copies, issue time, document id, identity and every
content field of the type, no My Number, 16 bytes). Version 2 (same layout, its content
digest covered My Numbers) and version 1 (ends after the identity digest) are still read, no
longer made, and checked on their identity only. Signature = Ed25519 over `REFERENCE_DOMAIN` + body with the documents
role key (`keys.document_signing_key`). About 160 characters: a QR code of version 8 or so.

Invariants:
- `read_reference` returns a `Reference` only for a well-formed one whose signature verifies
  with the given public key; any change of a character (type, time, id, copies, digests,
  signature) makes it `ReferenceError`, never another exception.
- The page (`create_verify_app`) shows what is printed that is not personal data: the issuing
  city (`--city`), the type, the issue time, the number of copies (only when more than one:
  a single copy prints no 通数) and the reference number. A checker may type the name, birth
  date and address, and the type's other printed items; the answer comes first: a mismatch
  turns the page red with the warning at the top and nothing on it stays green; a match says
  so at the top. The typed values are sent back in the form only to the one who typed them
  (no-store), so they can see what was compared. What is typed is neither stored nor logged;
  the page keeps no state.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.central.certificate_content import (
    CONTENT_FIELDS,
    DIGEST_BYTES,
    check_digest,
    content_digest,
    normalize_printed,
)
from sync.errors import SyncError

__all__ = [
    "PREFIX",
    "REFERENCE_DOMAIN",
    "TYPES",
    "Reference",
    "ReferenceError",
    "create_verify_app",
    "make_reference",
    "read_reference",
    "verify_serve",
]

PREFIX = "MDG1."
REFERENCE_DOMAIN = b"madoguchi/verify/v1\x00"
TYPES = (
    "resident_record",
    "resident_record_items",
    "seal_certificate",
    "tax_certificate",
    "family_register",
    "family_register_annex",
)
_BODY_V1 = struct.Struct(">BBI16s16s")
_BODY = struct.Struct(">BBI16sB16s16s")
_SIG = 64
MAX_REFERENCE = 400  # characters: anything longer is refused before decoding
JST = timezone(timedelta(hours=9))


class ReferenceError(SyncError):  # noqa: A001 - our own name, in our errors' family
    """Not a verification reference that this issuer signed (malformed, altered, other key)."""


@dataclass(frozen=True)
class Reference:
    type: str
    issued_at: datetime  # UTC
    document_id: str
    digest: bytes  # of the identity (name, birth date, address)
    copies: int | None = None  # None: a version 1 reference (no copies, no content digest)
    content: bytes | None = None  # of everything printed that matters

    @property
    def reference_number(self) -> str:
        """The reference number the certificate prints (the document id's first group)."""
        return self.document_id.split("-")[0].upper()

    def matches(self, name: str, birth_date: str, address: str) -> bool:
        """Whether the typed (printed) name, birth date and address are those signed."""
        birth = normalize_printed("birth_date", birth_date)
        return hmac.compare_digest(self.digest, check_digest(name, birth, address))

    def matches_all(self, fields: dict[str, str]) -> bool:
        """Whether the typed identity and content fields (`CONTENT_FIELDS[type]`; missing =
        not printed) are all those signed; False for a version 1 reference."""
        if self.content is None or self.copies is None:
            return False
        got = content_digest(self.type, copies=self.copies, fields=fields,
                             issued_at=int(self.issued_at.timestamp()),
                             document_id=self.document_id)  # fmt: skip
        return hmac.compare_digest(self.content, got)


def make_reference(
    key: Ed25519PrivateKey,
    *,
    type: str,
    issued_at: datetime,
    document_id: str,
    digest: bytes,
    copies: int | None = None,
    content: bytes | None = None,
) -> str:
    """The signed reference for a QR code (see the module docstring): version 2 with `copies`
    and the `content` digest, version 1 without them."""
    if type not in TYPES or len(digest) != DIGEST_BYTES:
        raise ReferenceError("a reference needs a known type and a 16-byte digest")
    seconds, doc = int(issued_at.timestamp()), uuid.UUID(document_id).bytes
    if copies is None and content is None:
        body = _BODY_V1.pack(1, TYPES.index(type), seconds, doc, digest)
    elif (
        not isinstance(copies, int)  # (`type` is the certificate type here)
        or isinstance(copies, bool)
        or not 1 <= copies <= 255
        or len(content or b"") != DIGEST_BYTES
    ):
        raise ReferenceError("a version 2 reference needs copies 1..255 and a 16-byte digest")
    else:
        body = _BODY.pack(3, TYPES.index(type), seconds, doc, copies, digest, content)
    signature = key.sign(REFERENCE_DOMAIN + body)
    return PREFIX + base64.urlsafe_b64encode(body + signature).decode().rstrip("=")


def read_reference(text: str, public: Ed25519PublicKey) -> Reference:
    """The reference in `text` (the bare token or a URL ending in it), if it verifies."""
    if not isinstance(text, str) or len(text) > MAX_REFERENCE:
        raise ReferenceError("not a verification reference")
    token = text.rsplit("/", 1)[-1]
    if not token.startswith(PREFIX):
        raise ReferenceError("not a verification reference")
    raw = token[len(PREFIX) :]
    try:
        blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise ReferenceError("not a verification reference") from None
    # Re-encoding must give the same text: otherwise two tokens would decode alike.
    layout = {_BODY_V1.size + _SIG: _BODY_V1, _BODY.size + _SIG: _BODY}.get(len(blob))
    if layout is None or base64.urlsafe_b64encode(blob).decode().rstrip("=") != raw:
        raise ReferenceError("not a verification reference")
    body, signature = blob[: layout.size], blob[layout.size :]
    try:
        public.verify(signature, REFERENCE_DOMAIN + body)
    except InvalidSignature:
        raise ReferenceError("the signature does not verify") from None
    copies = content = None
    if layout is _BODY:
        version, type_index, seconds, doc_id, copies, digest, content = _BODY.unpack(body)
        ok = version in (2, 3) and copies >= 1
        if version == 2:  # its content digest covered My Numbers, which nobody types now:
            content = None  # checked like version 1 (identity only), never a false "altered"
    else:
        version, type_index, seconds, doc_id, digest = _BODY_V1.unpack(body)
        ok = version == 1
    if not ok or type_index >= len(TYPES):
        raise ReferenceError("unknown reference version or type")
    return Reference(
        TYPES[type_index],
        datetime.fromtimestamp(seconds, UTC),
        str(uuid.UUID(bytes=doc_id)),
        digest,
        copies,
        content,
    )


_TYPE_NAMES = {
    "resident_record": "住民票の写し (Certificate of residence)",
    "resident_record_items": "住民票記載事項証明書 (Certificate of residence, items)",
    "seal_certificate": "印鑑登録証明書 (Certificate of seal registration)",
    "tax_certificate": "課税（所得）証明書 (Tax certificate)",
    "family_register": "戸籍謄本 (Family register)",
    "family_register_annex": "戸籍の附票 (Family register annex)",
}

_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>証明書の確認 Certificate check</title>
<style>
body{{font-family:"Noto Sans JP",sans-serif;line-height:1.75;max-width:40rem;margin:2rem auto;
padding:0 1rem;color:#1a1a1c;line-break:strict}}
body.mismatch{{background:#fde8e8}} .alarm{{border:4px solid #ce0000;background:#fff;
padding:.5rem 1rem;color:#8b0000;font-size:1.15rem}} .plain{{border-left:6px solid #767676;
padding:.5rem 1rem}}
.ok{{border-left:6px solid #197a4b;padding:.5rem 1rem}} .bad{{border-left:6px solid #ce0000;
padding:.5rem 1rem}} label{{display:block;margin-top:.75rem}} input,textarea{{font-size:1rem;
min-height:44px;width:100%}} button{{min-height:44px;font-size:1rem;margin-top:1rem}}
</style></head><body class="{body_class}">
<h1>証明書の確認 <small>Certificate check</small></h1>
{content}
</body></html>"""


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


# The type's other printed items a checker may type (`CONTENT_FIELDS`), with their labels.
_LABELS = {
    "head_of_household": "世帯主 Head of household",
    "relationship": "続柄 Relationship",
    "domicile": "本籍 Registered domicile",
    "domicile_head": "筆頭者 Head of the family register",
    "moved_in": "住民となった年月日 Became a resident on",
    "members": "世帯員（1行に1人：氏名 生年月日 続柄 住民となった年月日。個人番号は入力しないで"
    "ください）"
    " Household members (one a line: name, date of birth, relationship, resident since, as"
    " printed; never type an individual number)",
    "seal_number": "登録番号 Seal registration number",
    "fiscal_year": "年度 Fiscal year",
    "income_yen": "総所得金額（円） Total income (yen)",
    "tax_yen": "税額（円） Tax amount (yen)",
}
_IDENTITY_FORM = (("name", "氏名 Name"), ("birth_date", "生年月日 Date of birth"),
                  ("address", "住所 Address"))  # fmt: skip
MAX_FIELD = 200
MAX_MEMBERS_TEXT = 4000


def _form_fields(ref: Reference) -> tuple[tuple[str, str], ...]:
    more = CONTENT_FIELDS.get(ref.type, ()) if ref.content is not None else ()
    return (*_IDENTITY_FORM, *((k, _LABELS[k]) for k in more))


def _result(key: str, value: str, ok_text: str, bad_text: str, ok_css: str = "ok") -> str:
    css, text = (ok_css, ok_text) if value == "1" else ("bad", bad_text)
    return f'<div class="{css}" id="{key}" data-{key}="{value}"><p>{text}</p></div>'


def _verdict(city: str, match: bool | None, match_all: bool | None) -> tuple[str, str]:
    """The answer to what was typed, shown first (body class, html); nothing before a check."""
    if match is None:
        return "", ""
    if match and match_all is not False:
        return "", (
            '<div class="ok" id="verdict" data-verdict="match"><p><strong>✓ 入力された内容は、'
            "市の記録と一致します。</strong> What you typed matches the city's record.</p></div>"
        )
    issuer = _escape(city) if city else "発行した市"
    return "mismatch", (
        '<div class="alarm" id="verdict" data-verdict="mismatch"><p><strong>⚠ 入力された内容が、'
        "市の記録と一致しません。この紙は書き換えられている可能性があります。</strong>"
        f"発行元（{issuer}）にお問い合わせください。</p><p><strong>What you typed does NOT match "
        "the city's record: this paper may have been altered.</strong> Please ask the issuing "
        "city.</p></div>"
    )


def _valid_html(
    ref: Reference,
    match: bool | None,
    match_all: bool | None,
    *,
    city: str = "",
    typed: dict[str, str] | None = None,
) -> tuple[str, str]:
    """(body class, content): the verdict first, then who issued what and when, then the form
    with what was typed kept in it."""
    at = ref.issued_at.astimezone(JST)
    when_ja = f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"
    type_ja, _, type_en = _TYPE_NAMES[ref.type].partition(" (")
    many = ref.copies is not None and ref.copies > 1
    issuer_ja = _escape(city) if city else "市"
    issuer_en = _escape(city) if city else "the city"
    body_class, verdict = _verdict(city, match, match_all)
    # After a mismatch nothing on the page is green: the issue facts are shown plainly.
    facts_css = "plain" if body_class else "ok"
    copies = f"<br>通数 Copies: {ref.copies}" if many else ""
    paper = (
        "種類・発行日・受付番号・通数（『○通目（全○通）』と印刷されています）"
        if many
        else "種類・発行日・受付番号"
    )
    parts = [
        verdict,
        f'<div class="{facts_css}" id="result" data-valid="1"><p><strong>{issuer_ja}が '
        f"{when_ja} に発行した {_escape(type_ja)}{f'（{ref.copies}通）' if many else ''} "
        f"です。</strong> This {_escape(type_en.rstrip(')'))} was issued by {issuer_en}.</p>"
        f"<p>種類 Type: {_escape(_TYPE_NAMES[ref.type])}<br>"
        f"発行日時 Issued: {when_ja}（{at:%Y-%m-%d %H:%M} JST）{copies}<br>"
        f"受付番号 Reference number: {ref.reference_number}</p>"
        f"<p>紙に印刷された{paper}と同じか確かめてください。 Check that the paper shows the "
        f"same type, date of issue{', copies' if many else ''} and reference number.</p></div>",
    ]
    if match is not None:
        parts.append(_result(
            "match", "1" if match else "0",
            "氏名・生年月日・住所は証明書と一致します。 The name, date of birth and address you "
            "typed match the certificate.",
            "入力した内容は証明書と一致しません。書き換えられている可能性があります。 The details "
            "you typed do not match: the paper may have been altered.", facts_css,
        ))  # fmt: skip
    if match_all is not None:
        parts.append(_result(
            "match-all", "1" if match_all else "0",
            "記載事項はすべて証明書と一致します。 Everything you typed matches the certificate.",
            "記載事項のどれかが一致しません（印刷されていない項目は空欄のまま）。書き換えられて"
            "いる可能性があります。 Some item does not match (leave items that are not printed "
            "empty): the paper may have been altered.",
        ))  # fmt: skip
    typed = typed or {}
    inputs = []
    for key, label in _form_fields(ref):
        value = _escape(typed.get(key, ""))  # kept, so the checker sees what was compared
        required = " required" if key in ("name", "birth_date", "address") else ""
        if key == "members":
            inputs.append(f'<label>{label}<textarea name="{key}" rows="4" autocomplete="off">'
                          f"{value}</textarea></label>")  # fmt: skip
        else:
            inputs.append(f'<label>{label}<input name="{key}" autocomplete="off"{required} '
                          f'value="{value}"></label>')  # fmt: skip
    parts.append(
        '<form method="post"><p>証明書に印刷された内容を入力すると、書き換えがないか確かめられます'
        "（日付は 2019-04-01 または 2019年4月1日）。 Type what is printed to check it was not "
        "altered (dates as 2019-04-01).</p>"
        + "".join(inputs)
        + "<button>確認する Check</button></form>"
    )
    return body_class, "".join(parts)


def create_verify_app(public: Ed25519PublicKey, *, city: str = ""):
    """A Flask app serving `GET|POST /verify/<reference>` (and `/verify?r=<reference>`);
    `city` is the issuing city's name the page says (e.g. "豊橋市")."""
    from flask import Flask, request

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 16384  # a household of 20 typed in kanji fits

    @app.after_request
    def _headers(response):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'unsafe-inline'"
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.route("/verify", methods=["GET", "POST"])
    @app.route("/verify/<token>", methods=["GET", "POST"])
    def verify(token: str | None = None):
        token = token or request.args.get("r", "")
        try:
            ref = read_reference(token, public)
        except ReferenceError:
            content = (
                '<div class="bad" id="result" data-valid="0"><p><strong>確認できません。</strong>'
                "このコードは市が発行した証明書のものではないか、書き換えられています。 This code "
                "was not issued by the city or has been altered.</p></div>"
            )
            return (
                _PAGE.format(content=content, body_class="mismatch"),
                404,
                {"Content-Type": "text/html; charset=utf-8"},
            )
        match = match_all = None
        fields: dict[str, str] = {}
        if request.method == "POST":
            fields = {
                k: str(request.form.get(k, ""))[: MAX_MEMBERS_TEXT if k == "members" else MAX_FIELD]
                for k, _ in _form_fields(ref)
            }
            match = ref.matches(fields["name"], fields["birth_date"], fields["address"])
            if ref.content is not None:
                match_all = ref.matches_all(fields)
            # Kept in the form as typed; a value cut at its bound is not sent back at all.
            fields = {k: v for k, v in fields.items() if v == request.form.get(k, "")}
        body_class, content = _valid_html(ref, match, match_all, city=city, typed=fields)
        html = _PAGE.format(content=content, body_class=body_class)
        return html, 200, {"Content-Type": "text/html; charset=utf-8"}

    return app


def _verify_serve_command():
    import click

    @click.command("verify-serve")
    @click.option(
        "--keys",
        "keys_dir",
        required=True,
        type=click.Path(path_type=Path),
        help="Central key directory: the documents role key's public half checks references.",
    )
    @click.option(
        "--listen",
        default="127.0.0.1:8610",
        show_default=True,
        help="HOST:PORT to serve the public verification page on (behind the city's proxy).",
    )
    @click.option("--city", default="", help="The issuing city the page names, e.g. '豊橋市'.")
    @click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
                  help="Worker threads answering requests.")  # fmt: skip
    def verify_serve(keys_dir: Path, listen: str, city: str, threads: int) -> None:
        """Serve the certificate verification page (/verify/<reference>): the type and issue
        time of a certificate whose QR code verifies, never personal data."""
        from waitress import serve

        from sync.keyfiles import load_central_keys

        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            raise click.ClickException("--listen must be HOST:PORT")
        try:
            public = load_central_keys(keys_dir).document_signing_key.public_key()
        except Exception as e:  # noqa: BLE001 - one clear line, never a traceback
            raise click.ClickException(
                f"cannot read the central keys: {type(e).__name__}"
            ) from None
        serve(
            create_verify_app(public, city=city),
            host=host.strip("[]"),
            port=int(port),
            threads=threads,
        )

    return verify_serve


verify_serve = _verify_serve_command()
