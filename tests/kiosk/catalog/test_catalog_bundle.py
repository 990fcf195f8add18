"""The catalog travels as a signed downlink bundle (`sync.bundles`): the shipped document signs,
verifies and loads; versions must agree; the newest of downlink and shipped catalog wins."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.catalog import CatalogSchemaError, catalog_from_bundle, current_catalog, default_catalog
from sync.bundles import BundleStore, sign_bundle, verify_bundle

KEY = Ed25519PrivateKey.generate()
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def _document(version):
    raw = resources.files("kiosk.catalog").joinpath("default_catalog.json").read_bytes()
    doc = json.loads(raw)
    doc["version"] = version
    return doc


def _bundle(version, doc_version=None):
    return sign_bundle(
        "catalog",
        version,
        _document(doc_version or version),
        expires_at=NOW + timedelta(days=30),
        signing_key=KEY,
        issued_at=NOW,
    )


def test_signed_catalog_verifies_and_loads():
    bundle = verify_bundle(_bundle(5), KEY.public_key(), 4, NOW)
    catalog = catalog_from_bundle(bundle)
    assert catalog.version == 5 and len(catalog.procedures) >= 20


def test_version_mismatch_inside_the_bundle_is_refused():
    bundle = verify_bundle(_bundle(5, doc_version=9), KEY.public_key(), 0, NOW)
    with pytest.raises(CatalogSchemaError) as info:
        catalog_from_bundle(bundle)
    assert info.value.where == "$.version"


def test_newest_catalog_wins(tmp_path):
    store = BundleStore(tmp_path, KEY.public_key(), clock=lambda: NOW)
    # nothing downlinked: the shipped one (version 2 since issue 20's corrected facts, 3 since
    # issue 19's address fields and search section, 4 since its 「わからない」 answers and hints)
    assert current_catalog(store).version == default_catalog().version == 4
    store.apply(_bundle(7))
    assert current_catalog(store).version == 7


def test_unparsable_downlink_falls_back_to_the_shipped_catalog(tmp_path):
    store = BundleStore(tmp_path, KEY.public_key(), clock=lambda: NOW)
    doc = _document(8)
    doc["procedures"][0]["name"].pop("vi")
    store.apply(
        sign_bundle(
            "catalog", 8, doc, expires_at=NOW + timedelta(days=1), signing_key=KEY, issued_at=NOW
        )
    )
    assert current_catalog(store).version == default_catalog().version


def test_an_old_downlink_does_not_bring_back_facts_the_shipped_catalog_corrected(tmp_path):
    """Version 1 (before issue 20's corrections: 婚姻届 asked for a 戸籍謄本) downlinked earlier
    must not outrank the shipped version (4), whose 婚姻届 does not ask for it."""
    store = BundleStore(tmp_path, KEY.public_key(), clock=lambda: NOW)
    old = _document(1)
    marriage = next(p for p in old["procedures"] if p["id"] == "marriage_registration")
    marriage["documents"].append({**marriage["documents"][0], "ja": "戸籍謄本"})
    store.apply(
        sign_bundle(
            "catalog", 1, old, expires_at=NOW + timedelta(days=1), signing_key=KEY, issued_at=NOW
        )
    )
    assert store.current("catalog").version == 1  # applied: the kiosk holds it
    current = current_catalog(store)
    assert current.version == 4
    documents = current.procedures["marriage_registration"].documents
    assert documents and "戸籍謄本" not in repr(documents)
    # The same bundle as version 5 (a later correction from central) would win.
    assert catalog_from_bundle(verify_bundle(_bundle(5), KEY.public_key(), 0, NOW)).version == 5
