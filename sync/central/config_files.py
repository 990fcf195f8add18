"""The central side's configuration files, read for the entry points (`madoguchi central serve`
and the rigs) and handed down as typed dataclasses: nothing below this module reads a file or
the environment for its configuration.

In the central key directory:
    jpki-ca/*.pem|*.der|*.cer|*.crt   trusted JPKI user-authentication CAs
    jpki-crl/*.crl|*.der|*.pem        their CRLs (each signed by one of them)
    slots.json                        consultation slots (a list, or a catalog object)
    issuer.json                       {"verify_url": "https://.../verify/"}
    residents.json                    the back office's resident records (see docs/sync.md):
                                      `url`, optional `city_name` (the issuer printed on
                                      certificates), `token_env` (an environment variable
                                      holding a bearer token), `headers`, `verify_tls`,
                                      `connect_timeout_s`, `read_timeout_s`

And the central TOML file (`--config` of `central retain`): its `[retention]` section
(`load_retention_config`).

Invariants: a malformed file is one `IssuerError` / `ResidentRecordsError` naming the file,
never its content (no token, no header value); an absent optional file means "not configured".
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path

from sync.central.errors import CrlError, IssuerError, ResidentRecordsError, RetentionConfigError
from sync.central.issuer import (
    IssuerConfig,
    Slot,
    issuer_handlers,
    load_trusted_cas,
    slots_from_catalog,
)
from sync.central.jpki_auth import load_crls
from sync.central.residents import ResidentRecordsConfig
from sync.central.retention import RetentionConfig

__all__ = [
    "RESIDENTS_FILE",
    "default_handlers",
    "issuer_config_from_dir",
    "load_residents_file",
    "load_retention_config",
    "residents_config_from_dir",
]

RESIDENTS_FILE = "residents.json"


def issuer_config_from_dir(directory: Path) -> IssuerConfig:
    """Read `<directory>/jpki-ca/*.pem|*.der|*.cer` (trusted JPKI user-authentication CAs),
    `<directory>/jpki-crl/*.crl|*.der|*.pem` (their CRLs, each signed by one of them),
    `<directory>/slots.json` (a list of slots, or a catalog object with "slots") and the city
    name of `<directory>/residents.json` (see `sync.central.residents`), if present."""
    ca_dir = Path(directory) / "jpki-ca"
    blobs = (
        [
            p.read_bytes()
            for p in sorted(ca_dir.glob("*"))
            if p.is_file() and p.suffix in (".pem", ".der", ".cer", ".crt")
        ]
        if ca_dir.is_dir()
        else []
    )
    slots: tuple[Slot, ...] = ()
    slots_path = Path(directory) / "slots.json"
    if slots_path.exists():
        try:
            data = json.loads(slots_path.read_text(encoding="utf-8"))
            slots = slots_from_catalog(data if isinstance(data, dict) else {"slots": data})
        except (ValueError, KeyError, TypeError) as e:
            raise IssuerError(f"slots.json is malformed: {type(e).__name__}") from e
    residents_path = Path(directory) / RESIDENTS_FILE
    city = load_residents_file(residents_path)[1] if residents_path.exists() else ""
    verify_url = _verify_url(Path(directory) / "issuer.json")
    cas = load_trusted_cas(blobs)
    try:
        crls = load_crls(directory, cas)
    except CrlError as e:
        raise IssuerError(f"jpki-crl: {e}") from e
    return IssuerConfig(
        trusted_cas=cas, slots=slots, city_name=city, crls=crls, verify_url=verify_url
    )


def _verify_url(path: Path) -> str:
    """`verify_url` of `<keys>/issuer.json` ({"verify_url": "https://.../verify/"}), or ""."""
    if not path.exists():
        return ""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise IssuerError(f"issuer.json unreadable: {type(e).__name__}") from None
    url = doc.get("verify_url", "") if isinstance(doc, dict) else None
    if not isinstance(url, str) or set(doc) - {"verify_url"} or len(url) > 200:
        raise IssuerError("issuer.json: an object with a verify_url text only")
    if url and not url.startswith(("https://", "http://")):
        raise IssuerError("issuer.json: verify_url must be http(s)://")
    return url


_FILE_KEYS = {"url", "city_name", "token_env", "headers", "verify_tls"}
_FILE_KEYS |= {"connect_timeout_s", "read_timeout_s"}


def load_residents_file(
    path: Path, environ: Mapping[str, str] = os.environ
) -> tuple[ResidentRecordsConfig, str]:
    """(config, city name) from a `residents.json` (see docs/sync.md): an object with `url`,
    and optionally `city_name` (printed as the certificate's issuer), `token_env` (the name of
    an environment variable holding a bearer token), `headers`, `verify_tls`,
    `connect_timeout_s`, `read_timeout_s`. Unknown keys are refused (a typo is not ignored)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ResidentRecordsError(f"{Path(path).name} unreadable: {type(e).__name__}") from None
    if not isinstance(doc, dict) or set(doc) - _FILE_KEYS or not isinstance(doc.get("url"), str):
        raise ResidentRecordsError(f"{Path(path).name}: an object with url and known keys only")
    headers = doc.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ResidentRecordsError(f"{Path(path).name}: headers must map text to text")
    token_env = doc.get("token_env")
    if token_env is not None:
        token = environ.get(str(token_env))
        if not token:
            raise ResidentRecordsError(f"environment variable {token_env} is not set")
        headers = {**headers, "Authorization": f"Bearer {token}"}
    city = doc.get("city_name", "")
    verify = doc.get("verify_tls", True)
    timeouts = [doc.get(k, d) for k, d in (("connect_timeout_s", 0.5), ("read_timeout_s", 1.5))]
    if (
        not isinstance(city, str)
        or not isinstance(verify, bool | str)
        or not all(isinstance(t, int | float) and not isinstance(t, bool) for t in timeouts)
    ):
        raise ResidentRecordsError(f"{Path(path).name}: a value has the wrong type")
    config = ResidentRecordsConfig(
        url=doc["url"],
        connect_timeout_s=float(timeouts[0]),
        read_timeout_s=float(timeouts[1]),
        headers=headers,
        verify_tls=verify,
    )
    return config, city


def residents_config_from_dir(
    directory: Path, environ: Mapping[str, str] = os.environ
) -> ResidentRecordsConfig | None:
    """The back office of `<directory>/residents.json`, or None when the file is absent."""
    path = Path(directory) / RESIDENTS_FILE
    return load_residents_file(path, environ)[0] if path.exists() else None


def default_handlers(keys, db: str) -> dict[str, Callable[[str, dict], dict]]:
    """The issuer's handlers as `madoguchi central serve` registers them: its config read from
    the central key directory (`issuer_config_from_dir`, `residents_config_from_dir`), then
    `sync.central.issuer.issuer_handlers`."""
    return issuer_handlers(
        keys,
        db,
        issuer_config_from_dir(keys.directory),
        residents_config_from_dir(keys.directory),
    )


def load_retention_config(path: Path | None) -> RetentionConfig:
    """The `[retention]` section of the central TOML file (defaults when absent or no file)."""
    if path is None:
        return RetentionConfig()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise RetentionConfigError(f"central config not found: {path}") from e
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise RetentionConfigError(f"central config unreadable: {type(e).__name__}") from e
    section = data.get("retention", {})
    if not isinstance(section, dict):
        raise RetentionConfigError("[retention] must be a table")
    unknown = set(section) - {"retention_days", "forwarded_kinds"}
    if unknown:
        raise RetentionConfigError(f"[retention] has an unknown key: {sorted(unknown)[0]}")
    kinds = section.get("forwarded_kinds", RetentionConfig.forwarded_kinds)
    if not isinstance(kinds, list | tuple) or not all(isinstance(k, str) for k in kinds):
        raise RetentionConfigError("forwarded_kinds must be a list of record kinds")
    return RetentionConfig(
        retention_days=section.get("retention_days", RetentionConfig.retention_days),
        forwarded_kinds=tuple(kinds),
    )
