"""A browser's MediaRecorder WebM stream, cut into units resumable at any video keyframe.

MediaRecorder writes "live" WebM: an EBML header, a Segment of unknown size, Info and Tracks, then
Clusters (often of unknown size too) holding a Timecode and SimpleBlocks. A new ffmpeg can start
at a video keyframe given the header material (everything before the first Cluster), a Cluster
start of unknown size and that Cluster's Timecode — block timestamps are relative to it.

This is a streaming scanner of element headers, not a full Matroska parser: it never buffers more
than one element, and it refuses elements larger than MAX_ELEMENT.
"""

from __future__ import annotations

from typing import Literal

from streaming.video.ingest.units import SourceInfo, Unit

EBML_HEADER = 0x1A45DFA3
SEGMENT = 0x18538067
CLUSTER = 0x1F43B675
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
TRACK_TYPE = 0x83
CODEC_ID = 0x86
VIDEO_SETTINGS = 0xE0
PIXEL_WIDTH = 0xB0
PIXEL_HEIGHT = 0xBA
TIMECODE = 0xE7
SIMPLE_BLOCK = 0xA3
SEGMENT_CHILDREN = {0x114D9B74, 0x1549A966, TRACKS, CLUSTER, 0x1C53BB6B, 0x1941A469, 0x1043A770, 0x1254C367}
UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"
MAX_ELEMENT = 32 * 1024 * 1024
# Everything before the first Cluster is kept and prefixed to every keyframe unit: a recorder's is
# under a kilobyte.
MAX_HEADER = 256 * 1024
CODECS = {"V_VP8": "vp8", "V_VP9": "vp9", "V_MPEG4/ISO/AVC": "h264", "V_AV1": "av1"}


class WebmError(ValueError):
    pass


def _vint(buf: bytes | bytearray, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """(value, length) of the variable-length integer at pos; None if buf ends first."""
    if pos >= len(buf):
        return None
    first = buf[pos]
    if first == 0:
        raise WebmError("invalid EBML variable-length integer")
    length = 8 - first.bit_length() + 1
    if pos + length > len(buf):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in buf[pos + 1 : pos + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return -1, length  # "unknown size"
    return value, length


def _children(data: bytes) -> list[tuple[int, bytes]]:
    """(id, payload) of every element inside a master element's payload."""
    out = []
    pos = 0
    while pos < len(data):
        ident = _vint(data, pos, keep_marker=True)
        if ident is None:
            break
        size = _vint(data, pos + ident[1], keep_marker=False)
        if size is None or size[0] < 0:
            break
        start = pos + ident[1] + size[1]
        out.append((ident[0], data[start : start + size[0]]))
        pos = start + size[0]
    return out


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


class WebmDemuxer:
    """Feed bytes in any pieces; get units back. `prefix(sync)` starts a new stream at a sync unit."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.state = "top"
        self.header = bytearray()
        self.cluster_left: int | None = None
        self.timecode: bytes = b"\xe7\x81\x00"
        self.video_track: int | None = None
        self.video_codec = ""
        self.width: int | None = None
        self.height: int | None = None
        self.has_audio = False
        self.header_done = False

    def info(self) -> SourceInfo | None:
        if not self.header_done:
            return None
        return SourceInfo(
            container="webm",
            video_codec=self.video_codec,
            width=self.width,
            height=self.height,
            has_audio=self.has_audio,
        )

    def prefix(self, timecode: bytes) -> bytes:
        return bytes(self.header) + CLUSTER.to_bytes(4, "big") + UNKNOWN_SIZE + timecode

    def feed(self, data: bytes) -> list[Unit]:
        self.buf += data
        units: list[Unit] = []
        while True:
            step = self._step()
            if step is None:
                break
            if step is not True:
                units.append(step)
        return units

    def _step(self) -> Unit | Literal[True] | None:
        """One element header or element; None when more bytes are needed."""
        buf = self.buf
        ident = _vint(buf, 0, keep_marker=True)
        if ident is None:
            return None
        size = _vint(buf, ident[1], keep_marker=False)
        if size is None:
            return None
        element_id, head = ident[0], ident[1] + size[1]
        length = size[0]
        if length > MAX_ELEMENT:
            raise WebmError("WebM element too large")

        if self.state == "cluster":
            if self.cluster_left is not None and self.cluster_left <= 0:
                self.state = "segment"
                return True
            if self.cluster_left is None and element_id in SEGMENT_CHILDREN:
                self.state = "segment"
                return True
        if self.state == "top" and element_id == SEGMENT:
            self._keep(SEGMENT.to_bytes(4, "big") + UNKNOWN_SIZE)
            del buf[:head]
            self.state = "segment"
            return True
        if self.state == "segment" and element_id == CLUSTER:
            self.header_done = True
            self.cluster_left = None if length < 0 else length
            chunk = bytes(buf[:head])
            del buf[:head]
            self.state = "cluster"
            return Unit(chunk, media=False)
        if length < 0:
            raise WebmError("unknown-size element where a sized one is needed")
        if len(buf) < head + length:
            return None
        chunk = bytes(buf[: head + length])
        del buf[: head + length]

        if self.state == "top":
            if element_id != EBML_HEADER:
                raise WebmError("not a WebM stream")
            self._keep(chunk)
            return True
        if self.state == "segment":
            if self.header_done:
                return Unit(chunk, media=False)
            if element_id == TRACKS:
                self._tracks(chunk[head:])
            self._keep(chunk)
            return True
        # inside a cluster
        if self.cluster_left is not None:
            self.cluster_left -= len(chunk)
        if element_id == TIMECODE:
            self.timecode = chunk
            return Unit(chunk, media=False)
        if element_id == SIMPLE_BLOCK:
            # track number (a variable-length integer), a 16-bit relative timecode, then the flags
            track = _vint(chunk, head, keep_marker=False)
            if track is not None and track[0] == self.video_track and head + track[1] + 2 < len(chunk):
                flags = chunk[head + track[1] + 2]
                if flags & 0x80:
                    return Unit(chunk, sync=self.timecode)
        return Unit(chunk)

    def _keep(self, chunk: bytes) -> None:
        if len(self.header) + len(chunk) > MAX_HEADER:
            raise WebmError("WebM header too large")
        self.header += chunk

    def _tracks(self, payload: bytes) -> None:
        for element_id, entry in _children(payload):
            if element_id != TRACK_ENTRY:
                continue
            fields = dict(_children(entry))
            kind = _uint(fields.get(TRACK_TYPE, b""))
            if kind == 1 and self.video_track is None:
                self.video_track = _uint(fields.get(TRACK_NUMBER, b""))
                codec = fields.get(CODEC_ID, b"").decode("ascii", "replace").rstrip("\x00")
                self.video_codec = CODECS.get(codec, codec.lower() or "unknown")
                video = dict(_children(fields.get(VIDEO_SETTINGS, b"")))
                self.width = _uint(video.get(PIXEL_WIDTH, b"")) or None
                self.height = _uint(video.get(PIXEL_HEIGHT, b"")) or None
            elif kind == 2:
                self.has_audio = True
