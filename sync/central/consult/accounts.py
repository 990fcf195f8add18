"""Staff accounts of the specialist console: roles, password hashing, what each role may do.

Invariants:
- A password is kept only as an scrypt hash with a random 16-byte salt (`hash_password`);
  `verify_password` compares in constant time and answers False (never raises) for any
  malformed stored hash.
- Roles are exactly `ROLES`; `can_accept(roles)` is the one place that says who may take a
  resident's request (an interpreter joins calls but never takes one).
- Usernames are short ASCII words (`check_username`), so they are safe in logs and records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from sync.central.consult.errors import BadPasswordError, ConsultError, UnknownRoleError

__all__ = [
    "ACCEPT_ROLES",
    "ROLES",
    "Staff",
    "can_accept",
    "check_roles",
    "check_username",
    "hash_password",
    "verify_password",
]

# specialist: a section's expert; front_desk: 総合案内; interpreter: joins calls;
# supervisor: sees every queue and may take any request.
ROLES = ("specialist", "front_desk", "interpreter", "supervisor")
ACCEPT_ROLES = frozenset({"specialist", "front_desk", "supervisor"})

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~16 MiB and tens of ms per login on a Pi-class CPU
_MIN_PASSWORD, _MAX_PASSWORD = 10, 256


@dataclass(frozen=True)
class Staff:
    username: str
    roles: tuple[str, ...]
    display_name: str

    @property
    def may_accept(self) -> bool:
        return can_accept(self.roles)


def can_accept(roles) -> bool:
    return bool(ACCEPT_ROLES.intersection(roles))


def check_username(username: str) -> str:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise ConsultError(
            "a username is 2-32 characters: lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    return username


def check_roles(roles) -> tuple[str, ...]:
    out = []
    for role in roles:
        if role not in ROLES:
            raise UnknownRoleError(str(role), ROLES)
        if role not in out:
            out.append(role)
    if not out:
        raise ConsultError(f"a staff account needs at least one role: {', '.join(ROLES)}")
    return tuple(out)


def hash_password(password: str) -> str:
    if not isinstance(password, str) or not _MIN_PASSWORD <= len(password) <= _MAX_PASSWORD:
        raise BadPasswordError(f"a password is {_MIN_PASSWORD} to {_MAX_PASSWORD} characters long")
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
