"""Tests of kiosk.center: one center's shared queue host, staff console and calling display
(headless chromium)."""
