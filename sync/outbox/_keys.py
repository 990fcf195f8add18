"""Which central sealing key new records are sealed to: the enrolled one, until a signed config
bundle announces another (after `madoguchi provision rotate --sealing`).

`Outbox(..., key_source=src)` asks `src.current()` once per append; `None` means "nothing
announced": the outbox seals to the key it was opened with (the enrolled key from device.toml).

Invariants of `AnnouncedSealingKey` (the kiosk's source, reading the bundle store the sync agent
writes):
- It never yields a key that is not inside a config bundle whose Ed25519 signature verifies with
  the pinned catalog key (`sync.bundles.load_trusted`, which also checks the key: 32 bytes, not
  a low-order point, key id derived from the key). The key and its id come from the same bundle,
  so a record header's `kid` always names the key its body is sealed to.
- It only moves forward: a file that fails verification, is unreadable, vanished, carries a
  lower version than the bundle the current key came from (rollback) or announces no key leaves
  the current key in place. Expiry and rollback of NEW bundles are enforced where bundles enter
  the device (`BundleStore.apply` in the agent); an applied bundle that expires later is still
  the newest word from the central side, so it stays in force (falling back to the older,
  enrolled key would be worse).
- Cheap at append time: one `stat`; the file is read and its signature verified only when its
  (inode, size, mtime) changes, i.e. when the agent replaced it (an atomic rename: a reader sees
  the old or the new bundle, never a mix).
- Logs carry key ids, versions and exception class names only.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from sync.bundles import BundleError, load_trusted, sealing_key_of

__all__ = ["AnnouncedSealingKey", "SealingKey", "SealingKeySource"]

_log = logging.getLogger("sync.outbox.keys")


@dataclass(frozen=True)
class SealingKey:
    """A central sealing public key and its key id (the header's `kid`)."""

    public: X25519PublicKey
    key_id: str


class SealingKeySource(Protocol):
    def current(self) -> SealingKey | None:
        """The key new records are sealed to, or None for the outbox's own (enrolled) key."""
        ...


class AnnouncedSealingKey:
    """The sealing key announced by `<bundles_dir>/config.bundle`, re-read when the file changes.

    `catalog_public` is the pinned catalog key from device.toml; without one (an old device
    bundle) nothing is ever announced and the outbox keeps its enrolled key."""

    def __init__(
        self,
        bundles_dir: Path | str,
        catalog_public: Ed25519PublicKey | None,
        *,
        bundle_type: str = "config",
    ) -> None:
        self.path = Path(bundles_dir) / f"{bundle_type}.bundle"
        self._catalog_public = catalog_public
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None  # (inode, size, mtime_ns) last looked at
        self._key: SealingKey | None = None
        self._version = 0  # newest config bundle taken (a lower one is a rollback)

    @property
    def version(self) -> int:
        """Version of the newest config bundle taken (0: none yet)."""
        return self._version

    def current(self) -> SealingKey | None:
        if self._catalog_public is None:
            return None
        try:
            st = os.stat(self.path)
            seen: tuple[int, int, int] | None = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            seen = None
        with self._lock:
            if seen != self._seen:
                self._seen = seen
                if seen is not None:
                    self._reload()
            return self._key

    def _reload(self) -> None:
        kept = self._key.key_id if self._key else "enrolled"
        try:
            bundle = load_trusted(self.path.read_bytes(), self._catalog_public)
            announced = sealing_key_of(bundle)
        except (OSError, BundleError) as e:
            _log.warning("config bundle refused, sealing stays with %s: %s", kept, type(e).__name__)
            return
        except Exception as e:  # noqa: BLE001 - a bad file must never stop a submission
            _log.error(
                "config bundle unreadable, sealing stays with %s: %s", kept, type(e).__name__
            )
            return
        if bundle.type != "config":
            _log.warning("config bundle refused, sealing stays with %s: wrong type", kept)
            return
        if bundle.version < self._version:
            _log.warning(
                "config bundle v%d is older than v%d, sealing stays with %s",
                bundle.version,
                self._version,
                kept,
            )
            return
        self._version = bundle.version
        if announced is None:
            return  # this config says nothing about the sealing key
        public, key_id = announced
        if self._key is None or self._key.key_id != key_id:
            _log.info("sealing new records to key %s (config bundle v%d)", key_id, bundle.version)
        self._key = SealingKey(public, key_id)
