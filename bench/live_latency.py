"""Live latency: seconds from a frame entering ffmpeg to a player being able to show it.

An encoder stand-in (ffmpeg, real time with -re) draws a test pattern with a clock and a frame
counter burned in (drawtext: the frame's presentation time and number), encodes it the way we ask
hosts to set up OBS (H.264, keyframe every second, AAC) and writes FLV. This script reads that FLV
tag by tag and writes each tag into the packager's stdin — exactly how the RTMP front door feeds it
— noting the wall-clock time at which every video frame (counter n, timestamp n/30 s) entered
ffmpeg. Meanwhile it watches the packager's top media playlist every 10 ms: when a segment is
listed (and, thanks to temp_file, already complete on disk: a player can download it), every frame
in it became showable at that moment. Afterwards each segment's frames are read back with ffprobe
and mapped to their send times by timestamp.

Configurations, one after the other on the same machine in the same run, same source:
  ours           the production argv (streaming.video.packaging.ladder) for an RTMP H.264 source: the source's
                 720p copied as the top rendition, 360p encoded, 1 s segments, closed GOPs;
  ours-encoded   the same with passthrough off (what a browser source gets: every rendition encoded);
  defaults       ffmpeg's HLS defaults: `-c:v libx264 -preset veryfast -tune zerolatency -c:a aac
                 -f hls index.m3u8` (hls_time 2, x264's own keyframe interval, one rendition).
Measured on the top rendition; the first --warmup seconds (ffmpeg starting) and the segment the end of
the input cuts short are left out. A player adds its own buffer on top (ours keeps ~2 segments).
Prints median and p95 per configuration and the packager's CPU use; goal: ours median ≤ 4 s.
The last line is the ratio of the medians, ours / defaults.

    .venv/bin/python bench/live_latency.py --seconds 40
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from streaming.video.ingest.units import SourceInfo  # noqa: E402
from streaming.video.packaging.ladder import choose_ladder, packager_argv  # noqa: E402
from streaming.video.tests.media import encoder_args  # noqa: E402

FPS = 30
CLOCK = "drawtext=fontcolor=white:fontsize=44:box=1:boxcolor=black@0.6:x=40:y=40:text='t=%{pts\\:flt}  n=%{frame_num}'"


def ffmpeg() -> str:
    from core.ffmpeg import ffmpeg_binary

    binary = ffmpeg_binary()
    if not binary:
        sys.exit("no ffmpeg found")
    return binary


def encoder_argv(binary: str, seconds: int, size: str, clock: bool) -> list[str]:
    args = encoder_args(
        seconds=seconds,
        size=size,
        rate=FPS,
        gop=FPS,
        preset="ultrafast",
        video_filter=CLOCK if clock else "",
        realtime=True,
    )
    return [binary, "-hide_banner", "-loglevel", "error", "-nostdin", *args, "-b:v", "2500k", "-f", "flv", "pipe:1"]


def configurations(binary: str, out: Path, size: str) -> dict[str, tuple[list[str], Path]]:
    width, height = map(int, size.split("x"))
    info = SourceInfo("flv", "h264", width, height, has_audio=True, codec_string="avc1.42c01f")
    configs = {}
    for name, passthrough in (("ours", True), ("ours-encoded", False)):
        ladder = choose_ladder(info, passthrough=passthrough)
        target = out / name
        argv = packager_argv(binary=binary, info=info, ladder=ladder, out_dir=target)
        configs[name] = (argv, target / ladder[0].name / "index.m3u8")
    target = out / "defaults"
    target.mkdir(parents=True)
    configs["defaults"] = (
        [
            binary,
            "-hide_banner",
            "-loglevel",
            "warning",
            "-f",
            "flv",
            "-i",
            "pipe:0",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-f",
            "hls",
            str(target / "index.m3u8"),
        ],
        target / "index.m3u8",
    )
    return configs


class Watcher(threading.Thread):
    """Notes the moment each segment first appears in the media playlist."""

    def __init__(self, playlist: Path) -> None:
        super().__init__(daemon=True)
        self.playlist = playlist
        self.listed: dict[str, float] = {}
        self.order: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        last = None
        while not self.stop.is_set():
            self.check(last)
            try:
                last = self.playlist.stat().st_mtime_ns
            except OSError:
                last = None
            time.sleep(0.01)
        self.check(None)

    def check(self, last) -> None:
        try:
            if last is not None and self.playlist.stat().st_mtime_ns == last:
                return
            text = self.playlist.read_text()
        except OSError:
            return
        now = time.time()
        for line in text.splitlines():
            listed = line and not line.startswith("#") and line not in self.listed
            if listed and (self.playlist.parent / line).is_file():  # listed and downloadable
                self.listed[line] = now
                self.order.append(line)


def feed(encoder: subprocess.Popen, packager: subprocess.Popen, sent: dict[int, float]) -> None:
    """Copy FLV from the encoder into the packager tag by tag, timing each video frame's entry."""
    source, sink = encoder.stdout, packager.stdin
    header = source.read(13)
    sink.write(header)
    sink.flush()
    while True:
        head = source.read(11)
        if len(head) < 11:
            break
        size = int.from_bytes(head[1:4], "big")
        body = source.read(size + 4)
        sink.write(head + body)
        sink.flush()
        if head[0] == 9 and not (body[0] & 0x0F == 7 and body[1] == 0):  # a video frame, not the set-up
            sent[int.from_bytes(head[4:7], "big") | (head[7] << 24)] = time.time()
    sink.close()


def frame_times(binary: str, segment: Path) -> list[float]:
    probe = shutil.which("ffprobe") or binary.replace("ffmpeg", "ffprobe")
    out = subprocess.run(
        [
            probe,
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "json",
            str(segment),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(p["pts_time"]) for p in json.loads(out.stdout).get("packets", []) if "pts_time" in p]


def run(
    name: str, argv: list[str], playlist: Path, *, binary: str, seconds: int, size: str, warmup: float, clock: bool
) -> dict:
    sent: dict[int, float] = {}
    packager = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watcher = Watcher(playlist)
    watcher.start()
    encoder = subprocess.Popen(
        encoder_argv(binary, seconds, size, clock), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    feed(encoder, packager, sent)
    input_closed = time.time()
    encoder.wait()
    _, status, usage = os.wait4(packager.pid, 0)
    packager.returncode = os.waitstatus_to_exitcode(status)
    watcher.stop.set()
    watcher.join()
    if packager.returncode != 0:
        sys.exit(f"{name}: packager failed: {packager.stderr.read().decode(errors='replace')[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime

    stamps = sorted(sent)
    first_ts = stamps[0]
    # A segment listed after the input closed was cut short by the end of the stream, not by the settings.
    per_segment = [
        (seg, watcher.listed[seg], frame_times(binary, playlist.parent / seg))
        for seg in watcher.order
        if watcher.listed[seg] < input_closed
    ]
    first_pts = min(min(times) for _, _, times in per_segment if times)
    latencies, durations = [], []
    for _, listed, times in per_segment:
        if times:
            durations.append(max(times) - min(times) + 1 / FPS)
        for pts in times:
            ts = round((pts - first_pts) * 1000) + first_ts
            i = bisect.bisect_left(stamps, ts)
            nearest = min((stamps[j] for j in (i - 1, i) if 0 <= j < len(stamps)), key=lambda s: abs(s - ts))
            if nearest >= first_ts + warmup * 1000 and abs(nearest - ts) <= 20:
                latencies.append(listed - sent[nearest])
    latencies.sort()
    return {
        "name": name,
        "frames": len(latencies),
        "segments": len(per_segment),
        "segment_seconds": statistics.median(durations) if durations else 0,
        "median": statistics.median(latencies),
        "p95": statistics.quantiles(latencies, n=20)[18],
        "max": latencies[-1],
        "cpu_per_media_second": cpu / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=40, help="seconds of video per configuration")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--warmup", type=float, default=3.0, help="leave out frames sent in the first seconds")
    parser.add_argument("--only", nargs="*", help="run only these configurations")
    args = parser.parse_args()
    binary = ffmpeg()
    clock = (
        subprocess.run([binary, "-hide_banner", "-filters"], capture_output=True, text=True).stdout.find(" drawtext ")
        >= 0
    )
    work = Path(tempfile.mkdtemp(prefix="live-latency-"))
    try:
        configs = configurations(binary, work, args.size)
        print(
            f"ffmpeg {binary}; {args.seconds} s of {args.size} at {FPS} fps per configuration, keyframe every 1 s; "
            f"clock burned in: {'yes' if clock else 'no (drawtext missing)'}; {os.cpu_count()} CPUs"
        )
        print(
            f"{'configuration':<14} {'segment':>8} {'median':>8} {'p95':>8} {'max':>8} {'frames':>7} "
            f"{'CPU s per media s':>18}"
        )
        results = {}
        for name, (argv, playlist) in configs.items():
            if args.only and name not in args.only:
                continue
            r = run(
                name,
                argv,
                playlist,
                binary=binary,
                seconds=args.seconds,
                size=args.size,
                warmup=args.warmup,
                clock=clock,
            )
            results[name] = r
            print(
                f"{name:<14} {r['segment_seconds']:>7.2f}s {r['median']:>7.2f}s {r['p95']:>7.2f}s {r['max']:>7.2f}s "
                f"{r['frames']:>7} {r['cpu_per_media_second']:>18.2f}",
                flush=True,
            )
        if "ours" in results:
            verdict = "met" if results["ours"]["median"] <= 4 else "NOT met"
            print(f"goal: ours median ≤ 4 s — {verdict} ({results['ours']['median']:.2f} s)")
        if "ours" in results and "defaults" in results:
            ratio = results["ours"]["median"] / results["defaults"]["median"]
            print(f"latency ratio ours / defaults (median): {ratio:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
