"""Tests of madoguchi.faults: power cuts, partitions, clocks and full disks, bounded; the full counts
run with `make test-faults`."""
