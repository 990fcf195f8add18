"""The per-day summaries the dashboard reads, by their former name (kept so that existing
imports work): the rows are computed in `sync.central.summary_rows` (pure) and kept in the store
by `sync.central.store_summaries` (the processing stage's side). The dashboard itself writes
nothing and holds no SQL; see those modules for the guarantees.
"""

from __future__ import annotations

from sync.central.store_summaries import (
    PG_ID_MARGIN,
    DailySummaries,
    analyze,
    catch_up,
    rebuild,
    refill_months,
)
from sync.central.summary_rows import (
    CITY,
    SUBMISSION_TABLES,
    TABLES,
    TOKYO,
    day_bounds,
    day_of,
    month_split,
    step_bucket,
    summarize_day,
    today,
)

__all__ = [
    "CITY",
    "PG_ID_MARGIN",
    "SUBMISSION_TABLES",
    "TABLES",
    "TOKYO",
    "DailySummaries",
    "analyze",
    "catch_up",
    "day_bounds",
    "day_of",
    "month_split",
    "rebuild",
    "refill_months",
    "step_bucket",
    "summarize_day",
    "today",
]
