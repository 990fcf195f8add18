"""A picture of the video call: `VideoPicture` draws the latest frame of one stream of the call
worker's frame buffer (`kiosk.call._frames.FrameReader`) into a texture.

Invariants:
- No work when no new frame: each clock tick (15 a second while a source is attached) compares
  one sequence number; a new frame is one copy of its bytes into the texture (`blit_buffer`);
  the worker scaled it already, and nothing here imports numpy or aiortc.
- Nothing is kept after the call: `detach()` stops the clock, blanks the texture's pixels and
  lets the texture go; a stream emptied by the worker (a party left) blanks it too.
- The picture keeps its shape (letterboxed on the dark background), never stretched.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.widget import Widget

__all__ = ["VideoPicture"]

FPS = 15.0  # the worker writes the large picture at most this often


class VideoPicture(Widget):
    kid = StringProperty("")
    stream = StringProperty("main")  # the frame buffer's stream this picture shows
    frames_drawn = NumericProperty(0)  # distinct frames drawn since attached (tests, benchmark)
    showing = BooleanProperty(False)  # a frame is on screen

    def __init__(self, **kwargs: Any) -> None:
        self._reader = None
        self._seq = 0
        self._tick = None
        self._texture: Texture | None = None
        super().__init__(**kwargs)
        with self.canvas:
            Color(0.1, 0.1, 0.12, 1)  # the box is visible before the first frame
            self._bg = Rectangle(pos=self.pos, size=self.size)
            Color(1, 1, 1, 1)
            self._rect = Rectangle(pos=self.pos, size=(0, 0))
        self.bind(pos=self._place, size=self._place)

    @property
    def texture(self) -> Texture | None:
        """The texture on screen (None before the first frame and after the call)."""
        return self._texture

    def attach(self, reader: Any, stream: str | None = None) -> None:
        """Show `stream` of `reader` (a FrameReader); the same source again changes nothing."""
        stream = stream or self.stream
        if reader is self._reader and stream == self.stream and self._tick is not None:
            return
        self.detach()
        self._reader, self.stream, self._seq = reader, stream, 0
        self._tick = Clock.schedule_interval(self._on_tick, 1.0 / FPS)

    def detach(self) -> None:
        """Stop drawing and forget the picture (its pixels are overwritten first)."""
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        self._reader = None
        self._blank()
        self.frames_drawn = 0

    def _on_tick(self, _dt: float) -> None:
        self.update()  # returns None: a False would unschedule the interval

    def update(self) -> bool:
        """One clock tick: draw the stream's frame if it is new. True if one was drawn."""
        reader = self._reader
        if reader is None:
            return False
        frame = reader.read(self.stream, self._seq)
        if frame is None:
            if self._texture is not None and reader.seq(self.stream) == 0:
                self._blank()  # emptied by the worker: the party left, or the call ended
            return False
        size = (frame.width, frame.height)
        if self._texture is None or tuple(self._texture.size) != size:
            self._blank()
            self._texture = Texture.create(size=size, colorfmt="rgb", bufferfmt="ubyte")
            self._texture.flip_vertical()  # the frame's rows start at the top
        self._texture.blit_buffer(frame.data, colorfmt="rgb", bufferfmt="ubyte")
        self._seq = frame.seq
        self._rect.texture = self._texture
        self.frames_drawn += 1
        self.showing = True
        self._place()
        return True

    def _blank(self) -> None:
        tex, self._texture = self._texture, None
        if tex is not None:
            w, h = tex.size
            tex.blit_buffer(bytes(w * h * 3), colorfmt="rgb", bufferfmt="ubyte")
        self._rect.texture = None
        self._rect.size = (0, 0)
        self._seq = 0
        self.showing = False

    def _place(self, *_args: Any) -> None:
        self._bg.pos, self._bg.size = self.pos, self.size
        if self._texture is None:
            return
        tw, th = self._texture.size
        scale = min(self.width / tw, self.height / th) if tw and th else 0
        w, h = tw * scale, th * scale
        self._rect.size = (w, h)
        self._rect.pos = (self.x + (self.width - w) / 2, self.y + (self.height - h) / 2)
