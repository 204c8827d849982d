"""What is in a media file: duration, picture and sound, with ffprobe when present, else ffmpeg alone.

`make run` on a fresh machine has only the imageio-ffmpeg wheel's ffmpeg (no ffprobe), so the
fallback reads what `ffmpeg -hide_banner -i FILE` prints about its input; both paths yield the
same MediaProbe. A file whose container has no duration (a browser's MediaRecorder WebM) is
measured by reading it through to the end with stream copy into the null muxer.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from core.ffmpeg import ffmpeg_binary
from learning.services.errors import MediaError

PROBE_TIMEOUT = 60
MEASURE_TIMEOUT = 600


@dataclass(frozen=True)
class VideoStream:
    codec: str
    width: int
    height: int
    rotation: int = 0  # degrees of the display matrix; ffmpeg applies it when it decodes
    sar: tuple[int, int] = (1, 1)
    fps: float = 0.0

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as seen on screen: pixel aspect applied, turned by the rotation."""
        num, den = self.sar if self.sar[0] > 0 and self.sar[1] > 0 else (1, 1)
        width, height = self.width * num / den, float(self.height)
        if abs(self.rotation) % 180 == 90:
            width, height = height, width
        return round(width), round(height)


@dataclass(frozen=True)
class AudioStream:
    codec: str
    sample_rate: int = 0
    channels: int = 0


@dataclass(frozen=True)
class MediaProbe:
    duration: float
    format_name: str
    video: VideoStream | None
    audio: AudioStream | None
    probed_with: str

    @property
    def kind(self) -> str:
        return "video" if self.video else "audio"

    def as_json(self) -> dict:
        return asdict(self)


def ffprobe_binary() -> str | None:
    """ffprobe beside the configured ffmpeg, else on the PATH; None when there is none."""
    ffmpeg = ffmpeg_binary()
    if ffmpeg:
        sibling = Path(ffmpeg).with_name("ffprobe")
        if sibling.is_file() and os.access(sibling, os.X_OK):
            return str(sibling)
    return shutil.which("ffprobe")


# What an MP4/MOV file begins with: its first box. A text file renamed .mp4 begins with none of them.
MP4_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}


def _looks_like_mp4(path: Path | None) -> bool:
    if path is None:
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
    except OSError:
        return False
    return len(head) >= 8 and head[4:8] in MP4_FIRST_BOXES


def _error_from_ffmpeg_output(text: str, path: Path | None = None) -> MediaError:
    tail = "\n".join(text.strip().splitlines()[-8:])
    # "moov atom not found" means an MP4 whose index is missing — cut off — only if the file is an
    # MP4 at all; ffmpeg says the same of any file it reads as MP4 because of its name.
    if "moov atom not found" in text.lower() and _looks_like_mp4(path):
        return MediaError("truncated", tail)
    return MediaError("unreadable", tail)


def _fraction(value: str | None) -> float:
    if not value:
        return 0.0
    if "/" in value:
        num, _, den = value.partition("/")
        try:
            return float(num) / float(den) if float(den) else 0.0
        except ValueError:
            return 0.0
    try:
        return float(value)
    except ValueError:
        return 0.0


def _probe_with_ffprobe(binary: str, path: Path) -> tuple[float | None, str, VideoStream | None, AudioStream | None]:
    argv = [binary, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT, errors="replace")
    except subprocess.TimeoutExpired as exc:
        raise MediaError("unreadable", "ffprobe timed out") from exc
    if done.returncode != 0:
        raise _error_from_ffmpeg_output(done.stderr, path)
    try:
        data = json.loads(done.stdout or "{}")
    except ValueError as exc:
        raise MediaError("unreadable", done.stdout[-500:]) from exc
    fmt = data.get("format") or {}
    duration = _fraction(fmt.get("duration")) or None
    video = audio = None
    stream_durations = []
    for stream in data.get("streams") or []:
        kind = stream.get("codec_type")
        if stream.get("duration"):
            stream_durations.append(_fraction(stream.get("duration")))
        if kind == "video" and video is None and not (stream.get("disposition") or {}).get("attached_pic"):
            rotation = 0
            for side in stream.get("side_data_list") or []:
                if "rotation" in side:
                    rotation = int(round(float(side["rotation"])))
            if not rotation and (stream.get("tags") or {}).get("rotate"):
                rotation = -int(float(stream["tags"]["rotate"]))
            sar = stream.get("sample_aspect_ratio") or "1:1"
            num, _, den = sar.partition(":")
            try:
                sar_pair = (int(num), int(den))
            except ValueError:
                sar_pair = (1, 1)
            width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
            if width and height:
                video = VideoStream(
                    codec=stream.get("codec_name") or "",
                    width=width,
                    height=height,
                    rotation=rotation,
                    sar=sar_pair,
                    fps=_fraction(stream.get("avg_frame_rate")) or _fraction(stream.get("r_frame_rate")),
                )
        elif kind == "audio" and audio is None:
            audio = AudioStream(
                codec=stream.get("codec_name") or "",
                sample_rate=int(stream.get("sample_rate") or 0),
                channels=int(stream.get("channels") or 0),
            )
    if duration is None and stream_durations:
        duration = max(stream_durations)
    return duration, str(fmt.get("format_name") or ""), video, audio


_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_INPUT = re.compile(r"^Input #0, (.+?), from ", re.M)
_STREAM = re.compile(r"^\s*Stream #0:\d+.*?: (Video|Audio|Subtitle|Data|Attachment): (.*)$")
_SIZE = re.compile(r"(?:^|[ ,])(\d{1,5})x(\d{1,5})(?=[ ,\[]|$)")
_SAR = re.compile(r"\[SAR (\d+):(\d+)")
_FPS = re.compile(r"([\d.]+)(k?) fps")
_TBR = re.compile(r"([\d.]+)(k?) tbr")
_HZ = re.compile(r"(\d+) Hz")
_ROTATION = re.compile(r"(?:display\s*matrix|displaymatrix):\s*rotation of (-?[\d.]+) degrees", re.I)
_ROTATE_TAG = re.compile(r"^\s*rotate\s*:\s*(-?\d+)", re.M)
_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "6.1": 7, "7.1": 8}


def _rate(match: re.Match | None) -> float:
    if not match:
        return 0.0
    return float(match.group(1)) * (1000 if match.group(2) else 1)


def parse_ffmpeg_input_info(
    text: str, path: Path | None = None
) -> tuple[float | None, str, VideoStream | None, AudioStream | None]:
    """Read what `ffmpeg -i FILE` prints about its input (the first input only)."""
    if "Input #0" not in text:
        raise _error_from_ffmpeg_output(text, path)
    duration = None
    if match := _DURATION.search(text):
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    fmt = match.group(1) if (match := _INPUT.search(text)) else ""
    video = audio = None
    current_is_first_video = False
    video_fields: dict | None = None
    for line in text.splitlines():
        stream = _STREAM.match(line)
        if stream:
            current_is_first_video = False
            kind, rest = stream.groups()
            if kind == "Video" and video_fields is None and "(attached pic)" not in rest:
                size = _SIZE.search(rest)
                if size:
                    sar = _SAR.search(rest)
                    video_fields = {
                        "codec": rest.split()[0].rstrip(","),
                        "width": int(size.group(1)),
                        "height": int(size.group(2)),
                        "sar": (int(sar.group(1)), int(sar.group(2))) if sar else (1, 1),
                        "fps": _rate(_FPS.search(rest)) or _rate(_TBR.search(rest)),
                        "rotation": 0,
                    }
                    current_is_first_video = True
            elif kind == "Audio" and audio is None:
                channels = 0
                for word in (w.strip() for w in rest.split(",")):
                    if word in _CHANNELS:
                        channels = _CHANNELS[word]
                    elif word.endswith(" channels") and word.split()[0].isdigit():
                        channels = int(word.split()[0])
                hz = _HZ.search(rest)
                audio = AudioStream(
                    codec=rest.split()[0].rstrip(","), sample_rate=int(hz.group(1)) if hz else 0, channels=channels
                )
            continue
        if current_is_first_video and video_fields is not None:
            if rotation := _ROTATION.search(line):
                video_fields["rotation"] = int(round(float(rotation.group(1))))
            elif (tag := _ROTATE_TAG.match(line)) and not video_fields["rotation"]:
                # The old "rotate" tag turns clockwise; the display matrix counter-clockwise.
                video_fields["rotation"] = -int(tag.group(1))
    if video_fields is not None:
        video = VideoStream(**video_fields)
    return duration, fmt, video, audio


def _probe_with_ffmpeg(binary: str, path: Path) -> tuple[float | None, str, VideoStream | None, AudioStream | None]:
    argv = [binary, "-hide_banner", "-nostdin", "-i", str(path)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT, errors="replace")
    except subprocess.TimeoutExpired as exc:
        raise MediaError("unreadable", "ffmpeg timed out reading the file") from exc
    # Without an output ffmpeg always exits with 1; the input description is on stderr either way.
    return parse_ffmpeg_input_info(done.stderr, path)


_OUT_TIME = re.compile(r"^out_time_(?:us|ms)=(\d+)$", re.M)


def measure_duration(path: Path) -> float:
    """Read the whole file (stream copy into the null muxer, no decoding) and report how long it is."""
    binary = ffmpeg_binary()
    if not binary:
        raise MediaError("no_ffmpeg")
    argv = [
        binary,
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-i",
        str(path),
        "-map",
        "0:v:0?",
        "-map",
        "0:a:0?",
        "-c",
        "copy",
        "-f",
        "null",
        "-progress",
        "pipe:1",
        "-nostats",
        "-",
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=MEASURE_TIMEOUT, errors="replace")
    except subprocess.TimeoutExpired as exc:
        raise MediaError("unreadable", "ffmpeg timed out measuring the file") from exc
    times = [int(v) for v in _OUT_TIME.findall(done.stdout)]
    if done.returncode != 0 or not times:
        raise _error_from_ffmpeg_output(done.stderr, path)
    return max(times) / 1_000_000


def probe_media(path: Path, *, max_duration_hours: float = 6) -> MediaProbe:
    """Probe a local file, or raise MediaError with a code the editor will understand."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaError("unreadable", str(exc)) from exc
    if size == 0:
        raise MediaError("empty")
    binary = ffmpeg_binary()
    if not binary:
        raise MediaError("no_ffmpeg")
    ffprobe = ffprobe_binary()
    if ffprobe:
        duration, fmt, video, audio = _probe_with_ffprobe(ffprobe, path)
        probed_with = "ffprobe"
    else:
        duration, fmt, video, audio = _probe_with_ffmpeg(binary, path)
        probed_with = "ffmpeg"
    if video is None and audio is None:
        raise MediaError("no_streams", f"format {fmt}")
    if not duration or not math.isfinite(duration):
        duration = measure_duration(path)
    if duration < 1.0:
        raise MediaError("too_short", f"{duration:.3f} s")
    if duration > max_duration_hours * 3600:
        raise MediaError("too_long", f"{duration:.0f} s", hours=max_duration_hours)
    return MediaProbe(duration=duration, format_name=fmt, video=video, audio=audio, probed_with=probed_with)
