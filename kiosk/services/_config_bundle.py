"""What the kiosk takes from the signed device config bundle besides the sealing key: the card
trust (`payload["card_trust"]`: JPKI CAs, their CRLs, kenhojo authorities), the staff PIN
hash of this terminal's center (`payload["staff_pins"]`: `{center: "pbkdf2-sha256$..."}`) and
the issuing city for certificates (`payload["city"]`: `{"name": "豊橋市", "mayor": "豊橋市長
山田 太郎", "seal_png_b64": <the official seal, a PNG of at most 64 KiB>}`) and city hall's
notices for the centers' calling displays (`payload["notices"]`, `kiosk.center.notices`) and
the hours city hall takes video consultations (`payload["consult_hours"]`: lines like
"mon-fri 08:30-17:15", `kiosk.session.ConsultHours`; kiosk.toml's `[consult] hours` otherwise).

Invariants (as `sync.outbox.AnnouncedSealingKey` for the sealing key):
- Nothing is taken from a bundle whose signature does not verify with the pinned catalog key
  (`sync.bundles.load_trusted`); expiry and rollback of new bundles are enforced where bundles
  enter the device (the agent's `BundleStore.apply`).
- It only moves forward: a file that fails verification, vanished or is older than the one
  last taken leaves everything as it was; a malformed `card_trust` or `staff_pins` entry leaves
  that entry as it was (each on its own, logged by field or class name, never values). A bundle without an entry means "not configured": `card_trust()` is then None (the
  reader checks validity and KeyUsage only) and `staff_pin_hash()` None (the kiosk config's
  hash applies).
- Cheap: one `stat` per call; the file is re-read only when it was replaced.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("kiosk.services")

STAFF_PINS_KEY = "staff_pins"
CITY_KEY = "city"
NOTICES_KEY = "notices"  # city hall's notices for the centers' displays (kiosk.center.notices)
CONSULT_HOURS_KEY = "consult_hours"  # when video consultations are taken (kiosk.session)


def _city(entry: Any) -> dict[str, str] | None:
    """The `city` entry, checked as the certificate renderer will (a bad one is refused here,
    so a certificate never fails to print over it)."""
    import base64
    import binascii

    if entry is None:
        return None
    if not isinstance(entry, dict) or set(entry) - {"name", "mayor", "seal_png_b64"}:
        raise ValueError("city must be an object with name, mayor, seal_png_b64")
    out = {k: entry.get(k, "") for k in ("name", "mayor", "seal_png_b64")}
    if not all(isinstance(v, str) for v in out.values()) or not out["name"].strip():
        raise ValueError("city name, mayor and seal must be text (name not empty)")
    if len(out["name"]) > 100 or len(out["mayor"]) > 100:
        raise ValueError("city name or mayor too long")
    if out["seal_png_b64"]:
        try:
            png = base64.b64decode(out["seal_png_b64"], validate=True)
        except (binascii.Error, ValueError):
            png = b""
        if not png.startswith(b"\x89PNG\r\n\x1a\n") or len(png) > 64 * 1024:
            raise ValueError("city seal_png_b64 must be a PNG of at most 64 KiB")
    return out


def _staff_pins(entry: Any) -> dict[str, str]:
    from kiosk.session.config import staff_pin_hash_problem

    if not isinstance(entry, dict):
        raise ValueError("staff_pins must be an object")
    out = {}
    for center, encoded in entry.items():
        if not isinstance(center, str) or not isinstance(encoded, str):
            raise ValueError("staff_pins maps center names to hashes")
        problem = staff_pin_hash_problem(encoded)
        if problem:
            raise ValueError(f"staff_pins: {problem}")
        out[center] = encoded
    return out


class ConfigBundleView:
    """`<bundles_dir>/config.bundle` as the kiosk reads it (see the module invariants)."""

    def __init__(self, bundles_dir: Path | str, catalog_public: Any) -> None:
        self.path = Path(bundles_dir) / "config.bundle"
        self._catalog_public = catalog_public
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._version = 0
        self._trust: Any = None
        self._staff: dict[str, str] = {}
        self._city: dict[str, str] | None = None
        self._notices: Any = None
        self._notices_issued: float | None = None  # the bundle's issued_at (Unix time)
        self._consult_hours: Any = None

    def _refresh(self) -> None:
        if self._catalog_public is None:
            return
        try:
            st = os.stat(self.path)
            seen: tuple[int, int, int] | None = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            seen = None
        if seen == self._seen:
            return
        self._seen = seen
        if seen is not None:
            self._reload()

    def _reload(self) -> None:
        from devices.card.errors import CardTrustConfigError
        from devices.card.trust import CONFIG_KEY, card_trust_from_config
        from sync.bundles import BundleError, load_trusted

        try:
            bundle = load_trusted(self.path.read_bytes(), self._catalog_public)
            if bundle.type != "config":
                raise ValueError("not a config bundle")
            if bundle.version < self._version:
                raise ValueError(f"v{bundle.version} is older than v{self._version}")
        except (OSError, ValueError, BundleError) as e:
            log.warning("config bundle: card trust and staff PINs unchanged (%s)", type(e).__name__)
            return
        except Exception as e:  # noqa: BLE001 - a bad file must never stop the kiosk
            log.error("config bundle unreadable: %s", type(e).__name__)
            return
        self._version = bundle.version
        # Each entry on its own: a typo in one center's staff PIN must not drop the CRLs.
        try:
            entry = bundle.payload.get(CONFIG_KEY)
            self._trust = None if entry is None else card_trust_from_config(entry)
        except CardTrustConfigError as e:
            log.warning("config bundle v%d: card trust unchanged (%s)", bundle.version, e.field)
        try:
            self._staff = _staff_pins(bundle.payload.get(STAFF_PINS_KEY, {}))
        except ValueError:
            log.warning("config bundle v%d: staff PINs unchanged (malformed)", bundle.version)
        try:
            self._city = _city(bundle.payload.get(CITY_KEY))
        except ValueError:
            log.warning("config bundle v%d: city unchanged (malformed)", bundle.version)
        try:
            from kiosk.center.notices import city_notices

            entry = bundle.payload.get(NOTICES_KEY)
            city_notices(entry, "")  # checked whole, so a center never sees half of a list
            self._notices = entry
            self._notices_issued = bundle.issued_at.timestamp()
        except ValueError:
            log.warning("config bundle v%d: notices unchanged (malformed)", bundle.version)
        try:
            from kiosk.session import ConsultHours, SessionConfigError

            entry = bundle.payload.get(CONSULT_HOURS_KEY)
            self._consult_hours = None if entry is None else ConsultHours.parse(entry)
        except SessionConfigError:
            log.warning("config bundle v%d: consult hours unchanged (malformed)", bundle.version)

    def card_trust(self) -> Any:
        """The `devices.card.trust.CardTrust` of the newest config bundle, or None."""
        with self._lock:
            self._refresh()
            return self._trust

    def staff_pin_hash(self, center: str) -> str | None:
        """This center's staff PIN hash from the config bundle, or None."""
        with self._lock:
            self._refresh()
            return self._staff.get(center)

    def city(self) -> dict[str, str] | None:
        """The issuing city of the newest config bundle ({name, mayor, seal_png_b64}), or None."""
        with self._lock:
            self._refresh()
            return self._city

    def consult_hours(self) -> Any:
        """When city hall takes video consultations (`kiosk.session.ConsultHours`) from the
        newest config bundle, or None (kiosk.toml's `[consult] hours` then)."""
        with self._lock:
            self._refresh()
            return self._consult_hours

    def notices(self, center: str) -> list[dict[str, Any]]:
        """City hall's notices for `center` from the newest config bundle (may be empty)."""
        from kiosk.center.notices import city_notices

        with self._lock:
            self._refresh()
            entry, issued = self._notices, self._notices_issued
        return city_notices(entry, center, issued)
