"""Private file helpers for writing secrets: 0600 files in 0700 directories, PEM and TOML output.

Invariant: a reader never sees a half-written key or registry file (temp file in the same
directory, fsync, rename, fsync of the directory), and a secret file is never readable by
group or others, not even for the instant between create and chmod (created with 0600).
Reading key files is `sync.keyfiles`'s job (the agent and the receiver read them too).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from sync.keyfiles import SECRET_DIR_MODE, SECRET_FILE_MODE

__all__ = ["SECRET_FILE_MODE", "dump_toml", "make_secret_dir", "private_pem"]


def make_secret_dir(path: Path) -> None:
    path.mkdir(mode=SECRET_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, SECRET_DIR_MODE)


def private_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


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
