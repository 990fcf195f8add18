"""The benchmark output contract and small statistics helpers shared by every benchmark."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Mapping, Sequence

import click


def machine_info() -> dict:
    """What a reader needs to compare figures across runs: CPU, cores, memory, Python."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(("model name", "Model")):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kb = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            mem_kb = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": model or platform.processor(),
        "arch": platform.machine(),
        "cores": os.cpu_count(),
        "mem_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("percentile of no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * min(100.0, max(0.0, q)) / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def progress(message: str) -> None:
    """Progress for humans goes to stderr so stdout stays one JSON object."""
    print(message, file=sys.stderr, flush=True)


def emit(
    name: str, metrics: Mapping, ratios: Mapping | None = None, *, as_json: bool = True
) -> dict:
    """Print the benchmark result per the contract and return it."""
    result = {
        "bench": name,
        "metrics": dict(metrics),
        "ratios": dict(ratios or {}),
        "machine": machine_info(),
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, sort_keys=False))
    else:
        click.echo(f"bench {name}")
        for section in ("metrics", "ratios"):
            for key, value in result[section].items():
                click.echo(f"  {key:32} {value}")
    return result
