"""Downlink bundles offered to devices, from a directory of signed bundles.

`directory_bundle_source(dir, catalog_public)` is the receiver's `bundle_source`:
- `catalog.bundle` goes down when the device's HELLO says its catalog is older;
- `config.bundle` (device config; after a sealing-key rotation it announces the new key) is
  offered to every session: HELLO carries no config version, the bundle is small, and the agent
  answers an identical re-delivery without writing anything (`BundleStore.apply`, changed=False).
The receiver asks after each HELLO and again every `ReceiverConfig.bundle_recheck_s` for open
sessions (`SessionOffers`: each distinct bundle once per session), so a bundle published while a
terminal stays connected for months still reaches it.
Only bundles that verify with the catalog key are offered (a half-copied or foreign file is
skipped and logged by class name); each file is re-verified only when its (inode, size, mtime)
changes, so a reconnect storm costs a `stat` per file per HELLO. Expiry and rollback are the
device's checks (`sync.bundles.verify_bundle`), not the server's.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.bundles import BundleError, load_trusted

__all__ = ["SessionOffers", "config_entry_source", "directory_bundle_source"]

log = logging.getLogger("sync.central.bundles")


class _VerifiedFile:
    """One bundle file: (bytes, version) once verified, re-read when the file changes."""

    def __init__(self, path: Path, bundle_type: str, public_key: Ed25519PublicKey) -> None:
        self.path, self.type, self._public_key = path, bundle_type, public_key
        self._seen: tuple[int, int, int] | None = None
        self._value: tuple[bytes, int] | None = None
        self.payload: dict | None = None  # the verified bundle's payload, with `_value`

    def get(self) -> tuple[bytes, int] | None:
        try:
            st = os.stat(self.path)
            seen: tuple[int, int, int] | None = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            seen = None
        if seen != self._seen:
            self._seen, self._value, self.payload = seen, None, None
            if seen is not None:
                try:
                    data = self.path.read_bytes()
                    bundle = load_trusted(data, self._public_key)
                except (OSError, BundleError) as e:
                    log.warning("%s not offered: %s", self.path.name, type(e).__name__)
                    return None
                if bundle.type != self.type:
                    log.warning("%s not offered: holds a %s bundle", self.path.name, bundle.type)
                    return None
                self._value = (data, bundle.version)
                self.payload = bundle.payload if isinstance(bundle.payload, dict) else None
        return self._value


def directory_bundle_source(
    directory: Path | str, public_key: Ed25519PublicKey
) -> Callable[[str, int], list[bytes]]:
    """`fn(device_id, catalog_version) -> [bundle bytes, ...]` over `<directory>/<type>.bundle`."""
    directory = Path(directory)
    catalog = _VerifiedFile(directory / "catalog.bundle", "catalog", public_key)
    config = _VerifiedFile(directory / "config.bundle", "config", public_key)
    lock = threading.Lock()  # the receiver asks from its loop thread; be safe anyway

    def source(device_id: str, catalog_version: int) -> list[bytes]:
        out = []
        with lock:
            got = catalog.get()
            if got is not None and got[1] > catalog_version:
                out.append(got[0])
            got = config.get()
            if got is not None:
                out.append(got[0])
        return out

    return source


def config_entry_source(
    directory: Path | str, public_key: Ed25519PublicKey, key: str
) -> Callable[[], Any]:
    """`fn() -> value` of `key` in the signed `<directory>/config.bundle` the devices are
    offered (None: no verified bundle, or no such entry), so city hall's services follow what it
    signed for the terminals (the consultation hours); re-read only when the file changes."""
    config = _VerifiedFile(Path(directory) / "config.bundle", "config", public_key)
    lock = threading.Lock()

    def entry() -> Any:
        with lock:
            if config.get() is None or config.payload is None:
                return None
            return config.payload.get(key)

    return entry


class SessionOffers:
    """The downlink state of one device session: each distinct bundle goes down at most once per
    session (after HELLO, then whenever the source has a new one: a catalog or config published
    while the device stays connected), and the catalog version follows the device's BUNDLE_ACKs."""

    def __init__(self, catalog_version: int) -> None:
        self.catalog_version = catalog_version
        self._sent: set[bytes] = set()

    def due(
        self, source: Callable[[str, int], bytes | Sequence[bytes] | None], device_id: str
    ) -> list[bytes]:
        """The bundles from `source` this session has not been offered yet (marked offered)."""
        data = source(device_id, self.catalog_version)
        out = []
        for item in [data] if isinstance(data, bytes | bytearray) else list(data or ()):
            digest = hashlib.sha256(item).digest()
            if item and digest not in self._sent:
                self._sent.add(digest)
                out.append(bytes(item))
        return out
