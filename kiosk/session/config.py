"""Session configuration (typed, safe defaults, validated) and the staff-PIN hash.

The staff PIN is never stored: config holds `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`
made by `hash_staff_pin`; `verify_staff_pin` compares in constant time. Without a hash, staff
mode cannot be entered from the touch screen at all.

A staff PIN is 6 to 12 digits (`STAFF_PIN_MIN_DIGITS`): `hash_staff_pin` refuses a shorter one
and `verify_staff_pin` rejects a shorter entry without hashing it, so a hash made for an old
4-digit PIN can never open staff mode. A hash in config must be well formed
(`staff_pin_hash_problem`). `staff_lockout_file` (set by the entry point, in the kiosk's state
directory) makes the failure count and lockout survive restarts (`kiosk.session._staff_lockout`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from kiosk.session.errors import SessionConfigError
from madoguchi.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from sync.readable_reference import reference_center_problem, reference_mark_problem

__all__ = [
    "STAFF_PIN_MAX_DIGITS",
    "STAFF_PIN_MIN_DIGITS",
    "SessionConfig",
    "hash_staff_pin",
    "staff_pin_hash_problem",
    "verify_staff_pin",
]

_ITERATIONS = 200_000
STAFF_PIN_MIN_DIGITS = 6
STAFF_PIN_MAX_DIGITS = 12


@dataclass(frozen=True)
class SessionConfig:
    device_id: str = "kiosk-0000"
    default_language: str = DEFAULT_LANGUAGE
    idle_timeout_s: float = 60.0  # no touch → "still there?"
    still_there_timeout_s: float = 15.0  # no answer → wipe
    staff_idle_timeout_s: float = 120.0  # staff mode leaves by itself
    assist_idle_timeout_s: float = 300.0  # "still there?" later while staff assist a resident
    # On a form the resident reads, looks things up (a bank book, a child's birth date) and types
    # on unfamiliar keyboards: a minute is too short there.
    form_idle_timeout_s: float = 180.0
    staff_call_repeat_s: float = 20.0  # a second alert only after this long
    online_timeout_s: float = 3.0  # certificate issue / slot lookup deadline
    status_interval_s: float = 5.0  # how often tick() refreshes online/printer state
    # How often the terminal reports its health to city hall (`device_health`: printer, paper,
    # card reader, outbox backlog, versions); 0: never. The first report is 30 s after start.
    health_interval_s: float = 900.0
    large_text_scale: float = 1.5
    minutes_per_person: int = 6  # queue-ticket wait estimate
    # What the callback screen promises: city staff call back within this many working days.
    callback_within_days: int = 3
    staff_pin_hash: str | None = None
    staff_pin_max_failures: int = 5  # then locked until the lockout passes
    staff_lockout_s: float = 300.0
    # Where failures and the lockout are kept across restarts (None: in memory only).
    staff_lockout_file: str | None = None
    # Reference numbers on receipts and slips (`sync.readable_reference`, C01B-0017-3): the
    # center's code (e.g. "C01", unique in the city) and this terminal's mark within the center
    # (one letter, never reused; empty when the center has one terminal). Empty center code:
    # `<device>-<seq>-<check>` as before.
    reference_center: str = ""
    reference_mark: str = ""

    def __post_init__(self) -> None:
        if self.default_language not in LANGUAGES:
            raise SessionConfigError("default_language", "not a kiosk language")
        if self.reference_center or self.reference_mark:
            problem = reference_center_problem(self.reference_center)
            if problem:
                raise SessionConfigError("reference_center", problem)
            problem = reference_mark_problem(self.reference_mark)
            if problem:
                raise SessionConfigError("reference_mark", problem)
        for name in (
            "idle_timeout_s",
            "still_there_timeout_s",
            "online_timeout_s",
            "assist_idle_timeout_s",
            "form_idle_timeout_s",
            "staff_idle_timeout_s",
            "status_interval_s",
            "staff_call_repeat_s",
        ):
            if not 0 < getattr(self, name) <= 3600:
                raise SessionConfigError(name, "must be in (0, 3600]")
        if not 0 <= self.health_interval_s <= 86400:
            raise SessionConfigError("health_interval_s", "must be in [0, 86400]")
        if not 0 <= self.staff_lockout_s <= 86400:
            raise SessionConfigError("staff_lockout_s", "must be in [0, 86400]")
        for name, low, high in (
            ("minutes_per_person", 1, 120),
            ("staff_pin_max_failures", 1, 20),
            ("callback_within_days", 1, 30),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise SessionConfigError(name, f"must be a whole number in [{low}, {high}]")
        if self.large_text_scale < 1.5:
            raise SessionConfigError("large_text_scale", "must be at least 1.5")
        if not self.device_id or len(self.device_id) > 32 or not self.device_id.isascii():
            raise SessionConfigError("device_id", "1-32 ASCII characters")
        if self.staff_pin_hash is not None:
            problem = staff_pin_hash_problem(self.staff_pin_hash)
            if problem:
                raise SessionConfigError("staff_pin_hash", problem)
        if self.staff_lockout_file is not None and not os.path.isabs(self.staff_lockout_file):
            raise SessionConfigError("staff_lockout_file", "must be an absolute path")


def _pin_ok(pin: str) -> bool:
    return (
        pin.isascii() and pin.isdigit() and STAFF_PIN_MIN_DIGITS <= len(pin) <= STAFF_PIN_MAX_DIGITS
    )


def staff_pin_hash_problem(encoded: str) -> str | None:
    """Why `encoded` is not a usable staff PIN hash (None when it is)."""
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2-sha256":
        return "expected pbkdf2-sha256$iter$salt$hash"
    _, iterations, salt, digest = parts
    if not iterations.isascii() or not iterations.isdigit() or int(iterations) < 1:
        return "iterations must be a positive whole number"
    try:
        salt_bytes, digest_bytes = bytes.fromhex(salt), bytes.fromhex(digest)
    except ValueError:
        return "salt and hash must be hex"
    if len(salt_bytes) < 8 or len(digest_bytes) != 32:
        return "salt of at least 8 bytes and a 32-byte hash expected"
    return None


def hash_staff_pin(pin: str, *, salt: bytes | None = None, iterations: int = _ITERATIONS) -> str:
    if not _pin_ok(pin):
        raise SessionConfigError(
            "staff_pin", f"{STAFF_PIN_MIN_DIGITS}-{STAFF_PIN_MAX_DIGITS} digits"
        )
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2-sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_staff_pin(pin: str, encoded: str | None) -> bool:
    if not encoded or not _pin_ok(pin):
        return False
    try:
        scheme, iterations, salt, want = encoded.split("$")
        if scheme != "pbkdf2-sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), want)
