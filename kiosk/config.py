"""The kiosk's own config file (`madoguchi kiosk --config kiosk.toml`), read by entry points only.

It points to the device bundle (identity, central keys, printer queues: written by
`madoguchi provision enroll`) and says where this terminal keeps its outbox and local state, which
reader and CUPS server it uses, the staff PIN hash (its form is checked by `SessionConfig` before
any device opens; a hash in the signed config bundle's `staff_pins` for this center takes
precedence), the panel (`[display]`) and the session's
timeouts (`[session]`: the `SessionConfig` fields in `SESSION_KEYS`), the center's queue
(`[center]`), how fees are paid (`[payment]`, default: at the counter) and the video
consultation (`[consult]`: `hours`, when city hall takes calls, default "mon-fri 08:30-17:15";
`media`, "devices" or "synthetic"; checked here). Every key is optional;
unknown keys are refused so a typo is not silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.errors import KioskConfigError

__all__ = [
    "SESSION_KEYS",
    "ConsultSettings",
    "consult_of",
    "consult_settings",
    "KioskConfig",
    "KioskConfigError",
    "bundles_dir",
    "load_kiosk_config",
    "staff_lockout_path",
]

# What `[session]` may set (kiosk.session.SessionConfig validates the values). The device id
# comes from the device bundle and the staff PIN hash has its own key.
SESSION_KEYS = frozenset(
    {
        "default_language",
        "idle_timeout_s",
        "still_there_timeout_s",
        "staff_idle_timeout_s",
        "assist_idle_timeout_s",
        "form_idle_timeout_s",
        "staff_call_repeat_s",
        "online_timeout_s",
        "status_interval_s",
        "health_interval_s",
        "minutes_per_person",
        "callback_within_days",
        # reference numbers C01B-0017-3 (sync.readable_reference): center code, terminal mark
        "reference_center",
        "reference_mark",
        "staff_pin_max_failures",
        "staff_lockout_s",
    }
)


@dataclass(frozen=True)
class KioskConfig:
    bundle: Path = Path("/etc/madoguchi/device")
    outbox: Path = Path("/var/lib/madoguchi/outbox.sqlite3")
    state: Path = Path("/var/lib/madoguchi/local.sqlite3")
    # Downlink bundles the sync agent applied (its --bundles-dir): the kiosk reads the announced
    # sealing key there. None: `bundles` beside the outbox, the agent's default.
    bundles: Path | None = None
    agent_status: Path = Path("/run/madoguchi/sync-agent.json")
    request_socket: str = "ipc:///run/madoguchi/sync-agent.sock"
    reader: str = ""
    cups_server: str = ""
    staff_pin_hash: str | None = None
    display: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)
    # The center's shared queue (`kiosk.center.config.center_config` checks it); empty: the
    # terminal keeps its own ticket counter.
    center: dict[str, Any] = field(default_factory=dict)
    # How certificate fees are paid (`kiosk.services.payment_config` checks it); empty: pay at
    # the counter (a payment slip prints, the certificate is handed over once paid).
    payment: dict[str, Any] = field(default_factory=dict)
    # The video consultation (オンライン窓口): when city hall takes calls and the call worker's
    # camera and microphone (`consult_settings` checks both at load).
    consult: dict[str, Any] = field(default_factory=dict)


def load_kiosk_config(path: Path | None) -> KioskConfig:
    if path is None:
        return KioskConfig()
    import tomllib

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise KioskConfigError(f"cannot read {path}: not UTF-8 text (byte {e.start})") from e
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise KioskConfigError(f"cannot read {path}: {e}") from e
    known = {f for f in KioskConfig.__dataclass_fields__}
    unknown = sorted(set(data) - known)
    if unknown:
        raise KioskConfigError(f"{path}: unknown key(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("bundle", "outbox", "state", "agent_status", "bundles"):
            values[key] = Path(str(value))
        elif key == "display":
            if not isinstance(value, dict):
                raise KioskConfigError(f"{path}: [display] must be a table")
            values[key] = dict(value)
        elif key == "session":
            if not isinstance(value, dict):
                raise KioskConfigError(f"{path}: [session] must be a table")
            bad = sorted(set(value) - SESSION_KEYS)
            if bad:
                raise KioskConfigError(f"{path}: unknown [session] key(s) {', '.join(bad)}")
            values[key] = dict(value)
        elif key == "consult":
            values[key] = consult_settings(value, path)
        elif key in ("center", "payment"):
            if not isinstance(value, dict):
                raise KioskConfigError(f"{path}: [{key}] must be a table")
            values[key] = dict(value)
        else:
            values[key] = str(value)
    return KioskConfig(**values)


CONSULT_KEYS = frozenset({"hours", "media"})
CONSULT_MEDIA = ("devices", "synthetic")


@dataclass(frozen=True)
class ConsultSettings:
    """`[consult]`: opening hours as `kiosk.session.ConsultHours` and the worker's media."""

    hours: Any  # kiosk.session.ConsultHours
    media: str = "devices"


def consult_settings(value: Any, path: Path | None = None) -> dict[str, Any]:
    """Check a `[consult]` table (KioskConfigError naming the key); returns it unchanged."""
    from kiosk.session import ConsultHours, SessionConfigError

    where = f"{path}: [consult]" if path is not None else "[consult]"
    if not isinstance(value, dict):
        raise KioskConfigError(f"{where} must be a table")
    bad = sorted(set(value) - CONSULT_KEYS)
    if bad:
        raise KioskConfigError(f"{where}: unknown key(s) {', '.join(bad)}")
    if value.get("media", "devices") not in CONSULT_MEDIA:
        raise KioskConfigError(f"{where} media: one of {', '.join(CONSULT_MEDIA)}")
    try:
        ConsultHours.parse(value.get("hours", list(ConsultHours.DEFAULT)))
    except SessionConfigError as e:
        raise KioskConfigError(f"{where} hours: {e.reason}") from e
    return dict(value)


def consult_of(config: KioskConfig) -> ConsultSettings:
    """The checked `[consult]` settings, defaults filled in."""
    from kiosk.session import ConsultHours

    table = config.consult
    return ConsultSettings(
        ConsultHours.parse(table.get("hours", list(ConsultHours.DEFAULT))),
        str(table.get("media", "devices")),
    )


def staff_lockout_path(config: KioskConfig) -> Path:
    """Where the staff-PIN failure count and lockout survive restarts: beside the local state
    (absolute, as `SessionConfig.staff_lockout_file` requires)."""
    return (config.state.parent / "staff-lockout.json").absolute()


def bundles_dir(config: KioskConfig) -> Path:
    """Where the agent puts applied downlink bundles for this kiosk."""
    return config.bundles if config.bundles is not None else config.outbox.parent / "bundles"
