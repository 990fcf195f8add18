"""The render worker's pipe protocol: length-prefixed frames, JSON requests, raw PDF replies.

Frame: 4-byte big-endian length, then that many bytes. A request is a JSON object
`{"kind": <one of KINDS>, "info": {...fields...}, "options": {...}}`; dates and datetimes are
ISO strings and the info is rebuilt from the dataclass's own field types (never from a type
name in the data), so a frame can only ever produce one of the known document infos, and every
value and option passes the same validation as a document rendered in process
(`_kinds.check_request`). A reply is one status byte then
the payload: the PDF (`OK`), or a UTF-8 message (`DATA_ERROR`: the info was refused, the
message names fields, never values; `FAILED`: the renderer broke, the message is a class name).
"""

from __future__ import annotations

import dataclasses
import json
import os
import struct
import types
import typing
from datetime import date, datetime
from typing import Any

from devices.printer.documents._kinds import INFO_TYPES, DocumentInfo, check_request
from devices.printer.errors import DocumentDataError, FrameError

OK, DATA_ERROR, FAILED = 0, 1, 2
MAX_REQUEST = 1 << 20  # 1 MiB of JSON is far more than any document's text
MAX_REPLY = 64 << 20  # a multi-page A4 PDF with its font subset stays well below
_LEN = struct.Struct(">I")


# ---- frames ----------------------------------------------------------------------------------


def write_frame(fd: int, payload: bytes) -> None:
    data = _LEN.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int, wait: typing.Callable[[], None] | None = None) -> bytes:
    """`n` bytes from `fd`; `wait()` runs before each read (the client's deadline check).
    Raises FrameError on end of file."""
    parts, got = [], 0
    while got < n:
        if wait is not None:
            wait()
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise FrameError("end of stream")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_frame(fd: int, limit: int, wait: typing.Callable[[], None] | None = None) -> bytes:
    (size,) = _LEN.unpack(read_exact(fd, _LEN.size, wait))
    if size > limit:
        raise FrameError(f"frame of {size} bytes over the limit of {limit}")
    return read_exact(fd, size, wait)


# ---- requests --------------------------------------------------------------------------------


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    return value


def encode_request(kind: str, info: DocumentInfo, options: dict[str, Any]) -> bytes:
    check_request(kind, info, options)
    request = {"kind": kind, "info": _to_json(info), "options": options}
    return json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()


def _bad(where: str) -> DocumentDataError:
    return DocumentDataError(f"render request: bad value for {where}")


def _from_json(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _from_json(inner, value, where)
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list):
            raise _bad(where)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json(args[0], v, where) for v in value)
        if len(args) != len(value):
            raise _bad(where)
        return tuple(_from_json(a, v, where) for a, v in zip(args, value, strict=True))
    if hint is datetime or hint is date:
        if not isinstance(value, str):
            raise _bad(where)
        try:
            parsed = hint.fromisoformat(value)
        except ValueError as e:
            raise _bad(where) from e
        return parsed
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise _bad(where)
        return value
    if hint in (int, str):
        if type(value) is not hint:
            raise _bad(where)
        return value
    raise _bad(where)  # a field type this protocol does not carry


def _build(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise _bad(where)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if set(value) - set(fields):
        raise DocumentDataError(f"render request: unknown fields in {where}")
    kwargs = {}
    for name, v in value.items():
        kwargs[name] = _from_json(hints[name], v, f"{where}.{name}")
    try:
        return cls(**kwargs)
    except TypeError as e:  # a required field is missing
        raise DocumentDataError(f"render request: missing fields in {where}") from e


def decode_request(payload: bytes) -> tuple[str, DocumentInfo, dict[str, Any]]:
    """(kind, info, options) from a request frame; DocumentDataError if anything is off."""
    try:
        request = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise DocumentDataError("render request: not JSON") from e
    if not isinstance(request, dict) or set(request) != {"kind", "info", "options"}:
        raise DocumentDataError("render request: expected kind, info and options")
    kind = request["kind"]
    cls = INFO_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise DocumentDataError("render request: unknown document kind")
    info = _build(cls, request["info"], kind)
    options = request["options"]
    if not isinstance(options, dict):
        raise DocumentDataError("render request: bad options")
    check_request(kind, info, options)  # the option names and values the kind takes
    return kind, info, options
