"""Tests of sync/: the record format (sealing, protocol, bundles, trust) and the terminal's sync parts."""
