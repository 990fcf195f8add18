"""The Janus configuration a consultation needs, and only that (the tests' rig and the
`madoguchi-janus` service write the same one: `write_config`).

What it loads: the VideoRoom plugin and the Unix-socket API transport (`pfunix`,
SOCK_SEQPACKET); every other plugin, transport, logger and event handler is disabled by name, so
Janus opens no HTTP or WebSocket port and no admin API. No room comes from configuration: each
consultation's room is created through the API by the central side. ICE: no STUN or TURN server
(TURN, when a city needs it, is given to the browsers and terminals, not to Janus); gathering on
`interface` only when one is named (the city LAN's interface on the central host, a veth in the
tests); mDNS candidates ignored; RTP on a fixed port range, so a firewall can name it.

Nothing from /etc/janus is read: `janus -F DIR -C DIR/janus.jcfg` with DIR the folder written here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sync.central.consult.errors import JanusError

__all__ = ["JANUS", "janus_argv", "janus_lib_dir", "write_config"]

JANUS = "/usr/bin/janus"
_PORTS = re.compile(r"(\d{4,5})-(\d{4,5})\Z")
_IFACE = re.compile(r"[A-Za-z0-9_.:-]{1,15}\Z")  # a Linux interface name (IFNAMSIZ - 1)


def janus_lib_dir() -> str:
    """Debian installs the plugins under the machine's multiarch directory."""
    for base in sorted(Path("/usr/lib").glob("*/janus")):
        if (base / "plugins" / "libjanus_videoroom.so").exists():
            return str(base)
    raise JanusError("janus is not installed (Debian package 'janus')")


def _disable(folder: str, keep: str) -> str:
    return ",".join(sorted(p.name for p in Path(folder).glob("*.so") if p.name != keep))


def _check(rtp_ports: str, interface: str | None) -> None:
    m = _PORTS.match(rtp_ports)
    if not m or not 1024 <= int(m.group(1)) < int(m.group(2)) <= 65535:
        raise JanusError(f"RTP port range must be LOW-HIGH within 1024-65535, got {rtp_ports!r}")
    if interface is not None and not _IFACE.match(interface):
        raise JanusError(f"not a network interface name: {interface!r}")


def write_config(
    folder: Path,
    *,
    socket: Path,
    rtp_ports: str = "40000-40999",
    interface: str | None = None,
    debug_level: int = 4,
) -> Path:
    """Write janus.jcfg and its two plugin/transport files into `folder`; return janus.jcfg."""
    _check(rtp_ports, interface)
    lib = janus_lib_dir()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nat = ["nice_debug = false", "ignore_mdns = true"]
    if interface:
        nat.append(f'ice_enforce_list = "{interface}"')
    main = folder / "janus.jcfg"
    main.write_text(
        "general: {\n"
        f'  configs_folder = "{folder}"\n'
        f'  plugins_folder = "{lib}/plugins"\n'
        f'  transports_folder = "{lib}/transports"\n'
        f'  events_folder = "{lib}/events"\n'
        f'  loggers_folder = "{lib}/loggers"\n'
        f"  debug_level = {int(debug_level)}\n"
        "  session_timeout = 60\n"
        "}\n"
        f'media: {{\n  rtp_port_range = "{rtp_ports}"\n  ipv6 = false\n}}\n'
        "nat: {\n  " + "\n  ".join(nat) + "\n}\n"
        f'plugins: {{\n  disable = "{_disable(lib + "/plugins", "libjanus_videoroom.so")}"\n}}\n'
        "transports: {\n"
        f'  disable = "{_disable(lib + "/transports", "libjanus_pfunix.so")}"\n}}\n'
        "loggers: {\n"
        f'  disable = "{_disable(lib + "/loggers", "")}"\n}}\n'
        "events: {\n  broadcast = false\n}\n"
    )
    (folder / "janus.transport.pfunix.jcfg").write_text(
        'general: {\n  enabled = true\n  json = "compact"\n'
        f'  path = "{socket}"\n  type = "SOCK_SEQPACKET"\n}}\n'
        "admin: {\n  admin_enabled = false\n}\n"
    )
    # No rooms from configuration: each consultation's room is created through the API.
    (folder / "janus.plugin.videoroom.jcfg").write_text(
        "general: {\n  lock_rtp_forward = true\n}\n"
    )
    return main


def janus_argv(folder: Path) -> list[str]:
    """How to start Janus on the folder `write_config` wrote (no colours: logs go to journald)."""
    if not os.access(JANUS, os.X_OK):
        raise JanusError("janus is not installed (Debian package 'janus')")
    return [JANUS, "-F", str(folder), "-C", str(Path(folder) / "janus.jcfg"), "-o"]
