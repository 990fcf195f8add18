"""The registry of enrolled devices, kept by the central side in one JSON file.

Written by `provisioning` (enroll, revoke, rotate), read by the receiver's ZAP allowlist, the
dashboard and the consultation relay (a center per device id).

Invariants:
- Readers never see a half-written file (atomic replace); writers serialise on an flock.
- `lookup` re-reads the file whenever it changed on disk (inode, size or mtime), so a revocation
  written by `madoguchi provision revoke` in another process takes effect on the next lookup.
- An unreadable registry fails closed: `lookup` then lets no device in (it never raises, so a
  ZAP handler cannot crash on it); `get`, `devices` and writers raise `RegistryError`.
- A device id and a CURVE public key are each enrolled at most once; a revoked device stays in
  the file (revoked=true) so its key can never come back by accident.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from madoguchi.core.durable import write_atomic
from sync.errors import (
    DuplicateDeviceError,
    KeyFormatError,
    RegistryError,
    UnknownDeviceError,
)
from sync.keyfiles import _z85
from sync.keyfiles._files import b64, raw_public, unb64

log = logging.getLogger(__name__)

REGISTRY_FILE = "registry.json"

_DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_device_id(device_id: str) -> str:
    """Device ids name files and log lines: ASCII letters, digits, `.`, `_`, `-`, at most 64."""
    if not isinstance(device_id, str) or not _DEVICE_ID.match(device_id):
        raise RegistryError("invalid device id (A-Z a-z 0-9 . _ -, 1-64 characters)")
    return device_id


def check_curve_public(key: bytes) -> bytes:
    if len(key) != 40 or len(_z85.decode(key)) != 32:
        raise KeyFormatError("a CURVE public key is 40 z85 characters")
    return key


@dataclass(frozen=True)
class EnrolledDevice:
    device_id: str
    curve_public: bytes
    signing_public: Ed25519PublicKey
    revoked: bool
    center: str = ""
    # The terminal's part of its reference numbers (`C01B` of C01B-0017-3,
    # sync.readable_reference): unique among every device ever enrolled, so it maps back.
    reference: str = ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Registry:
    """Enrolled devices. `Registry(path)` takes the central key directory or the JSON file."""

    def __init__(self, dir_or_path: Path | str) -> None:
        path = Path(dir_or_path)
        self.path = path / REGISTRY_FILE if path.is_dir() else path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._rows: list[dict] = []
        self._by_key: dict[bytes, EnrolledDevice] = {}
        self._by_id: dict[str, EnrolledDevice] = {}
        self._broken: RegistryError | None = None

    # -- reading -----------------------------------------------------------------------------

    def _refresh(self, strict: bool = True) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns) if st else (0, 0, 0)
        if stamp == self._stamp and (strict is False or self._broken is None):
            return
        try:
            rows = self._read_rows() if st else []
            by_key: dict[bytes, EnrolledDevice] = {}
            by_id: dict[str, EnrolledDevice] = {}
            for row in rows:
                device = _device(row)
                by_key[device.curve_public] = device
                by_id[device.device_id] = device
        except RegistryError as e:
            # Fail closed: an unreadable registry lets no device in (and never raises into a
            # ZAP handler, where this log line is all anyone sees); admin calls (strict) get the
            # error itself, said once by their command.
            if not strict:
                log.error("device registry unreadable, refusing every device: %s", e)
            self._rows, self._by_key, self._by_id, self._stamp = [], {}, {}, stamp
            self._broken = e
            if strict:
                raise
            return
        self._broken = None
        self._rows, self._by_key, self._by_id, self._stamp = rows, by_key, by_id, stamp

    def _read_rows(self) -> list[dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            rows = data["devices"]
            if data.get("format") != 1 or not isinstance(rows, list):
                raise ValueError("format")
        except FileNotFoundError:
            return []
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
            raise RegistryError("registry file is malformed", path=str(self.path)) from e
        return rows

    def lookup(self, curve_public_z85: bytes) -> EnrolledDevice | None:
        """The device enrolled with this CURVE public key (revoked ones included), or None."""
        if isinstance(curve_public_z85, str):
            curve_public_z85 = curve_public_z85.encode("ascii", "replace")
        with self._lock:
            self._refresh(strict=False)
            return self._by_key.get(bytes(curve_public_z85))

    def get(self, device_id: str) -> EnrolledDevice:
        with self._lock:
            self._refresh()
            try:
                return self._by_id[device_id]
            except KeyError:
                raise UnknownDeviceError("no device with this id", device_id=device_id) from None

    def devices(self) -> list[EnrolledDevice]:
        with self._lock:
            self._refresh()
            return list(self._by_id.values())

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[list[dict]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with self._lock:
                self._stamp = None
                self._refresh()
                rows = [dict(r) for r in self._rows]
                yield rows
                body = json.dumps({"format": 1, "devices": rows}, indent=1, ensure_ascii=False)
                write_atomic(self.path, (body + "\n").encode("utf-8"))
                self._stamp = None
        finally:
            os.close(fd)

    def enroll(
        self,
        device_id: str,
        curve_public: bytes,
        signing_public: Ed25519PublicKey,
        center: str = "",
    ) -> EnrolledDevice:
        check_device_id(device_id)
        check_curve_public(curve_public)
        with self._writing() as rows:
            if any(row["device_id"] == device_id for row in rows):
                raise DuplicateDeviceError("device id already enrolled", device_id=device_id)
            if curve_public.decode("ascii") in _all_keys(rows):
                raise DuplicateDeviceError("CURVE key already enrolled", device_id=device_id)
            row = {
                "device_id": device_id,
                "center": center,
                "curve_public": curve_public.decode("ascii"),
                "signing_public": b64(raw_public(signing_public)),
                "enrolled_at": _now(),
                "revoked": False,
            }
            rows.append(row)
        return _device(row)

    def terminals(self) -> dict[str, str]:
        """Reference part (`C01B`) -> device id, revoked devices included: what they printed
        still maps back (`sync.readable_reference.locate_reference`)."""
        return {d.reference: d.device_id for d in self.devices() if d.reference}

    def set_reference(self, device_id: str, reference: str) -> EnrolledDevice:
        """Give a device the center code and mark its reference numbers carry (`C01`, `C01B`).
        Refused when malformed or when any other device, revoked or not, ever had it: a
        reference must name one terminal forever. Once set, it does not change."""
        m = _REFERENCE.fullmatch(reference) if isinstance(reference, str) else None
        if m is None:
            raise RegistryError("a reference is a center code and an optional mark, e.g. C01B")
        with self._writing() as rows:
            row = _find(rows, device_id)
            if row.get("reference", "") == reference:
                return _device(row)
            if row.get("reference"):
                raise RegistryError("the device already has a reference", device_id=device_id)
            if any(r.get("reference") == reference for r in rows):
                raise DuplicateDeviceError("reference already given", device_id=device_id)
            row["reference"] = reference
        return _device(row)

    def revoke(self, device_id: str) -> EnrolledDevice:
        """Mark a device revoked; its key is refused on the next lookup."""
        with self._writing() as rows:
            row = _find(rows, device_id)
            if not row["revoked"]:
                row["revoked"] = True
                row["revoked_at"] = _now()
        return _device(row)

    def replace_keys(
        self, device_id: str, curve_public: bytes, signing_public: Ed25519PublicKey
    ) -> EnrolledDevice:
        """Rotation: the device's old CURVE key stops working at once; its old key stays listed
        as retired so it can never be enrolled again."""
        check_curve_public(curve_public)
        with self._writing() as rows:
            row = _find(rows, device_id)
            if row["revoked"]:
                raise RegistryError("device is revoked; enroll a new id", device_id=device_id)
            if curve_public.decode("ascii") in _all_keys(rows):
                raise DuplicateDeviceError("CURVE key already enrolled", device_id=device_id)
            row.setdefault("retired_keys", []).append(row["curve_public"])
            row["curve_public"] = curve_public.decode("ascii")
            row["signing_public"] = b64(raw_public(signing_public))
            row["rotated_at"] = _now()
        return _device(row)


_REFERENCE = re.compile(r"[A-Z]{1,2}[0-9]{1,3}[A-Z]?")  # sync.readable_reference: code + mark


def _all_keys(rows: list[dict]) -> set[str]:
    keys = {r["curve_public"] for r in rows}
    for r in rows:
        keys.update(r.get("retired_keys", ()))
    return keys


def _find(rows: list[dict], device_id: str) -> dict:
    for row in rows:
        if row["device_id"] == device_id:
            return row
    raise UnknownDeviceError("no device with this id", device_id=device_id)


def _device(row: dict) -> EnrolledDevice:
    try:
        return EnrolledDevice(
            device_id=str(row["device_id"]),
            curve_public=str(row["curve_public"]).encode("ascii"),
            signing_public=Ed25519PublicKey.from_public_bytes(
                unb64(row["signing_public"], 32, "signing key")
            ),
            revoked=bool(row["revoked"]),
            center=str(row.get("center", "")),
            reference=str(row.get("reference", "")),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise RegistryError("registry entry is malformed") from e
