"""Tests of madoguchi.bench: each benchmark's JSON contract, run at small sizes (figures come from
`madoguchi bench ... --json`, never from timed assertions)."""
