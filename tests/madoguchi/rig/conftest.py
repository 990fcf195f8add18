"""Tests of madoguchi.rig: the harness that starts and stops the real parts (pcscd, cupsd, PostgreSQL,
ZeroMQ, Kivy) and what it reports when one fails to start."""
