"""The render worker: `python -m devices.printer.documents.worker [--labels]`.

Reads render requests on stdin and writes replies on stdout (frames of `_wire`), one at a
time, until stdin closes. It loads the font (and with `--labels` every label's glyphs) before
reading the first request, so the UI process that started it goes on meanwhile. It logs error
class names only: a request may carry a certificate holder's data.
"""

from __future__ import annotations

import argparse
import os
import sys

from devices.printer.documents import _wire


def serve(fd_in: int, fd_out: int, *, labels: bool) -> int:
    from devices.printer.documents._renderer import DocumentRenderer
    from devices.printer.errors import DocumentDataError

    renderer = DocumentRenderer().warm_up(labels=labels)
    while True:
        try:
            payload = _wire.read_frame(fd_in, _wire.MAX_REQUEST)
        except _wire.FrameError:
            return 0  # stdin closed: the kiosk is stopping (or sent garbage: same answer)
        info = None
        try:
            kind, info, options = _wire.decode_request(payload)
            pdf = renderer.render(kind, info, **options)
        except DocumentDataError as e:
            reply = bytes([_wire.DATA_ERROR]) + str(e).encode()
        except Exception as e:  # noqa: BLE001 - one bad document must not stop the worker
            print(f"render worker: {type(e).__name__}", file=sys.stderr, flush=True)
            reply = bytes([_wire.FAILED]) + type(e).__name__.encode()
        else:
            reply = bytes([_wire.OK]) + pdf
        payload = info = None  # the request may hold a holder's data: keep it no longer
        try:
            _wire.write_frame(fd_out, reply)
        except OSError:
            return 0  # the kiosk went away


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="madoguchi-render-worker")
    parser.add_argument("--labels", action="store_true", help="prepare every label's glyphs")
    args = parser.parse_args(argv)
    # stdout carries frames only: anything printed by a library goes to stderr instead.
    fd_out = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return serve(sys.stdin.fileno(), fd_out, labels=args.labels)


if __name__ == "__main__":
    sys.exit(main())
