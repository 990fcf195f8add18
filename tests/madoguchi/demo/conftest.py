"""Tests of madoguchi.demo: `make demo`'s journey offscreen, end to end."""
