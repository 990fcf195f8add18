"""Tests of kiosk.session: the session logic without Kivy, over in-memory ports and a manual clock
(fixtures from tests/support/session_fixtures.py, loaded by tests/conftest.py)."""
