"""What an issued certificate says beyond the holder's name, address and birth date: the options
a resident chooses (as at コンビニ交付 machines) and the back office's answer to them.

Options (`certificate.issue` payload key `options`, an object; absent = the defaults):
- 住民票の写し (`resident_record`, `resident_record_items`):
  `household` "self" (本人のみ, default) | "all" (世帯全員); `head` (世帯主・続柄), `domicile`
  (本籍・筆頭者), `moved_in` (住民となった年月日), `my_number` (個人番号): booleans, default false.
- 印鑑登録証明書 (`seal_certificate`): no options (the registration number and impression are
  always printed).
- 課税証明書 (`tax_certificate`): `fiscal_year` (an int, 2000..2100; default: the latest year
  the back office has).

Invariants:
- `parse_options` accepts exactly the keys and values above for the type, or raises
  `CertificateOptionsError` (the issuer refuses with `bad_options`): a typo is not ignored.
- `select_fields` passes on only what the chosen options ask for: a back office that answers
  more (a My Number nobody asked for, the whole household for 本人のみ) does not reach the paper.
- `check_digest` is a SHA-256 over the holder's identity (name, birth date, address);
  `content_digest` one over everything printed that matters: the type, the number of copies,
  the issue time, the document id (the printed reference number is its first group), the
  identity and every content field of the type (`CONTENT_FIELDS`: 世帯主・続柄, 本籍・筆頭者,
  住民となった年月日, the household members; the seal registration number; the tax year,
  income and tax). Never a 個人番号 (My Number), the holder's or a member's: the public
  verify page must not ask anyone to type one, so the digest cannot cover it. Both normalize what a checker types the way the issuer's values are
  normalized (NFKC, no white space; dates as YYYY-MM-DD whether typed 2019-04-01 or
  2019年4月1日; amounts as digits only), so typing what is printed gives the same digest and
  any altered character does not. A field that was not printed counts as empty. (The images,
  the city's seal and the registered impression, are not typed and not covered.)
- Nothing here stores, logs or does I/O.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from sync.errors import SyncError

__all__ = [
    "CERTIFICATE_OPTIONS",
    "CONTENT_FIELDS",
    "CertificateOptionsError",
    "check_digest",
    "content_digest",
    "normalize_printed",
    "printed_fields",
    "parse_options",
    "select_fields",
]

_RESIDENT_FLAGS = ("head", "domicile", "moved_in", "my_number")
CERTIFICATE_OPTIONS: dict[str, tuple[str, ...]] = {
    "resident_record": ("household", *_RESIDENT_FLAGS),
    "resident_record_items": ("household", *_RESIDENT_FLAGS),
    "seal_certificate": (),
    "tax_certificate": ("fiscal_year",),
}
_HOUSEHOLD = ("self", "all")
DIGEST_BYTES = 16


class CertificateOptionsError(SyncError):
    """The options of a certificate request are not ones its type takes."""


def parse_options(kind: str, raw: object) -> dict[str, Any]:
    """The options of a `kind` request with defaults filled in (see the module docstring)."""
    allowed = CERTIFICATE_OPTIONS.get(kind, ())
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or set(raw) - set(allowed):
        raise CertificateOptionsError(f"options for {kind} take only {allowed}")
    out: dict[str, Any] = {}
    if "household" in allowed:
        household = raw.get("household", "self")
        if household not in _HOUSEHOLD:
            raise CertificateOptionsError("household must be self or all")
        out["household"] = household
        for flag in _RESIDENT_FLAGS:
            value = raw.get(flag, False)
            if type(value) is not bool:
                raise CertificateOptionsError(f"{flag} must be true or false")
            out[flag] = value
    if "fiscal_year" in allowed and "fiscal_year" in raw:
        year = raw["fiscal_year"]
        if type(year) is not int or not 2000 <= year <= 2100:
            raise CertificateOptionsError("fiscal_year must be a year 2000..2100")
        out["fiscal_year"] = year
    return out


def _member(m: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    keep = {"name": m["name"], "birth_date": m["birth_date"]}
    if "sex" in m:
        keep["sex"] = m["sex"]
    if options.get("head") and m.get("relationship"):
        keep["relationship"] = m["relationship"]
    if options.get("moved_in") and m.get("moved_in"):
        keep["moved_in"] = m["moved_in"]
    if options.get("my_number") and m.get("my_number"):
        keep["my_number"] = m["my_number"]
    return keep


def select_fields(kind: str, options: Mapping[str, Any], extra: Mapping[str, Any]) -> dict:
    """The certificate fields to print from the back office's validated `extra` answer."""
    out: dict[str, Any] = {}
    if kind in ("resident_record", "resident_record_items"):
        self_entry = {k: extra[k] for k in ("relationship", "moved_in", "my_number") if k in extra}
        if options.get("head"):
            for key in ("head_of_household", "relationship"):
                if key in extra:
                    out[key] = extra[key]
        if options.get("domicile"):
            for key in ("domicile", "domicile_head"):
                if key in extra:
                    out[key] = extra[key]
        if options.get("moved_in") and "moved_in" in extra:
            out["moved_in"] = extra["moved_in"]
        if options.get("my_number") and "my_number" in self_entry:
            out["my_number"] = self_entry["my_number"]
        if options.get("household") == "all":
            out["household"] = [_member(m, options) for m in extra.get("household", ())]
    elif kind == "seal_certificate":
        for key in ("seal_number", "seal_png_b64"):
            if key in extra:
                out[key] = extra[key]
    elif kind == "tax_certificate" and isinstance(extra.get("tax"), list):
        years = extra["tax"]
        wanted = options.get("fiscal_year")
        chosen = [y for y in years if wanted is None or y["fiscal_year"] == wanted]
        if chosen:
            out["tax"] = max(chosen, key=lambda y: y["fiscal_year"])
    return out


def _norm(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split())


def check_digest(name: str, birth_date: str, address: str) -> bytes:
    """The digest a verification reference carries of the printed name, birth date
    (YYYY-MM-DD) and address."""
    text = "\x1f".join(_norm(v) for v in (name, birth_date, address))
    return hashlib.sha256(b"madoguchi/printed/v1\x00" + text.encode()).digest()[:DIGEST_BYTES]


# No my_number (see the module docstring): a checker is never asked to type a My Number.
_RESIDENT_CONTENT = ("head_of_household", "relationship", "domicile", "domicile_head",
                     "moved_in", "members")  # fmt: skip
CONTENT_FIELDS: dict[str, tuple[str, ...]] = {
    "resident_record": _RESIDENT_CONTENT,
    "resident_record_items": _RESIDENT_CONTENT,
    "seal_certificate": ("seal_number",),
    "tax_certificate": ("fiscal_year", "income_yen", "tax_yen"),
}
_IDENTITY = ("name", "birth_date", "address")
_DATES = ("birth_date", "moved_in")
_AMOUNTS = ("fiscal_year", "income_yen", "tax_yen")
# 2019-04-01, 2019/4/1, 2019.4.1 and 2019年4月1日 are one date (the paper prints the last).
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _iso_dates(text: str) -> str:
    return _DATE.sub(lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", text)


def normalize_printed(field: str, value: str) -> str:
    """`value` of the printed `field` as the digests take it (see the module docstring).
    `members` is one line per member: name, birth date, 続柄, 住民となった年月日 as printed,
    in that order (a leading ・ is dropped; no 個人番号)."""
    text = unicodedata.normalize("NFKC", value)
    if field in _AMOUNTS:
        digits = "".join(ch for ch in text if ch.isdigit())
        return str(int(digits)) if digits else ""
    if field == "members":
        lines = ("".join(_iso_dates(line).split()).lstrip("・") for line in text.splitlines())
        return "\n".join(line for line in lines if line)
    if field in _DATES:
        text = _iso_dates(text)
    return "".join(text.split())


def printed_fields(kind: str, holder: Mapping[str, Any]) -> dict[str, str]:
    """The identity and content fields of `kind` from a `certificate.issue` reply's `holder`
    (what the kiosk prints), as text; a field not printed is ""."""
    out = {k: str(holder.get(k) or "") for k in _IDENTITY}
    for key in CONTENT_FIELDS.get(kind, ()):
        if key == "members":
            out[key] = "\n".join(
                " ".join(
                    str(m.get(k) or "") for k in ("name", "birth_date", "relationship", "moved_in")
                )
                for m in holder.get("household") or ()
            )
        elif key in _AMOUNTS:
            tax = holder.get("tax")
            out[key] = str(tax.get(key, "")) if isinstance(tax, Mapping) else ""
        else:
            out[key] = str(holder.get(key) or "")
    return out


def content_digest(
    kind: str, *, copies: int, issued_at: int, document_id: str, fields: Mapping[str, str]
) -> bytes:
    """The digest a verification reference carries of everything printed that matters:
    type, copies, issue time (Unix seconds), document id, identity and `CONTENT_FIELDS[kind]`
    (`fields` as typed or from `printed_fields`; missing = not printed)."""
    names = (*_IDENTITY, *CONTENT_FIELDS.get(kind, ()))
    parts = [kind, str(copies), str(issued_at), document_id.lower()]
    parts += [normalize_printed(n, str(fields.get(n) or "")) for n in names]
    text = "\x1f".join(parts)
    # v3: without My Numbers (v2 had them); references of version 3 carry this digest.
    return hashlib.sha256(b"madoguchi/printed/v3\x00" + text.encode()).digest()[:DIGEST_BYTES]
