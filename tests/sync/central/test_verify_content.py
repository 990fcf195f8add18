"""The verification reference's two digests (`sync.central.verify`, version 2): what a checker
types is normalized the way the issuer's values are, a version 1 reference still verifies (its
identity only), and bad input to the page or to `make_reference` is refused clearly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.central.certificate_content import (
    check_digest,
    content_digest,
    normalize_printed,
    printed_fields,
)
from sync.central.verify import ReferenceError, create_verify_app, make_reference, read_reference

pytestmark = pytest.mark.timeout(60)

KEY = Ed25519PrivateKey.generate()
ISSUED = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)
DOC = str(uuid.UUID(int=0x1234))
HOLDER = {"name": "窓口 花子", "birth_date": "1985-06-07", "address": "豊橋市今橋町1番地",
          "tax": {"fiscal_year": 2025, "income_yen": 3120000, "tax_yen": 168500}}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "typed", "canonical"),
    [
        ("birth_date", "1985年6月7日", "1985-06-07"),
        ("birth_date", "１９８５／６／７", "1985-06-07"),
        ("moved_in", " 2019-04-01 ", "2019-04-01"),
        ("income_yen", "3,120,000円", "3120000"),
        ("tax_yen", "", ""),
        ("name", "窓口　花子", "窓口花子"),
        ("members", "・窓口 太郎 1983年1月2日 世帯主\n\n 窓口 一郎 2020/8/9 子 ",
         "窓口太郎1983-01-02世帯主\n窓口一郎2020-08-09子"),
    ],
)  # fmt: skip
def test_typed_values_normalize_as_printed(field, typed, canonical):
    assert normalize_printed(field, typed) == canonical


def _v2(fields=None, copies=2) -> str:
    fields = printed_fields("tax_certificate", HOLDER) if fields is None else fields
    content = content_digest("tax_certificate", copies=copies, document_id=DOC,
                             issued_at=int(ISSUED.timestamp()), fields=fields)  # fmt: skip
    return make_reference(KEY, type="tax_certificate", issued_at=ISSUED, document_id=DOC,
                          digest=check_digest("窓口 花子", "1985-06-07", "豊橋市今橋町1番地"),
                          copies=copies, content=content)  # fmt: skip


def test_version_2_carries_copies_and_both_digests():
    ref = read_reference(_v2(), KEY.public_key())
    assert ref.copies == 2 and ref.reference_number == DOC.split("-")[0].upper()
    typed = {"name": "窓口花子", "birth_date": "1985年6月7日", "address": "豊橋市今橋町1番地",
             "fiscal_year": "2025", "income_yen": "3,120,000", "tax_yen": "168,500"}  # fmt: skip
    assert ref.matches(typed["name"], typed["birth_date"], typed["address"])
    assert ref.matches_all(typed)
    assert not ref.matches_all({**typed, "tax_yen": "168,501"})
    # The copies are inside the content digest too: another count does not match.
    other = read_reference(_v2(copies=3), KEY.public_key())
    assert other.content != ref.content


def test_a_version_1_reference_still_verifies_its_identity():
    token = make_reference(KEY, type="resident_record", issued_at=ISSUED, document_id=DOC,
                           digest=check_digest("窓口 花子", "1985-06-07", "豊橋市今橋町1番地"))  # fmt: skip
    ref = read_reference(token, KEY.public_key())
    assert ref.copies is None and ref.content is None
    assert ref.matches("窓口 花子", "1985年6月7日", "豊橋市今橋町1番地")
    assert not ref.matches_all({"name": "窓口 花子"})
    client = create_verify_app(KEY.public_key()).test_client()
    html = client.post(f"/verify/{token}", data={"name": "窓口 花子", "birth_date": "1985-06-07",
                                                  "address": "豊橋市今橋町1番地"}).get_data(as_text=True)  # fmt: skip
    assert 'data-match="1"' in html and "data-match-all" not in html and "Copies" not in html


@pytest.mark.parametrize(
    ("copies", "content"),
    [(0, b"x" * 16), (256, b"x" * 16), (True, b"x" * 16), ("2", b"x" * 16), (2, b"short"),
     (2, None)],
)  # fmt: skip
def test_make_reference_refuses_a_bad_count_or_digest(copies, content):
    with pytest.raises(ReferenceError):
        make_reference(KEY, type="tax_certificate", issued_at=ISSUED, document_id=DOC,
                       digest=b"d" * 16, copies=copies, content=content)  # fmt: skip


def test_the_page_bounds_what_is_typed():
    client = create_verify_app(KEY.public_key()).test_client()
    path = "/verify/" + _v2()
    long = {"name": "窓" * 1000, "birth_date": "x", "address": "y", "income_yen": "9" * 300}
    html = client.post(path, data=long).get_data(as_text=True)
    assert 'data-match="0"' in html and 'data-match-all="0"' in html and "窓窓" not in html
    assert client.post(path, data={"members": "x" * 20000}).status_code == 413


TYPED = {"name": "窓口花子", "birth_date": "1985年6月7日", "address": "豊橋市今橋町1番地",
         "fiscal_year": "2025", "income_yen": "3,120,000", "tax_yen": "168,500"}  # fmt: skip


def test_the_page_names_the_city_and_date_and_asks_copies_only_when_printed():
    client = create_verify_app(KEY.public_key(), city="豊橋市 市民課").test_client()
    many = client.get("/verify/" + _v2(copies=2)).get_data(as_text=True)
    assert "豊橋市 市民課が 2026年12月3日 10:30 に発行した 課税（所得）証明書（2通）" in many
    assert "通数 Copies: 2" in many and "通目（全○通）" in many
    one = client.get("/verify/" + _v2(copies=1)).get_data(as_text=True)
    assert "2026年12月3日 10:30 に発行した 課税（所得）証明書 です" in one
    assert "通数" not in one and "Copies" not in one  # one copy prints no 通数
    assert 'id="verdict"' not in one  # nothing is said before a check


def test_a_mismatch_is_the_first_thing_and_nothing_stays_green():
    client = create_verify_app(KEY.public_key(), city="豊橋市").test_client()
    path = "/verify/" + _v2()
    html = client.post(path, data={**TYPED, "tax_yen": "168,501"}).get_data(as_text=True)
    body = html.split("<body", 1)[1]
    assert body.startswith(' class="mismatch"')
    first_div = body.split("<div", 2)[1]
    assert 'data-verdict="mismatch"' in first_div and "一致しません" in first_div
    assert "発行元（豊橋市）にお問い合わせください" in first_div
    assert 'class="ok"' not in body and 'data-match="1"' in body  # the right name is not green
    assert 'data-match-all="0"' in html
    # What was typed is kept, escaped, so the checker sees which item they compared.
    assert 'value="168,501"' in html and 'value="窓口花子"' in html
    tricky = client.post(path, data={**TYPED, "name": '"><b>x'}).get_data(as_text=True)
    assert '"><b>x' not in tricky and "&quot;&gt;&lt;b&gt;x" in tricky


def test_a_match_says_so_first():
    client = create_verify_app(KEY.public_key()).test_client()
    html = client.post("/verify/" + _v2(), data=TYPED).get_data(as_text=True)
    body = html.split("<body", 1)[1]
    assert body.startswith(' class=""') and "alarm" not in body.split("</style>")[-1]
    assert 'data-verdict="match"' in body.split("<div", 2)[1]
    assert 'data-match="1"' in html and 'data-match-all="1"' in html


def test_a_version_2_reference_is_checked_on_its_identity_only():
    """Version 2's content digest covered My Numbers, which the page no longer asks for:
    such a reference is read, its identity checked, and its content never called altered."""
    import base64

    from sync.central.verify import _BODY, REFERENCE_DOMAIN

    ident = check_digest("窓口 花子", "1985-06-07", "豊橋市今橋町1番地")
    body = _BODY.pack(2, 3, int(ISSUED.timestamp()), uuid.UUID(DOC).bytes, 1, ident, b"c" * 16)
    raw = base64.urlsafe_b64encode(body + KEY.sign(REFERENCE_DOMAIN + body)).decode()
    token = "MDG1." + raw.rstrip("=")
    ref = read_reference(token, KEY.public_key())
    assert ref.copies == 1 and ref.content is None
    assert read_reference(_v2(), KEY.public_key()).content is not None  # version 3 has one
    html = create_verify_app(KEY.public_key()).test_client().post(
        f"/verify/{token}", data=TYPED).get_data(as_text=True)  # fmt: skip
    assert (
        'data-match="1"' in html and "data-match-all" not in html and 'class="mismatch"' not in html
    )
