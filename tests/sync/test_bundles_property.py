"""Property-based: the bundle parser (v1 with a pinned key, v2 with a root chain) and the root
chain parser never raise anything but a `BundleError` on hostile input, and never accept a
bundle whose signed bytes or chain were altered. Inputs are size-bounded; the test as a whole is
bounded by its timeout (no per-example timing is asserted)."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.bundles import BundleError, load_trusted, sign_bundle, verify_bundle
from sync.trust import TrustAnchor, chain_from_bytes, parse_root, sign_root

NOW = datetime(2027, 4, 1, tzinfo=UTC)
ROOT = Ed25519PrivateKey.generate()
CATALOG = Ed25519PrivateKey.generate()
CHAIN = [
    sign_root(
        1,
        root_keys=[ROOT.public_key()],
        delegations={
            r: ([CATALOG.public_key()], NOW + timedelta(days=30))
            for r in ("catalog", "config", "documents", "sealing")
        },
        expires_at=NOW + timedelta(days=60),
        signing_keys=[ROOT],
        issued_at=NOW - timedelta(days=1),
    )
]
ANCHOR = TrustAnchor((ROOT.public_key(),))
V1 = sign_bundle(
    "catalog", 3, {"a": [1, "二"]}, expires_at=NOW + timedelta(days=9), signing_key=CATALOG,
    issued_at=NOW - timedelta(hours=1),
)  # fmt: skip
V2 = sign_bundle(
    "catalog", 3, {"a": [1, "二"]}, expires_at=NOW + timedelta(days=9), signing_key=CATALOG,
    issued_at=NOW - timedelta(hours=1), roots=CHAIN,
)  # fmt: skip
TRUSTS = [CATALOG.public_key(), ANCHOR]
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _check(data, trust):
    try:
        bundle = verify_bundle(data, trust, 0, NOW)
    except BundleError:
        return None
    try:
        load_trusted(data, trust)
    except BundleError:
        pytest.fail("verify accepted what load_trusted refuses")
    return bundle


@pytest.mark.timeout(120)
@SETTINGS
@given(data=st.binary(max_size=2048), which=st.sampled_from([0, 1]))
def test_arbitrary_bytes_are_refused_cleanly(data, which):
    assert _check(data, TRUSTS[which]) is None


@pytest.mark.timeout(120)
@SETTINGS
@given(
    which=st.sampled_from([0, 1]),
    field=st.sampled_from(["format", "v", "keyid", "sig", "signed", "roots", "extra"]),
    value=json_values,
)
def test_envelope_fields_replaced_by_any_json(which, field, value):
    env = json.loads(V2 if which else V1)
    env[field] = value
    data = json.dumps(env).encode()
    bundle = _check(data, TRUSTS[which])
    if bundle is not None:  # only a change that leaves the signed bytes and signer intact
        assert bundle.payload == {"a": [1, "二"]} and bundle.version == 3


@pytest.mark.timeout(120)
@SETTINGS
@given(which=st.sampled_from([0, 1]), position=st.integers(0, 10**6), bit=st.integers(0, 7))
def test_a_flipped_bit_in_the_signed_part_or_chain_is_refused(which, position, bit):
    env = json.loads(V2 if which else V1)
    target = "signed" if which == 0 or position % 2 else "roots"
    if target == "signed":
        raw = bytearray(base64.b64decode(env["signed"]))
        raw[position % len(raw)] ^= 1 << bit
        env["signed"] = base64.b64encode(bytes(raw)).decode()
    else:
        raw = bytearray(base64.b64decode(env["roots"][0]))
        raw[position % len(raw)] ^= 1 << bit
        env["roots"][0] = base64.b64encode(bytes(raw)).decode()
    assert _check(json.dumps(env).encode(), TRUSTS[which]) is None


@pytest.mark.timeout(120)
@SETTINGS
@given(data=st.binary(max_size=1024) | json_values.map(lambda v: json.dumps(v).encode()))
def test_root_and_chain_parsers_refuse_cleanly(data):
    for parse in (parse_root, chain_from_bytes):
        with pytest.raises(BundleError):  # and nothing else: no KeyError, TypeError, ...
            parse(data)
