"""Benchmarks: `madoguchi bench NAME --json`.

The contract (every later benchmark follows it): ONE JSON object on stdout,
`{"bench": NAME, "metrics": {...}, "ratios": {...}, "machine": {...}}`; progress goes to stderr.
Each benchmark starts the real parts it needs (pcscd + card simulator, cupsd, central) and stops
them. Benchmarks measure; tests never assert on time.

A benchmark is a module in this package (name without a leading underscore) exposing `command`,
a click command; the `bench` group finds them by listing the package. `bulk_fill` (fill an
outbox fast, not measured) is public for the fault harness's tests.
"""

from madoguchi.bench._contract import emit, machine_info, percentile, progress
from madoguchi.bench._sync_engine import bulk_fill

__all__ = ["bulk_fill", "emit", "machine_info", "percentile", "progress"]
