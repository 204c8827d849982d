"""AMF0, the encoding of RTMP commands (connect, publish …) and of FLV script data (onMetaData).

Only what an RTMP ingest needs: decode every AMF0 type an encoder sends, encode the few replies.
A malformed payload raises AmfError; nothing here trusts a length it has not checked.
"""

from __future__ import annotations

import struct
from typing import Any

NUMBER, BOOLEAN, STRING, OBJECT, NULL, UNDEFINED, REFERENCE, ECMA_ARRAY, OBJECT_END, STRICT_ARRAY, DATE, LONG_STRING = (
    0x00,
    0x01,
    0x02,
    0x03,
    0x05,
    0x06,
    0x07,
    0x08,
    0x09,
    0x0A,
    0x0B,
    0x0C,
)
MAX_DEPTH = 16
MAX_ITEMS = 10_000


class AmfError(ValueError):
    pass


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise AmfError("truncated AMF0 data")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def utf8(self, n: int) -> str:
        return self.take(n).decode("utf-8", errors="replace")


def _read_value(r: _Reader, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise AmfError("AMF0 data nested too deeply")
    marker = r.u8()
    if marker == NUMBER:
        return struct.unpack(">d", r.take(8))[0]
    if marker == BOOLEAN:
        return r.u8() != 0
    if marker == STRING:
        return r.utf8(r.u16())
    if marker == LONG_STRING:
        return r.utf8(r.u32())
    if marker in (NULL, UNDEFINED):
        return None
    if marker == OBJECT:
        return _read_pairs(r, depth)
    if marker == ECMA_ARRAY:
        r.u32()  # an approximate count; the pairs end with the object-end marker all the same
        return _read_pairs(r, depth)
    if marker == STRICT_ARRAY:
        count = r.u32()
        if count > MAX_ITEMS:
            raise AmfError("AMF0 array too long")
        return [_read_value(r, depth + 1) for _ in range(count)]
    if marker == DATE:
        millis = struct.unpack(">d", r.take(8))[0]
        r.take(2)  # time zone, unused by the format's own definition
        return millis
    if marker == REFERENCE:
        r.u16()
        return None
    raise AmfError(f"unsupported AMF0 marker 0x{marker:02x}")


def _read_pairs(r: _Reader, depth: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for _ in range(MAX_ITEMS):
        key = r.utf8(r.u16())
        if key == "" and r.pos < len(r.data) and r.data[r.pos] == OBJECT_END:
            r.pos += 1
            return result
        result[key] = _read_value(r, depth + 1)
    raise AmfError("AMF0 object too large")


def decode_all(data: bytes) -> list[Any]:
    """Every value in `data`, in order (a command is name, transaction id, then arguments)."""
    r = _Reader(data)
    values = []
    while r.pos < len(data):
        values.append(_read_value(r, 0))
    return values


def _encode_string_body(value: str) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) > 0xFFFF:
        raise AmfError("string too long for AMF0")
    return struct.pack(">H", len(raw)) + raw


def encode(value: Any) -> bytes:
    if value is None:
        return bytes([NULL])
    if isinstance(value, bool):
        return bytes([BOOLEAN, 1 if value else 0])
    if isinstance(value, int | float):
        return bytes([NUMBER]) + struct.pack(">d", float(value))
    if isinstance(value, str):
        return bytes([STRING]) + _encode_string_body(value)
    if isinstance(value, dict):
        body = b"".join(_encode_string_body(str(k)) + encode(v) for k, v in value.items())
        return bytes([OBJECT]) + body + b"\x00\x00" + bytes([OBJECT_END])
    raise AmfError(f"cannot encode {type(value).__name__} as AMF0")


def encode_all(*values: Any) -> bytes:
    return b"".join(encode(v) for v in values)
