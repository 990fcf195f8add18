"""Tests of devices.printer: documents rendered to PDF and printed through the tests' own cupsd
(`cups_server`, `capture_queue` of tests/conftest.py); spools checked for personal data."""
