"""Tests of systemd/: the units, checked by a strict parser and `systemd-analyze`."""
