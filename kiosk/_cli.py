"""`madoguchi kiosk`: run the resident's touch screen, or save a screenshot of every screen.

The entry point is the only place that reads TOML: `--config kiosk.toml` (all keys optional):

    bundle = "/etc/madoguchi/device"           # device bundle (device.toml: id, center, queues, keys)
    outbox = "/var/lib/madoguchi/outbox.sqlite3"
    state = "/var/lib/madoguchi/local.sqlite3"  # queue-ticket counters
    agent_status = "/run/madoguchi/sync-agent.json"
    request_socket = "ipc:///run/madoguchi/sync-agent.sock"   # "" = no online requests
    reader = ""                                 # PC/SC reader name; "" = the first with a card
    cups_server = ""                            # "" = libcups' default
    staff_pin_hash = "pbkdf2-sha256$..."        # `madoguchi kiosk-hash-staff-pin` (6-12 digits);
                                                # the config bundle's staff_pins[center] wins
    [display]
    width_px = 1280
    height_px = 800
    dpi = 98.0

`--screenshots DIR` needs no device: it walks every screen in every language over in-process
preview ports (a fictional resident) and writes `DIR/<lang>_<nn>_<step>.png`.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.config import (
    KioskConfig,
    KioskConfigError,
    consult_of,
    load_kiosk_config,
    staff_lockout_path,
)

__all__ = ["commands"]


def _display(config: KioskConfig, fullscreen: bool | None):
    from kiosk.theme import DisplayConfig

    kwargs = dict(config.display)
    if fullscreen is not None:
        kwargs["fullscreen"] = fullscreen
    try:
        return DisplayConfig(**kwargs)
    except (TypeError, ValueError) as e:
        raise KioskConfigError(f"[display]: {e}") from e


def _session_config(
    config: KioskConfig, device_id: str, staff_pin_hash: str | None, lockout_file: str | None = None
):
    from kiosk.session import SessionConfig
    from kiosk.session.errors import SessionConfigError

    try:
        return SessionConfig(
            device_id=device_id,
            staff_pin_hash=staff_pin_hash,
            staff_lockout_file=lockout_file,
            **config.session,
        )
    except (TypeError, ValueError, SessionConfigError) as e:
        raise KioskConfigError(f"[session]: {e}") from e


def _prepare_kivy(display, offscreen: bool) -> None:
    """Kivy reads its environment and window config once, before the window exists."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    if offscreen and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    from kivy.config import Config

    Config.set("graphics", "width", str(display.width_px))
    Config.set("graphics", "height", str(display.height_px))
    Config.set("graphics", "fullscreen", "auto" if display.fullscreen and not offscreen else "0")
    Config.set("graphics", "borderless", "1" if display.fullscreen and not offscreen else "0")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")


def save_screenshots(out_dir: Path, languages: tuple[str, ...], display) -> list[Path]:
    from kivy.base import EventLoop

    from kiosk.fonts import register_fonts
    from kiosk.ui.walk import PreviewUi, shot_name

    register_fonts()
    EventLoop.ensure_window()
    window = EventLoop.window
    out_dir.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    # Every language as residents first see it, then Japanese with large text + high contrast.
    passes = [(lang, lang, False) for lang in languages]
    if "ja" in languages:
        passes.append(("ja", "ja-large-contrast", True))
    with PreviewUi(window, display=display) as ui:
        for lang, label, accessible in passes:
            ui.session.choose_language(lang)
            ui.session.set_text_scale(accessible)
            ui.session.set_high_contrast(accessible)
            for i, step in enumerate(ui.walk()):
                for _ in range(5):  # texture -> size -> layout settle over a few frames
                    EventLoop.idle()
                target = shot_name(out_dir, i, step, label)
                real = Path(window.screenshot(str(target)))
                if real != target:  # Kivy appends a counter to the name
                    real.replace(target)
                saved.append(target)
    return saved


def _announce_home_drawn(app) -> None:
    """Once the home screen's first frame is on the display: log it and tell systemd READY=1.

    The unit is Type=notify, so "active" means a resident can see the home screen; the image's
    boot check and the update health check (provision update-health) rely on that, not on the
    process merely running (a kiosk without a window used to count as started).
    """
    from kivy.core.window import Window
    from kivy.logger import Logger

    from sync import sdnotify

    def drawn(*_args: object) -> None:
        if app.root_widget is None or app.root_widget.step != "home":
            return
        Window.unbind(on_flip=drawn)
        Logger.info("Kiosk: home screen drawn")
        sdnotify.ready()

    Window.bind(on_flip=drawn)


def _run(config: KioskConfig, display, run_seconds: float | None = None) -> None:
    import signal

    from kivy.clock import Clock

    from kiosk.app import build_app, kivy_scheduler
    from kiosk.call.source import consult_source
    from kiosk.catalog import default_catalog
    from kiosk.services import open_services
    from kiosk.session import KioskSession
    from kiosk.session.workers import ThreadWorker

    # A bad [session] or staff_pin_hash fails before devices open.
    _session_config(config, "check", config.staff_pin_hash)
    services, device = open_services(config)
    session = KioskSession(
        default_catalog(),
        services.ports(),
        _session_config(
            config, device.device_id, config.staff_pin_hash, str(staff_lockout_path(config))
        ),
        worker=ThreadWorker(kivy_scheduler()),
    )
    # オンライン窓口: one call worker per consultation, through this terminal's agent socket.
    consult = consult_of(config)
    session.consult_source = consult_source(
        config.request_socket, kivy_scheduler(), media=consult.media
    )
    session.consult_hours = consult.hours
    if services.config_bundle is not None:  # per-center staff PIN from the signed config
        bundle, center = services.config_bundle, device.center
        session.staff_pin_source = lambda: bundle.staff_pin_hash(center)
        session.consult_hours_source = bundle.consult_hours  # city hall's, over kiosk.toml's
    # The center's queue host, when this terminal is it: staff log in with the same PIN.
    services.start_center_host(session._staff_pin_hash)
    app = build_app(session, services, display=display)

    def stop(*_args: object) -> None:  # the service manager (SIGTERM) may stop the kiosk
        Clock.schedule_once(lambda _dt: app.staff_exit())

    signal.signal(signal.SIGTERM, stop)
    if run_seconds is not None:  # smoke runs: stop by itself
        Clock.schedule_once(lambda _dt: app.staff_exit(), run_seconds)
    services.watch_cards(session, kivy_scheduler())
    _announce_home_drawn(app)
    try:
        app.run()
    finally:
        session.wipe()
        services.close()
        services.outbox.close()


@click.command("kiosk")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Kiosk TOML (bundle, outbox, reader, display, staff PIN hash); defaults otherwise.",
)
@click.option(
    "--screenshots",
    "screenshots",
    type=click.Path(file_okay=False, path_type=Path),
    help="Save a PNG of every screen in every language to this directory, then exit.",
)
@click.option(
    "--language",
    "languages",
    multiple=True,
    help="With --screenshots: only these languages (repeatable); default all seven.",
)
@click.option(
    "--fullscreen/--windowed",
    default=None,
    help="Fullscreen on the device (default), windowed for development.",
)
@click.option(
    "--run-seconds",
    type=float,
    default=None,
    hidden=True,
    help="Stop after this many seconds (smoke tests).",
)
def kiosk(
    config_path: Path | None,
    screenshots: Path | None,
    languages: tuple[str, ...],
    fullscreen: bool | None,
    run_seconds: float | None,
) -> None:
    """Run the resident's touch screen (or save screenshots of every screen)."""
    from madoguchi.core.i18n import LANGUAGES

    config = load_kiosk_config(config_path)
    display = _display(config, fullscreen)
    if screenshots is not None:
        bad = [lang for lang in languages if lang not in LANGUAGES]
        if bad:
            raise KioskConfigError(f"unknown language(s): {', '.join(bad)}")
        _prepare_kivy(display, offscreen=True)
        saved = save_screenshots(screenshots, languages or LANGUAGES, display)
        click.echo(f"saved {len(saved)} screenshots to {screenshots}")
        return
    _prepare_kivy(display, offscreen=not display.fullscreen)
    _run(config, display, run_seconds)


@click.command("kiosk-hash-staff-pin")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="6-12 digits.")
def hash_staff_pin_command(pin: str) -> None:
    """Print the hash of a staff PIN (6-12 digits) for the kiosk config or the config bundle's
    `staff_pins` (the PIN itself is never stored). A shorter PIN is refused."""
    from kiosk.session import hash_staff_pin
    from kiosk.session.errors import SessionConfigError

    try:
        click.echo(hash_staff_pin(pin))
    except SessionConfigError as e:
        raise KioskConfigError(f"staff PIN refused: {e}") from None


commands = [kiosk, hash_staff_pin_command]
