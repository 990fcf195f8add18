"""Tests of sync.central.consult: the specialists' console (headless chromium) and the call relay."""
