"""Tests of devices.card: PC/SC reads of the My Number card simulator behind a test pcscd + vpcd
(the `pcsc` fixture of tests/conftest.py), PIN safety, trust and revocation."""
