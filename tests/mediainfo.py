"""Read media back in tests with PyAV, whose wheels carry FFmpeg's own libraries: no system ffprobe.

The code under test writes with the ffmpeg binary it finds (core.ffmpeg); the tests check what came
out with an independent reader, so a fresh machine with only the Python packages runs every check.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path

import av


@dataclass(frozen=True)
class Stream:
    kind: str  # "video" or "audio"
    codec: str  # "h264", "aac", "mjpeg" …
    codec_tag: str  # the container's fourcc: "avc1", "mp4a" … ("" in MPEG-TS)
    width: int | None = None
    height: int | None = None
    pix_fmt: str | None = None
    rotation: int = 0  # display-matrix rotation of the first picture, degrees (0: upright pixels)


@dataclass(frozen=True)
class MediaInfo:
    format: str
    duration: float | None  # seconds, as the container states it
    streams: list[Stream]

    def of_kind(self, kind: str) -> list[Stream]:
        return [s for s in self.streams if s.kind == kind]

    @property
    def video(self) -> Stream:
        (video,) = self.of_kind("video")
        return video

    @property
    def audio(self) -> Stream:
        (audio,) = self.of_kind("audio")
        return audio


@dataclass(frozen=True)
class Frame:
    key: bool
    time: float | None  # presentation time in seconds


Source = Path | str | bytes


def _open(source: Source, fmt: str | None):
    return av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), format=fmt)


def media_info(source: Source, *, fmt: str | None = None) -> MediaInfo:
    """Container and streams of a file or of bytes (`fmt` names the demuxer for bytes, e.g. "mpegts")."""
    with _open(source, fmt) as container:
        streams = []
        for stream in container.streams:
            if stream.type not in ("video", "audio"):
                continue
            ctx = stream.codec_context
            video = stream.type == "video"
            streams.append(
                Stream(
                    kind=stream.type,
                    codec=ctx.name,
                    codec_tag=(ctx.codec_tag or "").strip("\x00"),
                    width=ctx.width if video else None,
                    height=ctx.height if video else None,
                    pix_fmt=ctx.pix_fmt if video else None,
                )
            )
        duration = container.duration / av.time_base if container.duration is not None else None
        fmt_name = container.format.name
        if container.streams.video:
            # The display matrix is side data of the decoded pictures; the first one tells.
            first = next(container.decode(video=0), None)
            if first is not None and first.rotation:
                i = next(i for i, s in enumerate(streams) if s.kind == "video")
                streams[i] = replace(streams[i], rotation=int(first.rotation))
        return MediaInfo(format=fmt_name, duration=duration, streams=streams)


def video_frames(source: Source, *, fmt: str | None = None) -> list[Frame]:
    """Every decoded picture of the first video stream, in order (what a player would show)."""
    with _open(source, fmt) as container:
        return [Frame(key=bool(f.key_frame), time=f.time) for f in container.decode(video=0)]
