"""Publishing the device config bundle that announces the current central sealing key.

`publish_config(central_dir, bundles_dir, expires_at=...)` signs a config bundle (with the
`config` role key and the root chain once a root is installed, else with the catalog key) whose
payload is the config already published there (or `payload`) with
`"sealing": {"public": <b64 raw X25519>, "key_id": ...}` set to the CURRENT sealing key, and
places it as `<bundles_dir>/config.bundle`, the file `central serve --bundles-dir` offers to
every device after its HELLO.

Invariants:
- The version grows by one over the config bundle in place (devices refuse a lower or equal
  one), so staff never pick a version by hand; a file in place that does not verify with the
  catalog key is never guessed past: `PublishError` until it is moved aside or `version` given.
- The bundle is verified and written through `sync.bundles.BundleStore.apply` (version check,
  atomic replace under an flock): a crash leaves the old or the new bundle, never a mix.
- Nothing secret is written: the bundle holds public keys only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from provisioning._central import load_central_keys
from provisioning._roles import sign_downlink
from provisioning.errors import PublishError
from sync.bundles import BundleStore

__all__ = ["PublishedConfig", "publish_config"]

_CONFIG = "config"


@dataclass(frozen=True)
class PublishedConfig:
    path: Path
    version: int
    sealing_key_id: str
    expires_at: datetime


def publish_config(
    central_dir: Path | str,
    bundles_dir: Path | str,
    *,
    expires_at: datetime,
    payload: dict | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> PublishedConfig:
    """Sign and place `<bundles_dir>/config.bundle` announcing the current sealing key."""
    keys = load_central_keys(central_dir)
    now = now or datetime.now(UTC)
    store = BundleStore(bundles_dir, keys.catalog_public, clock=lambda: now)
    path = Path(bundles_dir) / f"{_CONFIG}.bundle"
    current = store.current(_CONFIG)
    if current is None and path.exists() and version is None:
        # an unusable file counts as version 0 in the store: guessing past it could hand
        # devices a version they refuse as a rollback
        raise PublishError(
            "the config bundle in place does not verify with the catalog key: move it"
            " aside, or give the version devices last received plus one",
            path=str(path),
        )
    if version is None:
        version = (current.version if current else 0) + 1
    elif current is not None and version <= current.version:
        raise PublishError(
            "the version must grow past the config bundle in place", current=current.version
        )
    if payload is None:
        payload = dict(current.payload) if current else {}
    if not isinstance(payload, dict):
        raise PublishError("the config must be a JSON object")
    data = sign_downlink(
        keys, _CONFIG, version, payload, expires_at=expires_at, issued_at=now, announce_sealing=True
    )
    store.apply(data)
    return PublishedConfig(path, version, keys.sealing_key_id, expires_at)
