"""The `[center]` table of a terminal's kiosk config, as a typed dataclass (read in entry points).

    [center]
    center = "higashi"                    # the center's id, as its queue host names it
    host_url = "https://10.20.0.11:8470"  # the center's queue host (https unless on loopback)
    host_cert = "/etc/madoguchi/center-host.pem"  # the host's certificate, pinned (https)
    token_file = "/etc/madoguchi/center-token"   # the center's terminal token, 0600
    mark = "2"                            # this terminal's fallback mark, unique in the center
    timeout_s = 1.5
    # On the one terminal that is the center's queue host (the kiosk process serves it):
    serve = "0.0.0.0:8470"                # the staff console, calling display, terminals' API
    name = "東町コミュニティセンター"       # shown on the console and the display
    counters = ["1", "2", "3"]
    tls_dir = "/var/lib/madoguchi/center-tls"  # its certificate, made on the first start
    places = { K1 = "入口側の端末", K2 = "2階の端末" }  # how staff know each terminal (by id)

Guarantees: a bad value is a `CenterConfigError` naming the field, never the token. The token
and the staff PIN never cross the center's LAN in clear: `host_url` is https unless the host is
on loopback, and a terminal pins the host's certificate (`host_cert`; the host itself may omit
it and pins the one it made).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.center.errors import CenterConfigError

__all__ = ["CenterConfig", "center_config"]


@dataclass(frozen=True)
class CenterConfig:
    center: str
    host_url: str
    token: str = field(repr=False)
    mark: str = ""
    timeout_s: float = 1.5
    fallback_path: Path | None = None  # default: beside the kiosk's local state
    serve: tuple[str, int] | None = None  # (address, port) on the queue host, else None
    name: str = ""
    counters: tuple[str, ...] = ("1", "2")
    host_cert: Path | None = None  # the pinned certificate of the host (https)
    tls_dir: Path | None = None  # on the host: where its certificate is (default: beside state)
    # On the host: terminal id -> where it stands, so the console names the place, not the id.
    places: tuple[tuple[str, str], ...] = ()

    @property
    def tls(self) -> bool:
        return self.host_url.startswith("https://")


def center_config(table: dict[str, Any]) -> CenterConfig:
    unknown = sorted(
        set(table)
        - {
            "center",
            "host_url",
            "token_file",
            "mark",
            "timeout_s",
            "fallback",
            "serve",
            "name",
            "counters",
            "host_cert",
            "tls_dir",
            "places",
        }
    )
    if unknown:
        raise CenterConfigError(", ".join(unknown), "unknown key")
    center = table.get("center")
    if not isinstance(center, str) or not re.match(r"^[A-Za-z0-9._-]{1,64}$", center):
        raise CenterConfigError("center", "the center's id (letters, digits, . _ -)")
    url = table.get("host_url")
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+/?$", url):
        raise CenterConfigError("host_url", "http(s)://host:port")
    host = urlsplit(url).hostname or ""
    if url.startswith("http://") and host not in ("127.0.0.1", "::1", "localhost"):
        raise CenterConfigError("host_url", "https (the token and staff PIN cross the LAN)")
    host_cert = table.get("host_cert")
    if host_cert is not None and (not isinstance(host_cert, str) or not host_cert.strip()):
        raise CenterConfigError("host_cert", "the path of the host's certificate")
    if url.startswith("https://") and host_cert is None and "serve" not in table:
        raise CenterConfigError("host_cert", "https needs the host's certificate to pin")
    if host_cert is not None and not Path(host_cert).is_file():
        raise CenterConfigError("host_cert", "no such file")
    tls_dir = table.get("tls_dir")
    if tls_dir is not None and (not isinstance(tls_dir, str) or not tls_dir.strip()):
        raise CenterConfigError("tls_dir", "a directory path")
    mark = str(table.get("mark", ""))
    if not re.match(r"^[1-9]$", mark):
        raise CenterConfigError("mark", "one digit 1-9, unique in the center")
    timeout = table.get("timeout_s", 1.5)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 10:
        raise CenterConfigError("timeout_s", "in (0, 10]")
    try:
        token = Path(str(table.get("token_file", ""))).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise CenterConfigError("token_file", f"unreadable ({type(e).__name__})") from e
    if len(token) < 24:
        raise CenterConfigError("token_file", "the token must have at least 24 characters")
    fallback = table.get("fallback")
    serve = None
    if "serve" in table:
        m = re.match(r"^\[?([0-9A-Za-z.:-]+?)\]?:([0-9]{1,5})$", str(table["serve"]))
        if not m or not 0 <= int(m.group(2)) < 65536:
            raise CenterConfigError("serve", "address:port")
        serve = (m.group(1), int(m.group(2)))
    counters = table.get("counters", ["1", "2"])
    if (
        not isinstance(counters, list)
        or not counters
        or not all(isinstance(c, str) and re.match(r"^[0-9A-Za-z]{1,8}$", c) for c in counters)
        or len(set(counters)) != len(counters)
    ):
        raise CenterConfigError("counters", "distinct names of letters and digits")
    name = table.get("name", center)
    if not isinstance(name, str) or not 0 < len(name) <= 80:
        raise CenterConfigError("name", "1-80 characters")
    places = table.get("places", {})
    if not isinstance(places, dict) or len(places) > 50 or not all(
        isinstance(k, str) and re.match(r"^[A-Za-z0-9._-]{1,64}$", k)
        and isinstance(v, str) and 0 < len(v.strip()) <= 40 and v.isprintable()
        for k, v in places.items()
    ):  # fmt: skip
        raise CenterConfigError("places", "terminal id = place name (1-40 characters)")
    return CenterConfig(
        center,
        url,
        token,
        mark,
        float(timeout),
        Path(str(fallback)) if fallback else None,
        serve,
        name,
        tuple(counters),
        Path(host_cert) if host_cert else None,
        Path(tls_dir) if tls_dir else None,
        tuple((k, v.strip()) for k, v in places.items()),
    )
