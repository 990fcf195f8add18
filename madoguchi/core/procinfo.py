"""What Linux says about a process, for benchmarks and diagnostics."""

from __future__ import annotations

__all__ = ["rss_mb"]


def rss_mb(pid: int | str = "self") -> float | None:
    """Resident memory of a process in MB (`VmRSS` in /proc), None when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
