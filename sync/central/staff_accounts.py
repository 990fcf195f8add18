"""City-hall staff accounts shared by the central web apps: the consultation console
(`sync.central.consult`) and the dashboard (`sync.central.dashboard`). One table,
`consult_staff` (username, roles, display name, scrypt hash, disabled), one way to check a
password, one place that says what a role lets someone see.

Roles: the console's (`specialist`, `front_desk`, `interpreter`, `supervisor`: see
`sync.central.consult.accounts`) and the dashboard's: `dashboard` (the whole city) and
`dashboard:<center>` (one center's figures only).

Invariants:
- A password is kept only as an scrypt hash with a random 16-byte salt (`scrypt_hash`);
  `verify_password` compares in constant time and answers False (never raises) for any malformed
  stored hash.
- `read_account` returns enabled accounts only; it reads through any store or read-only reader
  with the store's `_read(operation, sql, params)`, so the dashboard stays read-only.
- A dashboard role names a center by its registry name: 1-40 printable characters, no spaces
  (roles are kept space-separated) (`dashboard_role_problem`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

__all__ = [
    "DASHBOARD_ROLE",
    "Account",
    "dashboard_role_problem",
    "dashboard_scope",
    "read_account",
    "scrypt_hash",
    "verify_password",
]

DASHBOARD_ROLE = "dashboard"
_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~16 MiB and tens of ms per login on a Pi-class CPU
_MAX_PASSWORD = 256

Account = tuple[str, tuple[str, ...], str, str]  # username, roles, display name, hash


def scrypt_hash(password: str) -> str:
    """The stored form of a password (its length is the caller's rule)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or len(password) > _MAX_PASSWORD:
            return False
        expected = base64.b64decode(digest, validate=True)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def dashboard_role_problem(role: str) -> str | None:
    """Why `role` is not a dashboard role (None: it is one)."""
    if role == DASHBOARD_ROLE:
        return None
    prefix = DASHBOARD_ROLE + ":"
    if not role.startswith(prefix):
        return "not a dashboard role"
    center = role[len(prefix) :]
    if not 1 <= len(center) <= 40 or not center.isprintable() or any(c.isspace() for c in center):
        return "a center name is 1-40 printable characters without spaces"
    return None


def dashboard_scope(roles: tuple[str, ...] | list[str]) -> str | None:
    """What an account may see on the dashboard: "" the whole city, a center's name that
    center only, None nothing. A city-wide role wins over center roles; of several center
    roles the first counts."""
    centers = []
    for role in roles:
        if role == DASHBOARD_ROLE:
            return ""
        if dashboard_role_problem(role) is None:
            centers.append(role[len(DASHBOARD_ROLE) + 1 :])
    return centers[0] if centers else None


def read_account(reader: Any, username: str) -> Account | None:
    """(username, roles, display name, password hash) of an enabled account, or None."""
    mark = getattr(reader, "placeholder", "?")  # a read-only reader takes its driver's mark
    rows = reader._read(
        "staff account",
        "SELECT username, roles, display_name, password_hash FROM consult_staff "
        f"WHERE username = {mark} AND disabled = 0",
        (username,),
    )
    if not rows:
        return None
    name, roles, display, digest = rows[0]
    return name, tuple(roles.split()), display, digest
