"""Reading key files: base64 and raw key bytes, PEM private keys, TOML, permission checks.

Invariant: a secret file that group or others may read or write is refused before it is read
(as ssh does), and every refusal is a `KeyFormatError` naming the file, never its content.
"""

from __future__ import annotations

import base64
import os
import tomllib
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from sync.errors import KeyFormatError

SECRET_FILE_MODE = 0o600
SECRET_DIR_MODE = 0o700


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
