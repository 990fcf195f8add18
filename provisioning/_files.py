"""Private file helpers: secret files are written atomically with mode 0600 in 0700 directories.

Invariant: a reader never sees a half-written key or registry file (temp file in the same
directory, fsync, rename, fsync of the directory), and a secret file is never readable by
group or others, not even for the instant between create and chmod (created with 0600).
"""

from __future__ import annotations

import base64
import os
import tomllib
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from provisioning.errors import KeyFormatError

SECRET_FILE_MODE = 0o600
SECRET_DIR_MODE = 0o700


def make_secret_dir(path: Path) -> None:
    path.mkdir(mode=SECRET_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, SECRET_DIR_MODE)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str, length: int | None = None, what: str = "key") -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as e:
        raise KeyFormatError(f"{what} is not base64") from e
    if length is not None and len(raw) != length:
        raise KeyFormatError(f"{what} has the wrong length", length=len(raw), expected=length)
    return raw


def raw_public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def check_private(path: Path, what: str) -> None:
    """Refuse a secret file that group or others may read or write (as ssh does)."""
    mode = os.stat(path).st_mode
    if mode & 0o077:
        raise KeyFormatError(
            f"{what} is accessible to group or others (chmod 600)",
            path=str(path),
            mode=oct(mode & 0o777),
        )


def load_private_pem(path: Path, kind: type, what: str):
    check_private(path, what)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise
    except (ValueError, TypeError) as e:
        raise KeyFormatError(f"{what} is not a PEM private key", path=str(path)) from e
    if not isinstance(key, kind):
        raise KeyFormatError(f"{what} has the wrong key type", path=str(path))
    return key


def read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise KeyFormatError("not valid TOML", path=str(path)) from e


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch in ('"', "\\"):
                out.append("\\" + ch)
            elif ord(ch) < 0x20 or ord(ch) == 0x7F:
                out.append(f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    raise TypeError(f"unsupported TOML value {type(value).__name__}")


def dump_toml(data: dict, header: str = "") -> str:
    """A tiny TOML writer for flat tables of str/int/bool (all this package writes)."""
    lines = [f"# {line}" for line in header.splitlines()]
    tables = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables:
        lines.append("")
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"
