"""Tests of kiosk.services: adapters from the session's ports to the real devices and sync parts
(card reader, printer, outbox, online requests, payment)."""
