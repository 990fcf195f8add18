"""Tests of The device drivers (devices/): the card reader over PC/SC and the printer over CUPS.
Shared rigs (pcsc, cups_server, capture_queue) come from tests/conftest.py."""
