"""The ingest's unit of work: a piece of a container stream, and where a new stream may begin.

Both ways in (FLV from the RTMP front door, WebM from the browser) are cut into units. A unit that
starts with a video keyframe carries `sync`, the context its demuxer needs to write a prefix (the
container header and codec set-up, as known when the prefix is written) that makes
`prefix + data` the valid start of a new stream. That is what lets the supervisor start or
restart the packager (ffmpeg) in the middle of a broadcast without the publisher noticing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Unit:
    data: bytes
    sync: Any = None  # not None: a new stream may start here (the value is the demuxer's context)
    media: bool = True

    @property
    def is_sync(self) -> bool:
        return self.sync is not None


@dataclass(frozen=True)
class SourceInfo:
    """What the packager needs to know about a source to choose its ladder."""

    container: str  # "flv" (RTMP) or "webm" (browser)
    video_codec: str  # "h264", "vp8", "vp9", "" if no video
    width: int | None = None
    height: int | None = None
    has_audio: bool = True
    codec_string: str | None = None  # e.g. "avc1.64001f", for the copied rung's CODECS
    video_kbps: int | None = None

    def as_json(self) -> dict:
        return {
            "container": self.container,
            "video_codec": self.video_codec,
            "width": self.width,
            "height": self.height,
            "has_audio": self.has_audio,
            "codec_string": self.codec_string,
            "video_kbps": self.video_kbps,
        }


@dataclass
class GopCache:
    """The units since the last sync point: a packager (re)started now begins without waiting a GOP."""

    limit_bytes: int = 24 * 1024 * 1024
    units: list[Unit] = field(default_factory=list)
    size: int = 0

    def add(self, unit: Unit) -> None:
        if unit.is_sync:
            self.units = [unit]
            self.size = len(unit.data)
            return
        if not self.units:
            return
        self.units.append(unit)
        self.size += len(unit.data)
        if self.size > self.limit_bytes:  # an encoder without keyframes: nothing to resume from
            self.units, self.size = [], 0

    def replay(self, prefix: Callable[[Any], bytes]) -> list[bytes]:
        """Bytes that start a new stream at the last sync point and bring it up to now."""
        if not self.units:
            return []
        first = self.units[0]
        return [prefix(first.sync) + first.data, *(u.data for u in self.units[1:])]
