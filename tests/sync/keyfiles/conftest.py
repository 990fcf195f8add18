"""Tests of sync.keyfiles: the key and registry files that sync and central read (written by
provisioning)."""
