"""A My Number card that behaves like the real one, behind pcscd via vpcd (`VirtualCardLink`).

Implements, per /work/shared/reference/mynumber-card.md: SELECT by AID and by file id (unknown →
6A 82), VERIFY with data (90 00 / 63 Cx / 69 83; the entry that spends the last try answers
63 C0 or, per profile, 69 83) and without (63 Cx, no try spent), a lock after
3 wrong entries in a row, reset on success, READ BINARY with offsets and short or extended Le
(62 82 when the file ends before Le, 6B 00 past the end), SIGN (80 2A) with the JPKI auth key
(raw PKCS#1 v1.5 over the DigestInfo sent), and status words for commands out of order
(reading a protected file or signing before VERIFY → 69 82; VERIFY with no PIN file → 69 86).

Invariants: tries left survive power-off and reset (only verified state and selections are
lost), like the real card. Every APDU received is recorded in `received` (thread-safe snapshot
via `received_apdus()`), so tests can prove what the reader did and did not send.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils
from cryptography.hazmat.primitives.serialization import Encoding

from devices.card import _apdu
from devices.card.data import encode_my_number
from devices.card.simulator.profile import CardProfile

__all__ = ["MyNumberCardSim"]

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_INCOMPATIBLE = b"\x69\x81"
SW_SECURITY = b"\x69\x82"
SW_BLOCKED = b"\x69\x83"
SW_NOT_ALLOWED = b"\x69\x86"
SW_NOT_FOUND = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_EOF = b"\x62\x82"
SW_WRONG_OFFSET = b"\x6b\x00"
SW_BAD_INS = b"\x6d\x00"
SW_BAD_CLA = b"\x6e\x00"


@dataclass
class _File:
    kind: str  # "binary", "pin", "key"
    data: bytes = b""
    needs: str | None = None  # PIN key that must be verified to read / use it


class MyNumberCardSim:
    """`CardBehaviour` for `VirtualCardLink`: a simulated My Number card for one profile."""

    def __init__(self, profile: CardProfile) -> None:
        self.profile = profile
        self.atr = profile.atr
        self.received: list[bytes] = []
        self._lock = threading.Lock()
        self.pins = {
            "kenhojo": profile.kenhojo_pin,
            "jpki_auth": profile.jpki_auth_pin,
            "jpki_sign": "ABCDEF",
        }
        self.tries = {
            "kenhojo": profile.kenhojo_tries_left,
            "jpki_auth": profile.jpki_auth_tries_left,
            "jpki_sign": 5,
        }
        self._max_tries = {"kenhojo": 3, "jpki_auth": 3, "jpki_sign": 5}
        self._apps = self._build_apps(profile)
        self._app: bytes | None = None
        self._ef: bytes | None = None
        self._verified: set[str] = set()

    @staticmethod
    def _build_apps(p: CardProfile) -> dict[bytes, dict[bytes, _File]]:
        basic4 = p.basic4_file
        cert = p.auth_certificate.public_bytes(Encoding.DER)
        kenhojo_extra = {}
        if p.kenhojo_signature_file is not None:
            kenhojo_extra[_apdu.FID_KENHOJO_SIGNATURE] = _File(
                "binary", p.kenhojo_signature_file, "kenhojo"
            )
        known = {
            _apdu.AID_KENHOJO: {
                _apdu.FID_KENHOJO_PIN: _File("pin", needs="kenhojo"),
                _apdu.FID_KENHOJO_MY_NUMBER: _File(
                    "binary", encode_my_number(p.my_number) + b"\xff\xff", "kenhojo"
                ),
                _apdu.FID_KENHOJO_BASIC4: _File("binary", basic4, "kenhojo"),
                _apdu.FID_KENHOJO_AP_INFO: _File("binary", bytes.fromhex("0102030400")),
                **kenhojo_extra,
            },
            _apdu.AID_CARD_FACE: {},
            _apdu.AID_JPKI: {
                _apdu.FID_JPKI_AUTH_PIN: _File("pin", needs="jpki_auth"),
                _apdu.FID_JPKI_AUTH_CERT: _File("binary", cert),
                _apdu.FID_JPKI_AUTH_KEY: _File("key", needs="jpki_auth"),
                _apdu.FID_JPKI_SIGN_PIN: _File("pin", needs="jpki_sign"),
                _apdu.FID_JPKI_SIGN_CERT: _File("binary", b"", "jpki_sign"),
            },
        }
        return {aid: known.get(aid, {}) for aid in p.aids}

    # -- CardBehaviour ----------------------------------------------------------------------
    def power_on(self) -> None:
        self._forget()

    def power_off(self) -> None:
        self._forget()

    def reset(self) -> None:
        self._forget()

    def _forget(self) -> None:
        with self._lock:
            self._app = self._ef = None
            self._verified.clear()

    def process(self, apdu: bytes) -> bytes:
        with self._lock:
            self.received.append(bytes(apdu))
            return self._process(bytes(apdu))

    # -- test helpers -----------------------------------------------------------------------
    def received_apdus(self) -> list[bytes]:
        with self._lock:
            return list(self.received)

    def verify_apdus(self, *, with_data: bool = True) -> list[bytes]:
        """The VERIFY commands received (with a PIN, or the empty tries-left form)."""
        return [a for a in self.received_apdus() if a[1:2] == b"\x20" and (len(a) > 4) == with_data]

    # -- commands ---------------------------------------------------------------------------
    def _process(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        cla, ins = apdu[0], apdu[1]
        if cla == 0x80 and ins == 0x2A:
            return self._sign(apdu)
        if cla != 0x00:
            return SW_BAD_CLA
        handler = {0xA4: self._select, 0x20: self._verify, 0xB0: self._read_binary}.get(ins)
        if handler is None:
            return SW_BAD_INS
        return handler(apdu)

    @staticmethod
    def _body(apdu: bytes) -> bytes | None:
        """Command data of a case 3/4 short APDU, None when Lc does not match."""
        if len(apdu) < 5:
            return None
        lc = apdu[4]
        if len(apdu) not in (5 + lc, 6 + lc) or lc == 0:
            return None
        return apdu[5 : 5 + lc]

    def _select(self, apdu: bytes) -> bytes:
        p1, p2 = apdu[2], apdu[3]
        data = self._body(apdu)
        if data is None:
            return SW_WRONG_LENGTH
        if p2 != 0x0C:
            return SW_WRONG_P1P2
        if p1 == 0x04:
            # Selecting an application ends the security state of the previous one.
            self._verified.clear()
            self._app = self._ef = None
            if data not in self._apps:
                return SW_NOT_FOUND
            self._app = data
            return SW_OK
        if p1 == 0x02:
            if self._app is None or data not in self._apps[self._app]:
                return SW_NOT_FOUND
            self._ef = data
            return SW_OK
        return SW_WRONG_P1P2

    def _current(self) -> _File | None:
        if self._app is None or self._ef is None:
            return None
        return self._apps[self._app].get(self._ef)

    def _verify(self, apdu: bytes) -> bytes:
        if apdu[2] != 0x00 or apdu[3] != 0x80:
            return SW_WRONG_P1P2
        ef = self._current()
        if ef is None or ef.kind != "pin" or ef.needs is None:
            return SW_NOT_ALLOWED
        key = ef.needs
        if len(apdu) == 4:
            if self.tries[key] == 0:
                return SW_BLOCKED
            return bytes([0x63, 0xC0 | self.tries[key]])
        data = self._body(apdu)
        if data is None:
            return SW_WRONG_LENGTH
        if self.tries[key] == 0:
            return SW_BLOCKED
        if data == self.pins[key].encode("ascii"):
            self.tries[key] = self._max_tries[key]
            self._verified.add(key)
            return SW_OK
        self.tries[key] -= 1
        self._verified.discard(key)
        if self.tries[key] == 0:
            return self.profile.last_try_sw  # 63 C0, or 69 83 on cards that answer so
        return bytes([0x63, 0xC0 | self.tries[key]])

    def _read_binary(self, apdu: bytes) -> bytes:
        p1, p2 = apdu[2], apdu[3]
        if p1 & 0x80:
            return SW_WRONG_P1P2  # short-EF addressing: the real card is read by offset
        if len(apdu) == 5:
            le = apdu[4] or 256
        elif len(apdu) == 7 and apdu[4] == 0:
            if not self.profile.extended_length:
                return SW_WRONG_LENGTH
            le = int.from_bytes(apdu[5:7], "big") or 65536
        else:
            return SW_WRONG_LENGTH
        ef = self._current()
        if ef is None:
            return SW_NOT_ALLOWED
        if ef.kind != "binary":
            return SW_INCOMPATIBLE
        if ef.needs is not None and ef.needs not in self._verified:
            return SW_SECURITY
        offset = (p1 << 8) | p2
        if offset >= len(ef.data):
            return SW_WRONG_OFFSET
        chunk = ef.data[offset : offset + le]
        return chunk + (SW_OK if len(chunk) == le else SW_EOF)

    def _sign(self, apdu: bytes) -> bytes:
        if apdu[2] != 0x00 or apdu[3] != 0x80:
            return SW_WRONG_P1P2
        data = self._body(apdu)
        if data is None:
            return SW_WRONG_LENGTH
        ef = self._current()
        if ef is None or ef.kind != "key":
            return SW_NOT_ALLOWED
        if ef.needs not in self._verified:
            return SW_SECURITY
        signature = _pkcs1_v15_sign(self.profile, data)
        if signature is None:
            return SW_WRONG_LENGTH
        return signature + SW_OK


def _pkcs1_v15_sign(profile: CardProfile, data: bytes) -> bytes | None:
    """RSASSA-PKCS1-v1_5 signature primitive over `data` (already a DigestInfo), via CRT.

    PKCS#1 v1.5 is deterministic, so for a SHA-256 DigestInfo the library's (fast, constant-time)
    signer gives the very same bytes; any other DigestInfo takes the slow pure-Python path.
    """
    prefix = _apdu.SHA256_DIGESTINFO_PREFIX
    if len(data) == len(prefix) + 32 and data.startswith(prefix):
        return profile.auth_key.sign(
            data[len(prefix) :], padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
        )
    numbers = profile.auth_key.private_numbers()
    n = numbers.public_numbers.n
    k = (n.bit_length() + 7) // 8
    if len(data) > k - 11:
        return None
    em = b"\x00\x01" + b"\xff" * (k - 3 - len(data)) + b"\x00" + data
    m = int.from_bytes(em, "big")
    s1 = pow(m, numbers.dmp1, numbers.p)
    s2 = pow(m, numbers.dmq1, numbers.q)
    h = (numbers.iqmp * (s1 - s2)) % numbers.p
    return (s2 + h * numbers.q).to_bytes(k, "big")
