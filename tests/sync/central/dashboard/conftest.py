"""Tests of sync.central.dashboard: the city-hall dashboard on both store backends, through the real
receiver (scenario helpers in tests/support/dashboard.py)."""
