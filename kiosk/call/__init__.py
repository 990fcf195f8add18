"""オンライン窓口, terminal side: the call port the session uses (`CallPort`, no Kivy, no aiortc)
and the call worker process (`python -m kiosk.call.worker`, aiortc) that owns the media.
See docs/consultation.md."""

from kiosk.call._frames import FrameReader, FrameWriter
from kiosk.call.errors import CallError, CallVideoError, CallWorkerError
from kiosk.call.flow import ConsultFlow, ConsultScreenState, FlowError, screen_state
from kiosk.call.port import CallPort

__all__ = [
    "CallError",
    "CallPort",
    "CallVideoError",
    "CallWorkerError",
    "ConsultFlow",
    "ConsultScreenState",
    "FlowError",
    "FrameReader",
    "FrameWriter",
    "screen_state",
]
