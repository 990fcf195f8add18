"""Spoken guidance with espeak-ng (Debian package), off by default, switched on at home.

Invariants:
- Only fixed screen guidance is spoken (translated UI strings); never card data, PINs or form
  values, so nothing personal leaves through the loudspeaker or the process list. The one thing
  spoken with guidance off is the fixed reminder to take the card (`remind`).
- Speaking never blocks the UI: one espeak-ng child at a time, the previous one is stopped when a
  new screen speaks; a missing espeak-ng makes `Voice` silent, it never raises into the UI.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass

__all__ = ["ESPEAK_VOICES", "Voice", "VoiceConfig"]

log = logging.getLogger(__name__)

# espeak-ng voice per kiosk language (easy Japanese is read by the Japanese voice).
ESPEAK_VOICES = {
    "ja": "ja",
    "ja-easy": "ja",
    "en": "en-us",
    "zh-Hans": "cmn",
    "ko": "ko",
    "pt-BR": "pt-br",
    "vi": "vi",
}


@dataclass(frozen=True)
class VoiceConfig:
    executable: str = "espeak-ng"
    words_per_minute: int = 140
    enabled_by_default: bool = False


class Voice:
    def __init__(self, config: VoiceConfig | None = None) -> None:
        self.config = config or VoiceConfig()
        self.enabled = self.config.enabled_by_default
        self._proc: subprocess.Popen | None = None
        self.spoken: list[tuple[str, str]] = []  # (language, text), for tests and diagnostics

    @property
    def available(self) -> bool:
        return shutil.which(self.config.executable) is not None

    def say(self, language: str, text: str) -> None:
        """Speak `text` (fixed guidance only) if voice is on; stops whatever was being said."""
        if not self.enabled or not text:
            return
        self.stop()
        self.spoken.append((language, text))
        del self.spoken[:-20]
        exe = shutil.which(self.config.executable)
        if exe is None:
            return
        args = [
            exe,
            "-v",
            ESPEAK_VOICES.get(language, "en"),
            "-s",
            str(self.config.words_per_minute),
        ]
        try:
            self._proc = subprocess.Popen(
                [*args, "--", text],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as e:
            log.warning("voice guidance unavailable: %s", e.__class__.__name__)

    def remind(self, language: str, text: str) -> None:
        """Speak a fixed reminder even when voice guidance is off: 「カードをお取りください」
        while a My Number card is left in the reader (review A14)."""
        enabled, self.enabled = self.enabled, True
        try:
            self.say(language, text)
        finally:
            self.enabled = enabled

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                proc.kill()
