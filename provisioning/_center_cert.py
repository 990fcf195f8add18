"""The center queue host's TLS certificate made at enrollment, so every terminal of the center
pins it from the start (docs/center.md): IT installs `host.pem` and `host-key.pem` as the host
terminal's `[center] tls_dir` and `host.pem` as every terminal's `[center] host_cert`.

Guarantees: the pair is made by `madoguchi.core.hostcert` (the same certificate the host would
make on its first start, which it then reuses instead); the key is 0600 in a 0700 directory and
nothing existing is overwritten; the center id and the host's https URL are checked first, so a
refusal writes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from madoguchi.core.hostcert import CERT_FILE, KEY_FILE, write_host_cert
from provisioning.errors import CenterCertError

__all__ = ["make_center_cert"]

_CENTER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_HOST_URL = re.compile(r"^https://[^/\s]+/?$")


def make_center_cert(
    out_dir: Path, center: str, host_url: str, names: tuple[str, ...] = ()
) -> tuple[Path, Path, str]:
    """(certificate path, key path, SHA-256) of a new pair in `out_dir` (see the module)."""
    if not _CENTER.match(center or ""):
        raise CenterCertError("center id: letters, digits, . _ - (as in [center] center)")
    if not _HOST_URL.match(host_url or "") or not urlsplit(host_url).hostname:
        raise CenterCertError("host URL: https://<the host's address>:<port>", url=host_url)
    for name in names:
        if not re.match(r"^[A-Za-z0-9.:-]{1,253}$", name):
            raise CenterCertError("another name of the host: a DNS name or an address")
    out_dir = Path(out_dir)
    if (out_dir / KEY_FILE).exists() or (out_dir / CERT_FILE).exists():
        raise CenterCertError("the directory already holds a host certificate", path=str(out_dir))
    try:
        return write_host_cert(out_dir, center, host_url, tuple(names))
    except FileExistsError as e:  # made meanwhile by someone else: theirs stays
        raise CenterCertError("the directory already holds a host key", path=str(out_dir)) from e
