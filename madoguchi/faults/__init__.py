"""The fault harness of issue 23: residents' workload on simulated terminals, power cuts for
SQLite, and an independent checker (see docs/reliability.md). A tool: it sits above every other
layer and may import all of them; nothing in the product imports it."""

from madoguchi.faults.errors import CheckerError, FaultsError, PowerCutError

__all__ = ["CheckerError", "FaultsError", "PowerCutError"]
