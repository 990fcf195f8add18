"""Tests of The roof and floor of madoguchi/: the one CLI, the tools (bench, demo, faults, rig) and core."""
