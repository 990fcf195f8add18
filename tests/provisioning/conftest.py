"""Tests of provisioning/: keys, enrollment, role keys, bundles published for devices, updates."""
