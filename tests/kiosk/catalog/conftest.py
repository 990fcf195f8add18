"""Tests of kiosk.catalog: the catalog of life events and procedures, its facts (tests/kiosk/catalog/data)
and search."""
