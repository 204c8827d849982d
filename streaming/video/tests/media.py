"""Test media made by the real ffmpeg (a few seconds of test pattern and tone), cached per run;
tests.mediainfo reads media back."""

from __future__ import annotations

import functools
import struct
import subprocess

from core.ffmpeg import ffmpeg_binary


def encoder_args(
    *,
    seconds: float,
    size: str = "854x480",
    rate: int = 30,
    gop: int = 30,
    preset: str = "veryfast",
    video_filter: str = "",
    realtime: bool = False,
) -> list[str]:
    """ffmpeg arguments of an encoder stand-in: a test pattern (and `video_filter`) with a tone, H.264 with a
    keyframe every `gop` frames and AAC — the way we ask hosts to set up OBS. The caller adds the output."""
    video = f"testsrc2=size={size}:rate={rate}" + (f",{video_filter}" if video_filter else "")
    return [
        *(["-re"] if realtime else []),
        "-f",
        "lavfi",
        "-i",
        video,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-tune",
        "zerolatency",
        "-g",
        str(gop),
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
    ]


def _ffmpeg(*args: str) -> bytes:
    binary = ffmpeg_binary()
    assert binary, "no ffmpeg: set FFMPEG_BINARY or install the imageio-ffmpeg wheel (a dependency)"
    out = subprocess.run(
        [binary, "-hide_banner", "-loglevel", "error", "-nostdin", *args], capture_output=True, timeout=120, check=True
    )
    return out.stdout


@functools.cache
def flv_source(seconds: int = 3, size: str = "854x480", gop: int = 30, preset: str = "veryfast") -> bytes:
    """H.264 + AAC in FLV, as an encoder sends over RTMP (keyframe every `gop` frames at 30 fps)."""
    return _ffmpeg(*encoder_args(seconds=seconds, size=size, gop=gop, preset=preset), "-f", "flv", "pipe:1")


@functools.cache
def webm_source(seconds: int = 3) -> bytes:
    """VP8 + Opus in live WebM (unknown sizes, a cluster per keyframe), as MediaRecorder writes it."""
    return _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        str(seconds),
        "-c:v",
        "libvpx",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-g",
        "30",
        "-b:v",
        "600k",
        "-c:a",
        "libopus",
        "-f",
        "webm",
        "-live",
        "1",
        "pipe:1",
    )


def flv_tags(data: bytes) -> list[tuple[int, int, bytes]]:
    """(type, timestamp, payload) of every tag in an FLV file: what RTMP carries as messages."""
    assert data[:3] == b"FLV"
    pos = struct.unpack(">I", data[5:9])[0] + 4
    tags = []
    while pos + 11 <= len(data):
        kind = data[pos]
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        ts = int.from_bytes(data[pos + 4 : pos + 7], "big") | (data[pos + 7] << 24)
        tags.append((kind, ts, data[pos + 11 : pos + 11 + size]))
        pos += 11 + size + 4
    return tags


def decode_errors(data: bytes, fmt: str) -> str:
    """What ffmpeg complains about when decoding all of `data` (empty when it decodes cleanly)."""
    out = subprocess.run(
        [ffmpeg_binary() or "ffmpeg", "-hide_banner", "-v", "error", "-f", fmt, "-i", "pipe:0", "-f", "null", "-"],
        input=data,
        capture_output=True,
        timeout=60,
    )
    return out.stderr.decode(errors="replace") + ("" if out.returncode == 0 else f" (exit {out.returncode})")
