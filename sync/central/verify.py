"""Signed verification references of issued certificates, and the page that checks them.

A reference is what the certificate's QR code holds (after the issuer's `verify_url`, if set):
`MDG1.` + base64url(body + signature), body = version (1 byte) | certificate type (1 byte index
into `TYPES`) | issue time (uint32, Unix seconds) | document id (16 bytes, the issuer's UUID) |
digest of the printed name, birth date and address (`certificate_content.check_digest`, 16
bytes); signature = Ed25519 over `REFERENCE_DOMAIN` + body with the documents role key
(`keys.document_signing_key`). About 140 characters: a QR code of version 7 or so.

Invariants:
- `read_reference` returns a `Reference` only for a well-formed one whose signature verifies
  with the given public key; any change of a character (type, time, id, digest, signature) makes
  it `ReferenceError`, never another exception.
- The page (`create_verify_app`) shows the type and the issue time of a valid reference, never
  personal data (the reference holds none: only a digest). A checker may type the name, birth
  date and address they read on the paper; the page says only whether they match the digest.
  What is typed is neither stored nor logged; the page keeps no state.
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

from sync.central.certificate_content import DIGEST_BYTES, check_digest
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
_BODY = struct.Struct(">BBI16s16s")
_VERSION = 1
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
    digest: bytes

    def matches(self, name: str, birth_date: str, address: str) -> bool:
        """Whether the typed (printed) fields are those the issuer signed."""
        return hmac.compare_digest(self.digest, check_digest(name, birth_date, address))


def make_reference(
    key: Ed25519PrivateKey, *, type: str, issued_at: datetime, document_id: str, digest: bytes
) -> str:
    """The signed reference for a QR code (see the module docstring)."""
    if type not in TYPES or len(digest) != DIGEST_BYTES:
        raise ReferenceError("a reference needs a known type and a 16-byte digest")
    seconds = int(issued_at.timestamp())
    body = _BODY.pack(_VERSION, TYPES.index(type), seconds, uuid.UUID(document_id).bytes, digest)
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
    if len(blob) != _BODY.size + _SIG or base64.urlsafe_b64encode(blob).decode().rstrip("=") != raw:
        raise ReferenceError("not a verification reference")
    body, signature = blob[: _BODY.size], blob[_BODY.size :]
    try:
        public.verify(signature, REFERENCE_DOMAIN + body)
    except InvalidSignature:
        raise ReferenceError("the signature does not verify") from None
    version, type_index, seconds, doc_id, digest = _BODY.unpack(body)
    if version != _VERSION or type_index >= len(TYPES):
        raise ReferenceError("unknown reference version or type")
    return Reference(
        TYPES[type_index],
        datetime.fromtimestamp(seconds, UTC),
        str(uuid.UUID(bytes=doc_id)),
        digest,
    )


_TYPE_NAMES = {
    "resident_record": "住民票の写し (Certificate of residence)",
    "resident_record_items": "住民票記載事項証明書 (Certificate of residence, items)",
    "seal_certificate": "印鑑登録証明書 (Certificate of seal registration)",
    "tax_certificate": "課税証明書 (Tax certificate)",
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
.ok{{border-left:6px solid #197a4b;padding:.5rem 1rem}} .bad{{border-left:6px solid #ce0000;
padding:.5rem 1rem}} label{{display:block;margin-top:.75rem}} input{{font-size:1rem;
min-height:44px;width:100%}} button{{min-height:44px;font-size:1rem;margin-top:1rem}}
</style></head><body>
<h1>証明書の確認 <small>Certificate check</small></h1>
{content}
</body></html>"""


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _valid_html(ref: Reference, match: bool | None) -> str:
    issued = ref.issued_at.astimezone(JST).strftime("%Y-%m-%d %H:%M")
    parts = [
        '<div class="ok" id="result" data-valid="1"><p><strong>この証明書は発行されたものです。'
        "</strong> This certificate was issued by the city.</p>",
        f"<p>種類 Type: {_escape(_TYPE_NAMES[ref.type])}<br>"
        f"発行日時 Issued: {issued} (JST)</p></div>",
    ]
    if match is True:
        parts.append(
            '<div class="ok" id="match" data-match="1"><p>入力した内容は証明書と一致します。'
            " The details you typed match the certificate.</p></div>"
        )
    elif match is False:
        parts.append(
            '<div class="bad" id="match" data-match="0"><p>入力した内容は証明書と一致しません。'
            "書き換えられている可能性があります。 The details you typed do not match: the paper "
            "may have been altered.</p></div>"
        )
    parts.append(
        '<form method="post"><p>証明書に印刷された内容を入力すると、書き換えがないか確かめられます。'
        " Type what is printed to check it was not altered.</p>"
        '<label>氏名 Name<input name="name" autocomplete="off" required></label>'
        '<label>生年月日 Date of birth (YYYY-MM-DD)<input name="birth_date" autocomplete="off"'
        ' required pattern="\\d{4}-\\d{2}-\\d{2}"></label>'
        '<label>住所 Address<input name="address" autocomplete="off" required></label>'
        "<button>確認する Check</button></form>"
    )
    return "".join(parts)


def create_verify_app(public: Ed25519PublicKey):
    """A Flask app serving `GET|POST /verify/<reference>` (and `/verify?r=<reference>`)."""
    from flask import Flask, request

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 4096

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
            return _PAGE.format(content=content), 404, {"Content-Type": "text/html; charset=utf-8"}
        match = None
        if request.method == "POST":
            form = request.form
            fields = [str(form.get(k, ""))[:200] for k in ("name", "birth_date", "address")]
            match = ref.matches(*fields)
        html = _PAGE.format(content=_valid_html(ref, match))
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
    @click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
                  help="Worker threads answering requests.")  # fmt: skip
    def verify_serve(keys_dir: Path, listen: str, threads: int) -> None:
        """Serve the certificate verification page (/verify/<reference>): the type and issue
        time of a certificate whose QR code verifies, never personal data."""
        from waitress import serve

        from provisioning import load_central_keys

        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            raise click.ClickException("--listen must be HOST:PORT")
        try:
            public = load_central_keys(keys_dir).document_signing_key.public_key()
        except Exception as e:  # noqa: BLE001 - one clear line, never a traceback
            raise click.ClickException(
                f"cannot read the central keys: {type(e).__name__}"
            ) from None
        serve(create_verify_app(public), host=host.strip("[]"), port=int(port), threads=threads)

    return verify_serve


verify_serve = _verify_serve_command()
