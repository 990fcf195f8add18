"""Tests of sync.outbox: the encrypted SQLite outbox: states, crashes, full disks, tampering."""
