"""ffmpeg argv for the HLS ladder, and the runner that reports progress and can be cancelled.

One ffmpeg run decodes the source once, scales it to the top rung and splits that into every
rung of the ladder (filter_complex scale + split + scale), encodes H.264 (yuv420p, keyframes
every 2 s so 4-second segments align across rungs) and one AAC stream, and lets the HLS muxer
write the variant playlists, the segments and the master playlist (var_stream_map +
master_pl_name). The AAC stream is one audio group shared by every video rung *and* the
audio-only rendition that 党课随身听 plays, so sound is encoded once; the downloadable m4a is a
stream copy of that rendition, the poster one frame.

Phone videos: ffmpeg turns the picture upright when it decodes (autorotate, applied to the
filter graph's input too), the fps filter makes variable frame rate constant, and aresample's
async mode stretches or pads the sound so it stays in sync with the picture.

No shell anywhere: argv lists only. The runner puts ffmpeg in its own process group, reads
`-progress` from its stdout, and asks `should_cancel()` about once a second; a cancel kills the
whole group.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from core.ffmpeg import ffmpeg_binary
from learning.services.errors import MediaCancelledError, MediaError
from learning.services.probe import MediaProbe

SEGMENT_SECONDS = 4
KEYFRAME_SECONDS = 2
AUDIO_BITRATE = "128k"
X264_PRESET = "veryfast"


@dataclass(frozen=True)
class Rung:
    name: str
    short_side: int
    video_kbps: int


# Short side of the picture (720 for 1280x720 landscape or 720x1280 portrait). 1080p is left out
# on purpose: on a 2-core server a 1080p + 720p + 360p ladder at veryfast runs slower than real time.
LADDER = (Rung("720p", 720, 2800), Rung("480p", 480, 1400), Rung("360p", 360, 800))


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    video_kbps: int

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "bandwidth": self.video_kbps * 1000,
            "playlist": f"{self.name}/index.m3u8",
        }


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def choose_ladder(probe: MediaProbe) -> list[Rendition]:
    """The rungs the source can fill, never upscaling; a small source gets one rung at its own size."""
    if probe.video is None:
        return []
    width, height = probe.video.display_size
    short = min(width, height)
    renditions = []
    for rung in LADDER:
        if rung.short_side <= short:
            scale = rung.short_side / short
            renditions.append(Rendition(rung.name, _even(width * scale), _even(height * scale), rung.video_kbps))
    if not renditions:
        # Smaller than the smallest rung: keep its size, with a bitrate for its pixel count.
        kbps = max(200, round(LADDER[-1].video_kbps * (width * height) / (640 * 360)))
        renditions.append(Rendition(f"{_even(short)}p", _even(width), _even(height), kbps))
    return renditions


def output_fps(probe: MediaProbe) -> int:
    """A constant frame rate for the output: the source's, at most 30 (phones film at 60 or vary)."""
    fps = probe.video.fps if probe.video else 0.0
    if fps <= 0:
        return 25
    if fps < 20:
        return max(10, round(fps))
    return min((24, 25, 30), key=lambda candidate: abs(candidate - min(fps, 30)))


def _quiet(stream: ffmpeg.nodes.OutputStream) -> ffmpeg.nodes.OutputStream:
    """The global options every one-shot run has: no banner, no stdin, overwrite, errors only."""
    return stream.global_args("-hide_banner", "-nostdin", "-y", "-v", "error")


def hls_argv(
    *, binary: str, source: Path, out_dir: Path, probe: MediaProbe, renditions: list[Rendition], threads: int = 0
) -> list[str]:
    """The one ffmpeg command that writes the whole HLS package into out_dir.

    Built as an ffmpeg-python graph and compiled to argv. ffmpeg-python writes each filter as its
    own node joined by ";" with generated labels ([s0] …) where a hand-written graph chains them
    with ","; ffmpeg runs the two the same. Global options (the filter threads, -progress) are
    placed after the output by ffmpeg-python; ffmpeg applies global options wherever they stand.
    """
    source_stream = ffmpeg.input(str(source))
    streams: list = []
    options: dict[str, str | int] = {}
    stream_map: list[str] = []
    has_audio = probe.audio is not None
    if renditions:
        fps = output_fps(probe)
        # Decoded once, scaled once to the top rung, then split: the smaller rungs are scaled from
        # the top rung's frames, not from the (often 1080p or 4K) source again.
        top = renditions[0]
        picture = (
            source_stream["v:0"]
            .filter("fps", fps=fps)
            .filter("scale", top.width, top.height, flags="bicubic")
            .filter("setsar", 1)
            .filter("format", "yuv420p")
        )
        branches = picture.split() if len(renditions) > 1 else None
        gop = fps * KEYFRAME_SECONDS
        options.update(
            {
                "c:v": "libx264",
                "preset": X264_PRESET,
                "profile:v": "main",
                "pix_fmt": "yuv420p",
                "g": gop,
                "keyint_min": gop,
                "sc_threshold": 0,
                "force_key_frames": f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})",
            }
        )
        if threads:
            options["threads"] = threads
        for i, r in enumerate(renditions):
            if branches is None:
                streams.append(picture)
            elif i == 0:
                streams.append(branches[0])
            else:
                streams.append(branches[i].filter("scale", r.width, r.height, flags="bicubic").filter("setsar", 1))
            options[f"b:v:{i}"] = f"{r.video_kbps}k"
            options[f"maxrate:v:{i}"] = f"{round(r.video_kbps * 1.1)}k"
            options[f"bufsize:v:{i}"] = f"{r.video_kbps * 2}k"
            stream_map.append(f"v:{i},agroup:aud,name:{r.name}" if has_audio else f"v:{i},name:{r.name}")
    if has_audio:
        streams.append(source_stream["a:0"].filter("aresample", **{"async": 1, "first_pts": 0}))
        options.update({"c:a": "aac", "b:a": AUDIO_BITRATE, "ac": 2, "ar": 44100})
        # Listed first: the audio group's playlist is the audio-only rendition.
        stream_map.insert(0, "a:0,agroup:aud,name:audio,default:yes" if renditions else "a:0,name:audio")
    # The scaling of every rung runs in one filter graph; let it use the cores (slice threads).
    filter_threads = min(os.cpu_count() or 1, 8)
    package = ffmpeg.output(
        *streams,
        str(out_dir / "%v" / "index.m3u8"),
        format="hls",
        hls_time=SEGMENT_SECONDS,
        hls_playlist_type="vod",
        hls_list_size=0,
        hls_segment_filename=str(out_dir / "%v" / "seg%04d.ts"),
        master_pl_name="master.m3u8",
        var_stream_map=" ".join(stream_map),
        **options,
    )
    package = _quiet(package).global_args(
        "-filter_complex_threads", str(filter_threads), "-progress", "pipe:1", "-nostats"
    )
    return package.compile(cmd=binary)


def audio_file_argv(*, binary: str, audio_playlist: Path, target: Path) -> list[str]:
    """The downloadable m4a: the audio-only rendition's AAC copied into MP4, no re-encoding."""
    playlist = ffmpeg.input(str(audio_playlist), allowed_extensions="ALL")
    output = ffmpeg.output(playlist["a:0"], str(target), c="copy", **{"bsf:a": "aac_adtstoasc"}, movflags="+faststart")
    return _quiet(output).compile(cmd=binary)


def poster_argv(
    *, binary: str, source: Path, target: Path, width: int | str, height: int | str, input_options: dict | None = None
) -> list[str]:
    """One frame as a JPEG of `source` scaled to width × height (either may be an ffmpeg expression);
    `input_options` are the input's (where to seek: {"ss": 5}, playlists: {"allowed_extensions": "ALL"})."""
    frame = ffmpeg.input(str(source), **(input_options or {}))["v:0"].filter("scale", width, height).filter("setsar", 1)
    output = ffmpeg.output(frame, str(target), **{"frames:v": 1, "q:v": 4})
    return _quiet(output).compile(cmd=binary)


# --- Running ffmpeg ---------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_PROGRESS_LINE = re.compile(r"^(\w+)=(.*)$")


@dataclass
class RunResult:
    out_seconds: float
    stderr_tail: str


def _kill_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _die_with_worker() -> None:
    """Run in the child before exec: the kernel kills ffmpeg when the worker that started it dies
    (PR_SET_PDEATHSIG). A killed worker otherwise leaves ffmpeg converting, in its own process
    group, for nobody: the job is ended by the reaper (core/worker.py) and retried elsewhere."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def run_ffmpeg(
    argv: list[str],
    *,
    duration: float,
    on_progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    on_start: Callable[[int], None] | None = None,
    poll_seconds: float = 1.0,
    stderr_path: Path,
) -> RunResult:
    """Run ffmpeg with `-progress pipe:1`; progress is a fraction of `duration`.

    Raises MediaCancelledError after killing the process group when should_cancel() says so, and
    MediaError("ffmpeg_failed") with the end of ffmpeg's stderr when it exits with an error.
    """
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=_die_with_worker if sys.platform == "linux" else None,  # noqa: PLW1509
        )
    if on_start:
        on_start(proc.pid)
    out_seconds = 0.0
    buffer = b""
    last_poll = 0.0
    try:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while True:
            ready, _, _ = select.select([fd], [], [], poll_seconds)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for raw in lines:
                    match = _PROGRESS_LINE.match(raw.decode("utf-8", "replace").strip())
                    if match and match.group(1) in ("out_time_us", "out_time_ms") and match.group(2).isdigit():
                        out_seconds = max(out_seconds, int(match.group(2)) / 1_000_000)
            now = time.monotonic()
            if now - last_poll >= poll_seconds:
                last_poll = now
                if should_cancel and should_cancel():
                    _kill_group(proc)
                    raise MediaCancelledError()
                if on_progress and duration > 0:
                    on_progress(min(1.0, out_seconds / duration))
        returncode = proc.wait()
    except BaseException:
        if proc.poll() is None:
            _kill_group(proc)
        raise
    finally:
        if proc.stdout:
            proc.stdout.close()
    tail = _tail(stderr_path)
    if returncode != 0:
        raise MediaError("ffmpeg_failed", tail or f"ffmpeg exited with code {returncode}")
    return RunResult(out_seconds=out_seconds, stderr_tail=tail)


def _tail(path: Path, limit: int = 3000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-limit:].decode("utf-8", "replace").strip()


def run_quiet(argv: list[str], *, timeout: float = 300) -> None:
    """A short ffmpeg step (poster, m4a); raises MediaError("ffmpeg_failed") with its stderr."""
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise MediaError("ffmpeg_failed", f"timed out after {timeout:.0f} s: {shlex.join(argv)}") from exc
    if done.returncode != 0:
        raise MediaError("ffmpeg_failed", done.stderr.decode("utf-8", "replace")[-3000:])


def require_ffmpeg() -> str:
    binary = ffmpeg_binary()
    if not binary:
        raise MediaError("no_ffmpeg")
    return binary


@dataclass
class Package:
    """What transcode_package wrote into out_dir, relative to it."""

    renditions: list[Rendition]
    has_audio: bool
    audio_file: str | None
    poster: str | None
    out_seconds: float


def transcode_package(
    *,
    source: Path,
    out_dir: Path,
    probe: MediaProbe,
    on_progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    on_start: Callable[[int], None] | None = None,
    work_dir: Path,
) -> Package:
    """Write the HLS ladder, the audio-only rendition, the m4a and the poster into out_dir."""
    binary = require_ffmpeg()
    renditions = choose_ladder(probe)
    has_audio = probe.audio is not None
    for name in [r.name for r in renditions] + (["audio"] if has_audio else []):
        (out_dir / name).mkdir(parents=True, exist_ok=True)
    argv = hls_argv(binary=binary, source=source, out_dir=out_dir, probe=probe, renditions=renditions)
    result = run_ffmpeg(
        argv,
        duration=probe.duration,
        on_progress=on_progress,
        should_cancel=should_cancel,
        on_start=on_start,
        stderr_path=work_dir / "ffmpeg-stderr.log",
    )
    # A file cut short after its header (a faststart MP4 copied halfway) decodes without an error
    # and simply stops: the output would be a lesson missing its end.
    if result.out_seconds < probe.duration * 0.9 - 1.0:
        raise MediaError("ended_early", result.stderr_tail, at=result.out_seconds, total=probe.duration)
    if not (out_dir / "master.m3u8").is_file():
        raise MediaError("ffmpeg_failed", result.stderr_tail or "no master playlist was written")
    audio_file = None
    if has_audio:
        run_quiet(
            audio_file_argv(
                binary=binary, audio_playlist=out_dir / "audio" / "index.m3u8", target=out_dir / "audio.m4a"
            )
        )
        audio_file = "audio.m4a"
    poster = None
    if renditions:
        top = renditions[0]
        at = min(5.0, probe.duration * 0.1)
        run_quiet(
            poster_argv(
                binary=binary,
                source=source,
                input_options={"ss": f"{at:.2f}"},
                target=out_dir / "poster.jpg",
                width=top.width,
                height=top.height,
            )
        )
        poster = "poster.jpg"
    if on_progress:
        on_progress(1.0)
    return Package(
        renditions=renditions, has_audio=has_audio, audio_file=audio_file, poster=poster, out_seconds=result.out_seconds
    )
