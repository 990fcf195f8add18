"""Tests of madoguchi.core: errors, durable files, languages."""
