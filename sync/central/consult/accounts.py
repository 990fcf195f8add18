"""Staff accounts of the specialist console: roles, password hashing, what each role may do.

Invariants:
- A password is kept only as an scrypt hash with a random 16-byte salt (`hash_password`);
  `verify_password` compares in constant time and answers False (never raises) for any
  malformed stored hash.
- The console's roles are exactly `ROLES`; `can_accept(roles)` is the one place that says who
  may take a resident's request (an interpreter joins calls but never takes one). An account
  may also carry dashboard roles (`sync.central.staff_accounts`: the same table serves both
  apps); an account with dashboard roles only cannot log in here (`uses_console`).
- Hashing and checking passwords is `sync.central.staff_accounts`'s (one way for both apps).
- Usernames are short ASCII words (`check_username`), so they are safe in logs and records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sync.central.consult.errors import BadPasswordError, ConsultError, UnknownRoleError
from sync.central.staff_accounts import dashboard_role_problem, scrypt_hash, verify_password

__all__ = [
    "ACCEPT_ROLES",
    "ROLES",
    "Staff",
    "can_accept",
    "check_roles",
    "check_username",
    "hash_password",
    "uses_console",
    "verify_password",
]

# specialist: a section's expert; front_desk: 総合案内; interpreter: joins calls;
# supervisor: sees every queue and may take any request.
ROLES = ("specialist", "front_desk", "interpreter", "supervisor")
ACCEPT_ROLES = frozenset({"specialist", "front_desk", "supervisor"})

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
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


def uses_console(roles) -> bool:
    """Whether an account may log in to the console (a dashboard-only account may not)."""
    return bool(set(ROLES).intersection(roles))


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
        if role not in ROLES and dashboard_role_problem(str(role)) is not None:
            raise UnknownRoleError(str(role), (*ROLES, "dashboard", "dashboard:<center>"))
        if role not in out:
            out.append(role)
    if not out:
        raise ConsultError(f"a staff account needs at least one role: {', '.join(ROLES)}")
    return tuple(out)


def hash_password(password: str) -> str:
    if not isinstance(password, str) or not _MIN_PASSWORD <= len(password) <= _MAX_PASSWORD:
        raise BadPasswordError(f"a password is {_MIN_PASSWORD} to {_MAX_PASSWORD} characters long")
    return scrypt_hash(password)
