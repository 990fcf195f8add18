"""The resident's screens of a video consultation (オンライン窓口): before the call (privacy
notice and the start tap), waiting (position, estimate, a hand-over notice), the call (who is
there, camera-on indicator, large chat, show my form, mute, call staff, end) and the end (why,
and a booking or a new call when that helps).

They render `kiosk.call.flow.ConsultFlow.view()` handed in the state (`s.consult`, with the flow
itself as `s.consult_flow`; see `kiosk.call.flow.screen_state`) and turn taps into calls of that
flow. Invariants: the call never starts without the Start tap on the notice; the chat and the
names are `personal` labels (emptied by `clear()`); nothing here keeps call data of its own.

The call screen draws the pictures the call worker writes into its frame buffer
(`ConsultFlow.video`, a `kiosk.call._frames.FrameReader`) with `kiosk.ui._video.VideoPicture`
widgets: the specialist large, the resident small, the other staff of a room as small tiles
with their role. `clear()` (leaving the screen, the wipe) detaches them: the clock stops and the
textures are blanked. A typed message (文字で書く) is at most `MAX_TYPED` characters, typed on
the on-screen keyboard built when first needed, and goes out through `ConsultFlow.send_chat`.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.ui._tree import discard_children, forget
from kiosk.ui._video import VideoPicture
from kiosk.ui.screens._base import KScreen
from kiosk.ui.widgets import KanaKeyboard, KButton, Keyboard, KLabel, LatinKeyboard

__all__ = [
    "ConsultCallScreen",
    "ConsultConsentScreen",
    "ConsultEndedScreen",
    "ConsultWaitingScreen",
]

MAX_CHAT_SHOWN = 8  # the latest lines, in large type: the rest scrolls away
MAX_TYPED = 200  # a typed chat line: a sentence, a phone number, an address
_KANA_FIRST = ("ja", "ja-easy")  # the keyboard a typed message starts on


class _ConsultScreen(KScreen):
    flow: Any = None

    def render(self, s: Any) -> None:
        self.flow = getattr(s, "consult_flow", None)
        self.show(dict(getattr(s, "consult", {}) or {}))

    def show(self, view: dict) -> None:
        pass

    def tap_flow(self, name: str, *args: Any) -> None:
        """A tap: one call of the consult flow, then a render."""
        if self.flow is not None:
            self.act(getattr(self.flow, name), *args)

    def role_text(self, role: str) -> str:
        return {
            "specialist": self.tr("Specialist"),
            "front_desk": self.tr("General information"),
            "interpreter": self.tr("Interpreter"),
            "supervisor": self.tr("Supervisor"),
        }.get(role, "")


class ConsultConsentScreen(_ConsultScreen):
    GUIDANCE = "The camera and microphone turn on when you tap Start. The call is not recorded."


class ConsultWaitingScreen(_ConsultScreen):
    GUIDANCE = "Please wait. A specialist will answer."

    def show(self, view: dict) -> None:
        ids = self.ids
        if view.get("step") == "handed_over":
            ids.handover.text = self.tr("We are connecting you to another section.")
        else:
            ids.handover.text = ""
        position = view.get("position")
        ids.position.text = (
            self.tr("You are number {position} in line.", position=position) if position else ""
        )
        minutes = view.get("estimate_min")
        ids.estimate.text = (
            self.tr("The wait is about {minutes} minutes. Please wait here.", minutes=minutes)
            if minutes
            else self.tr("We will connect you as soon as someone is free. Please wait here.")
        )


class ConsultCallScreen(_ConsultScreen):
    GUIDANCE = "You are talking with a specialist at city hall."
    typing = BooleanProperty(False)  # presentation only: the keyboard is open
    keyboard = StringProperty("")  # 'kana' / 'latin' while typing
    typed_text = StringProperty("", force_dispatch=True)  # the open keyboard's buffer
    # presentation only: 相談を終える asked 「相談を終わりますか？」 (the call goes on meanwhile)
    confirm_end = BooleanProperty(False)
    KEYBOARDS: dict[str, type[Keyboard]] = {"kana": KanaKeyboard, "latin": LatinKeyboard}

    def __init__(self, **kwargs: Any) -> None:
        self._keyboards: dict[str, Keyboard] = {}
        self._tiles: list[VideoPicture] = []
        self._tile_key: list = []
        super().__init__(**kwargs)

    def show(self, view: dict) -> None:
        ids = self.ids
        role = self.role_text(view.get("staff_role", ""))
        ids.caption.text = f"{view.get('staff_name', '')}（{role}）" if role else ""
        others = [(r, name) for r, name in view.get("others", []) if name != view.get("staff_name")]
        ids.others.text = (
            self.tr(
                "Also in the call: {names}",
                names="、".join(f"{name}（{self.role_text(r)}）" for r, name in others),
            )
            if others
            else ""
        )
        ids.mute.text = self.tr("Unmute") if view.get("muted") else self.tr("Mute")
        ids.share.text = (
            self.tr("Stop showing my form") if view.get("sharing") else self.tr("Show my form")
        )
        ids.sharing.text = (
            self.tr("The specialist sees the form you showed.") if view.get("sharing") else ""
        )
        staff, you = self.tr("Staff member"), self.tr("You")
        ids.chat.text = "\n".join(
            f"{staff if who == 'staff' else you}: {text}"
            for who, text in view.get("chat", [])[-MAX_CHAT_SHOWN:]
        )
        ids.chat_scroll.scroll_y = 0  # the newest line in sight
        self._show_pictures(others)

    def quick_reply(self, msgid: str) -> None:
        """はい / いいえ / もう一度: the resident's chat shows it in their language, the staff get
        the Japanese (with the resident's own words after it when they read another language)."""
        shown = self.tr(msgid)
        translator = getattr(self.host, "translator", None)
        staff = translator("ja").gettext(msgid) if translator is not None else shown
        lang = getattr(self.flow, "language", "ja") if self.flow is not None else "ja"
        if lang not in _KANA_FIRST and shown != staff:
            staff = f"{staff}（{shown}）"
        self.tap_flow("send_chat", staff, shown)

    # -- the pictures -----------------------------------------------------------------------------
    def _show_pictures(self, others: list[tuple[str, str]]) -> None:
        video = getattr(self.flow, "video", None) if self.flow is not None else None
        if video is None:
            self._detach_pictures()
            return
        self.ids.main_video.attach(video, "main")
        self.ids.self_video.attach(video, "self")
        wanted = [(r, video.stream_of(r, name)) for r, name in others]
        wanted = [(r, stream) for r, stream in wanted if stream]
        if wanted != self._tile_key:
            self._drop_tiles()
            for r, stream in wanted:
                self._add_tile(video, self.role_text(r), stream)
            self._tile_key = wanted

    def _add_tile(self, video: Any, role: str, stream: str) -> None:
        """A small picture of another party of the room, with their role under it."""
        tile = BoxLayout(orientation="vertical", spacing=4)
        picture = VideoPicture(kid=f"consult_tile_{stream}", stream=stream)
        tile.add_widget(picture)
        tile.add_widget(KLabel(text=role, style="muted", role="small", halign="center"))
        self.ids.tiles.add_widget(tile)
        picture.attach(video, stream)
        self._tiles.append(picture)

    def _drop_tiles(self) -> None:
        for picture in self._tiles:
            picture.detach()
        self._tiles, self._tile_key = [], []
        discard_children(self.ids.tiles)

    def _detach_pictures(self) -> None:
        self.ids.main_video.detach()
        self.ids.self_video.detach()
        self._drop_tiles()

    # -- typing a message -------------------------------------------------------------------------
    def start_typing(self) -> None:
        """文字で書く: the keyboard takes the pictures' place until OK or Cancel."""
        lang = getattr(self.flow, "language", "ja") if self.flow is not None else "ja"
        self.typing = True
        for kb in self._keyboards.values():
            kb.clear()
        self.keyboard = "kana" if lang in _KANA_FIRST else "latin"
        self._ensure_keyboard(self.keyboard)
        self._sync_typed()

    def on_typing(self, _inst: Any, _typing: bool) -> None:
        # The chat's scroll area is out of the screen while typing: the ▲▼ beside the screen
        # look for the screen's scroll area again (and give the keyboard their width).
        if self.manager is not None:
            self.manager.property("current_screen").dispatch(self.manager)

    def on_keyboard(self, _inst: Any, name: str) -> None:
        if name:
            self._ensure_keyboard(name)  # the Kana/Latin switch builds the other one now
            other = self._keyboards.get("kana" if name == "latin" else "latin")
            if other is not None and other.value:  # the text goes along to the other keyboard
                self._keyboards[name].value, other.value = other.value, ""
        self._sync_typed()

    def _ensure_keyboard(self, name: str) -> None:
        if name in self._keyboards:
            return
        kb = self.KEYBOARDS[name](kid=f"consult_kb_{name}", max_length=MAX_TYPED)
        kb.bind(on_ok=lambda _kb, value: self.send_typed(value), value=self._sync_typed)
        self._keyboards[name] = kb
        kb.bind(width=lambda kb, _w: Clock.schedule_once(lambda _dt: self._settle(kb), 0))
        self.ids[f"slot_{name}"].add_widget(kb)

    def _settle(self, kb: Keyboard) -> None:
        """Keys first laid out narrow (a keyboard is built before its slot is laid out) wrapped
        their labels, and a row of keys only grows to its tallest: once the keyboard has its
        width, each key takes its own height again (the rows even out from there)."""
        from kivy.metrics import dp

        for w in kb.walk(restrict=True):
            if isinstance(w, KButton):
                w.texture_update()
                w.height = max(self.host.target, w.texture_size[1] + dp(16))

    def _sync_typed(self, *_args: Any) -> None:
        kb = self._keyboards.get(self.keyboard)
        self.typed_text = kb.value if kb is not None else ""

    def send_typed(self, value: str) -> None:
        """OK on the keyboard: the line goes to the staff (nothing is sent when it is empty)."""
        text = value.strip()[:MAX_TYPED]
        self.cancel_typing()
        if text:
            self.tap_flow("send_chat", text)

    def cancel_typing(self) -> None:
        self.typing = False
        for kb in self._keyboards.values():
            kb.clear()
        self.typed_text = ""

    def _drop_keyboards(self) -> None:
        for name, kb in self._keyboards.items():
            kb.clear()
            slot = self.ids[f"slot_{name}"]
            slot.stash = [w for w in slot.stash if w is not kb]
            if kb.parent is not None:
                kb.parent.remove_widget(kb)
            forget(kb)
        self._keyboards.clear()

    def clear(self) -> None:
        """Leaving the call (or the wipe): pictures blanked and let go, keyboards emptied."""
        self._detach_pictures()
        self.cancel_typing()
        self._drop_keyboards()
        self.keyboard = ""
        self.confirm_end = False
        super().clear()

    # -- ending the call -------------------------------------------------------------------------
    def ask_end(self) -> None:
        """相談を終える: one tap only asks (a tap meant for another button must not end the
        consultation); the pictures, the sound and the chat go on while the question shows."""
        self.confirm_end = True

    def keep_talking(self) -> None:
        self.confirm_end = False

    def end_call(self) -> None:
        """終わる under the question: the consultation ends (`hang_up`)."""
        self.confirm_end = False
        self.tap_flow("hang_up")

    def toggle_share(self) -> None:
        """Show the fields of the form the resident had open, or stop (the resident's tap)."""
        if self.flow is None:
            return
        if self.flow.view().get("sharing"):
            self.act(self.flow.stop_showing)
        else:
            self.act(self.flow.show_form, list(getattr(self.flow, "form_fields", ())))


class ConsultEndedScreen(_ConsultScreen):
    GUIDANCE = "The consultation has ended."
    title = StringProperty("")

    def show(self, view: dict) -> None:
        by = view.get("reason", "")
        reconnect = bool(view.get("offer_reconnect"))
        if by == "The connection was lost.":  # a dropped line: not the resident's doing, say so
            self.title = self.tr("The call was cut off.")
            self.ids.reason.text = self.tr("This was not your fault.")
            self.ids.offer.text = (
                self.tr("You can call again, or book a time to talk.") if reconnect else ""
            )
            self._buttons(view)
            return
        self.title = self.tr("The consultation has ended.")
        self.ids.reason.text = {
            "The specialist ended the consultation.": self.tr(
                "The specialist ended the consultation."
            ),
            "You ended the consultation.": self.tr("You ended the consultation."),
            "The connection was lost.": self.tr("The connection was lost."),
            "Video consultation is not available now.": self.tr(
                "Video consultation is not available now."
            ),
            "No specialist is available right now.": self.tr(
                "No specialist is available right now."
            ),
            "It is outside the hours for video consultation.": self.tr(
                "It is outside the hours for video consultation."
            ),
        }.get(by, by)
        self.ids.offer.text = (
            self.tr("You can book a time to talk instead.") if view.get("offer_booking") else ""
        )
        self._buttons(view)

    def _buttons(self, view: dict) -> None:
        """Calling again, when offered, is the primary button (the booking then secondary)."""
        reconnect = bool(view.get("offer_reconnect"))
        self.ids.book.disabled = not view.get("offer_booking")
        self.ids.book.opacity = 1 if view.get("offer_booking") else 0
        self.ids.book.style = "secondary" if reconnect else "primary"
        self.ids.again.disabled = not reconnect
        self.ids.again.opacity = 1 if reconnect else 0
        self.ids.again.style = "primary" if reconnect else "secondary"
