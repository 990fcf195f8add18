"""The Kivy application: wires a `KioskSession` to the screens, it decides nothing.

It lives in the UI package (`kiosk.ui.app`) so that the preview and the bench app of this package
build it without importing upward; `kiosk.app` re-exports it as the kiosk's entry API.

Invariants:
- Every resident action is one call of a typed flow method of the session (`session.flows`,
  made by the screen that was tapped, `KScreen.act`), then one render; every change the session
  reports by itself is rendered on Kivy's clock (`kivy_scheduler`), never on a device thread.
- The app builds the frame with what the screens need (the session, the screen classes, itself
  as their host for texts and rendering): no screen looks for the running app.
- The app cannot be left from the touch screen or a keyboard: ESC, Alt+F4, the back key and the
  window's close request are swallowed. Only staff mode (`KioskApp.staff_exit`) or the service
  manager (SIGTERM) stops it.
- Presentation preferences (language shown, text size, contrast, voice) are read from the session
  state where it keeps them, so the wipe resets them too; the app holds no personal data.
- Importing this module has no side effects; Kivy is imported here, never in `kiosk.session`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from kiosk.session import KioskSession
from kiosk.theme import LARGE_TEXT_SCALE, NORMAL, DisplayConfig, theme_for
from kiosk.voice import Voice
from madoguchi.core.i18n import DEFAULT_LANGUAGE, Translator, load_translator

__all__ = [
    "KioskApp",
    "LOCALE_DIR",
    "build_app",
    "finish_frame",
    "kivy_scheduler",
    "swallow_exit_keys",
]

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"  # kiosk/locale
_ESC, _BACK, _F4 = 27, 1001, 285


def kivy_scheduler() -> Callable[[Callable[[], None]], None]:
    """What the session uses to hand device events (other threads) to the UI thread."""
    return lambda fn: Clock.schedule_once(lambda _dt: fn())


def finish_frame(*_args: Any) -> None:
    """Wait until the frame just drawn is complete before it is shown (bound to `on_flip`).

    Kivy redraws only when something changed, so this costs one wait per change. What it buys:
    under a software renderer (Mesa llvmpipe: CI, and a panel without GPU acceleration) the
    rasterizer threads otherwise fall behind a burst of redraws and queue frames, each with
    its own per-tile bins, memory the driver keeps (measured: about 45 MB more after one
    resident's journey); and a screen change counts as done only when it is on the panel."""
    from kivy.graphics.opengl import glFinish

    glFinish()


def swallow_exit_keys(window, key: int, scancode: int, codepoint: str, modifiers: list) -> bool:
    """Consume ESC, the back key and Alt+F4 so the window's default handler never closes the app."""
    return key in (_ESC, _BACK) or (key == _F4 and "alt" in (modifiers or ()))


class KioskApp(App):
    title = "Madoguchi"
    lang = StringProperty(DEFAULT_LANGUAGE)
    text_scale = NumericProperty(1.0)
    high_contrast = BooleanProperty(False)
    voice_on = BooleanProperty(False)
    shelter_mode = BooleanProperty(False)
    out_of_service = BooleanProperty(False)
    assisted = BooleanProperty(False)  # staff assist this resident (root.kv's banner)
    theme = ObjectProperty(NORMAL)
    target = NumericProperty(60.0)

    def __init__(
        self,
        session: KioskSession,
        services: Any = None,
        *,
        display: DisplayConfig | None = None,
        voice: Voice | None = None,
        tick_interval_s: float | None = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.services = services
        self.display = display or DisplayConfig()
        self.voice = voice or Voice()
        self.target = self.display.target_px
        self.tick_interval_s = tick_interval_s
        self._translators: dict[str, Translator] = {}
        self._exit_allowed = False
        self._tick_event = None
        self._render_pending = False
        self._trim_event = None
        self.trim_after_s = 5.0
        self.root_widget = None

    # -- text, sizes --------------------------------------------------------------------------
    def translator(self, lang: str | None = None) -> Translator:
        lang = lang or self.lang
        tr = self._translators.get(lang)
        if tr is None:
            tr = self._translators[lang] = load_translator(LOCALE_DIR, lang)
        return tr

    def tr(self, msgid: str, *_bindings: Any, **values: Any) -> str:
        """The UI string in the current language (extra positional args only feed kv bindings)."""
        tr = self.translator()
        return tr.format(msgid, **values) if values else tr.gettext(msgid)

    def fg(self, style: str, *_bindings: Any) -> tuple[float, float, float, float]:
        """Text colour of a style in the current theme (kv passes `app.theme` to bind on it)."""
        return self.theme.fg(style)

    def fill(self, style: str, *_bindings: Any) -> tuple[float, float, float, float]:
        return self.theme.fill(style)

    def edge(self, style: str, *_bindings: Any) -> tuple[float, float, float, float]:
        """A button's edge colour in the current theme (kiosk.theme.Theme.edge)."""
        return self.theme.edge(style)

    def font_px(self, role: str, *_bindings: Any) -> float:
        # in the language's script too (kiosk.theme.SCRIPT_SCALE); kv passes app.lang to bind
        return self.display.font_px(role, self.text_scale, self.lang)

    def mm(self, millimetres: float) -> float:
        return self.display.mm(millimetres)

    # -- wiring ---------------------------------------------------------------------------------
    def build(self):
        from kiosk.fonts import register_fonts
        from kiosk.ui._root import KioskRoot, load_base_kv
        from kiosk.ui.screens import SCREENS

        register_fonts()
        load_base_kv()
        self.root_widget = KioskRoot(kiosk_app=self, session=self.session, screens=SCREENS)
        self.install_guards()
        self.session.add_observer(self._on_session_change)
        if self.tick_interval_s:
            self._tick_event = Clock.schedule_interval(self._tick, self.tick_interval_s)
        self.render()
        return self.root_widget

    def install_guards(self) -> None:
        from kivy.config import Config

        Config.set("kivy", "exit_on_escape", "0")
        Window.unbind(on_keyboard=swallow_exit_keys)
        Window.bind(on_keyboard=swallow_exit_keys)
        Window.unbind(on_request_close=self._on_request_close)
        Window.bind(on_request_close=self._on_request_close)
        Window.unbind(on_touch_down=self._on_any_touch)
        Window.bind(on_touch_down=self._on_any_touch)
        Window.unbind(on_flip=finish_frame)
        Window.bind(on_flip=finish_frame)

    def _on_any_touch(self, *_args: Any) -> bool:
        self.session.touch()  # resets the idle timer; never consumes the touch
        return False

    def remove_guards(self) -> None:
        Window.unbind(on_keyboard=swallow_exit_keys)
        Window.unbind(on_request_close=self._on_request_close)
        Window.unbind(on_touch_down=self._on_any_touch)
        Window.unbind(on_flip=finish_frame)
        if self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None
        self.session.remove_observer(self._on_session_change)

    def _on_request_close(self, *_args: Any, **_kwargs: Any) -> bool:
        return not self._exit_allowed  # True = the close request is refused

    def staff_exit(self) -> None:
        """Only staff mode may stop the app (the session checks the staff PIN first)."""
        self._exit_allowed = True
        self.remove_guards()
        self.stop()

    def on_stop(self) -> None:
        self.voice.stop()

    def _idle_at_home(self, _dt: float) -> None:
        """Nobody has touched the kiosk for a while: drop the screens built for the last
        resident (rebuilt on demand) and give their memory back to the OS."""
        self._trim_event = None
        if self.root_widget is not None and self.root_widget.step == "home":
            self.root_widget.drop_cached_screens()
            import gc

            gc.collect()
            # Kivy frees GL textures on the next frames; trim the heap after that.
            Clock.schedule_once(lambda _dt: release_memory(), 0.5)

    def _tick(self, _dt: float) -> None:
        self.session.tick()

    def _on_session_change(self, *_args: Any) -> None:
        # May run on any thread: coalesce and render on Kivy's clock.
        if self._render_pending:
            return
        self._render_pending = True
        Clock.schedule_once(lambda _dt: self.render())

    # -- rendering --------------------------------------------------------------------------
    def render(self) -> None:
        self._render_pending = False
        if self.root_widget is None:
            return
        state = self.session  # the session is its own view: step, notice, language, ...
        self.lang = state.language or DEFAULT_LANGUAGE
        scale = float(state.text_scale or 1.0)
        self.text_scale = max(scale, LARGE_TEXT_SCALE) if scale > 1.0 else 1.0
        contrast = bool(state.high_contrast)
        self.voice_on = bool(state.voice)
        self.voice.enabled = self.voice_on
        self.shelter_mode = bool(state.shelter_mode)
        self.out_of_service = bool(state.out_of_service)
        self.assisted = bool(state.assisted)
        if contrast != self.high_contrast or self.theme is not theme_for(contrast):
            self.high_contrast = contrast
            self.theme = theme_for(contrast)
        Window.clearcolor = self.theme.fill("body")  # the page background (see root.kv)
        was = self.root_widget.step
        self.root_widget.render(state)
        step = self.root_widget.step
        if step != was:
            if self._trim_event is not None:
                self._trim_event.cancel()
                self._trim_event = None
            if step == "home" and was:
                # The kiosk sits idle at home: a good moment to give memory back.
                self._trim_event = Clock.schedule_once(self._idle_at_home, self.trim_after_s)


def release_memory() -> None:
    """Hand memory freed by the last resident's screens back to the OS (glibc keeps freed heap
    otherwise; under llvmpipe every texture lives in process memory). Linux/glibc only."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def build_app(
    session: KioskSession,
    services: Any = None,
    *,
    display: DisplayConfig | None = None,
    voice: Voice | None = None,
    tick_interval_s: float | None = 1.0,
) -> KioskApp:
    """The kiosk app for a session (call `.run()` on the device, or `.build()` in tests)."""
    return KioskApp(
        session, services, display=display, voice=voice, tick_interval_s=tick_interval_s
    )
