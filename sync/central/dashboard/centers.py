"""Which center each device stands in: read from the registry of enrolled devices.

Invariants: only ids, center names and the revoked flag are taken from the registry (never a
key); the file is re-read when it changes (`sync.keyfiles.Registry`); an unreadable registry
gives an empty map and one log line, so the pages fall back to device ids instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from madoguchi.core.errors import MadoguchiError
from sync.central.dashboard.queries import Center

__all__ = ["registry_centers"]

log = logging.getLogger("sync.central.dashboard")


def registry_centers(path: Path | str | None) -> Callable[[], Mapping[str, Center]]:
    """A `centers()` callable for `create_app` (always empty when `path` is None)."""
    if path is None:
        return dict
    from sync.keyfiles import Registry

    registry = Registry(path)

    def centers() -> Mapping[str, Center]:
        try:
            devices = registry.devices()
        except (MadoguchiError, OSError) as e:
            log.warning("device registry not readable (%s): showing device ids", type(e).__name__)
            return {}
        return {d.device_id: Center(d.device_id, d.center, d.revoked) for d in devices}

    return centers
