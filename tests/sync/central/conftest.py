"""Tests of sync.central: receiver, store (SQLite and the `postgres` rig), processing, issuer,
forwarder, verification."""
