"""QR codes as a plain module matrix, for the printed documents and the kiosk screen alike (one
place that knows segno). The matrix is rows of booleans (True = dark), without the quiet zone."""

from __future__ import annotations

__all__ = ["qr_matrix"]

_QR_MASK = 2  # a fixed mask is valid QR and skips segno's costly mask evaluation


def qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The modules of a QR code (error correction M) holding `data`."""
    import segno  # light, but only the callers that draw a code need it

    code = segno.make(data, error="m", micro=False, mask=_QR_MASK)
    return tuple(tuple(bool(m & 1) for m in row) for row in code.matrix)
