"""The resident's screens of a video consultation (オンライン窓口): before the call (privacy
notice and the start tap), waiting (position, estimate, a hand-over notice), the call (who is
there, camera-on indicator, large chat, show my form, mute, call staff, end) and the end (why,
and a booking or a new call when that helps).

They render `kiosk.call.flow.ConsultFlow.view()` handed in the state (`s.consult`, with the flow
itself as `s.consult_flow`; see `kiosk.call.flow.screen_state`) and turn taps into calls of that
flow. Invariants: the call never starts without the Start tap on the notice; the chat and the
names are `personal` labels (emptied by `clear()`); nothing here keeps call data of its own.
"""

from __future__ import annotations

from typing import Any

from kiosk.ui.screens._base import KScreen

__all__ = [
    "ConsultCallScreen",
    "ConsultConsentScreen",
    "ConsultEndedScreen",
    "ConsultWaitingScreen",
]

MAX_CHAT_SHOWN = 8  # the latest lines, in large type: the rest scrolls away


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
            self.tr("About {minutes} minutes.", minutes=minutes)
            if minutes
            else self.tr("We cannot say how long it will take.")
        )


class ConsultCallScreen(_ConsultScreen):
    GUIDANCE = "You are talking with a specialist at city hall."

    def show(self, view: dict) -> None:
        ids = self.ids
        role = self.role_text(view.get("staff_role", ""))
        ids.caption.text = f"{view.get('staff_name', '')}（{role}）" if role else ""
        others = [
            f"{name}（{self.role_text(r)}）"
            for r, name in view.get("others", [])
            if name != view.get("staff_name")
        ]
        ids.others.text = (
            self.tr("Also in the call: {names}", names="、".join(others)) if others else ""
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

    def show(self, view: dict) -> None:
        by = view.get("reason", "")
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
        }.get(by, by)
        self.ids.offer.text = (
            self.tr("You can book a time to talk instead.") if view.get("offer_booking") else ""
        )
        self.ids.book.disabled = not view.get("offer_booking")
        self.ids.book.opacity = 1 if view.get("offer_booking") else 0
        self.ids.again.disabled = not view.get("offer_reconnect")
        self.ids.again.opacity = 1 if view.get("offer_reconnect") else 0
