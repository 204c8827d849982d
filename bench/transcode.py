"""Transcoding figures: our media pipeline beside the raw ffmpeg command, our ladder beside a naive one.

On one generated input (ffmpeg test pattern + tone, --seconds long, --size, encoded the way a phone
or an editing program exports: H.264 high profile, CRF 20), in one run on this machine:

(a) overhead — our whole pipeline as the background task runs it (probe, the one-run HLS ladder
    with progress read from ffmpeg and written to the database about once a second, the cancel
    flag polled, the m4a and poster, everything copied into storage) beside the equivalent single
    raw ffmpeg command (the same ladder argv, run bare). Goal ≤ 1.05×.
(b) ladder — our single ffmpeg run that decodes once and splits into every rung, beside a naive
    ladder that runs one ffmpeg per rendition (each decoding the source again) plus one for the
    audio-only rendition. Goal: ours ≥ 2× faster.

Prints wall times and realtime factors (seconds of media per second of wall time); the last line
is the ratio naive / ours. A scratch SQLite database and media root are used (migrated first, not
timed).

    .venv/bin/python bench/transcode.py --seconds 60 --size 1920x1080
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(work: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'db.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("VAR_DIR", str(work / "var"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_input(binary: str, target: Path, seconds: int, size: str, rate: int) -> None:
    subprocess.run(
        [
            binary,
            "-hide_banner",
            "-nostdin",
            "-y",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={size}:rate={rate}",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:beep_factor=2",
            "-t",
            str(seconds),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            str(target),
        ],
        check=True,
    )


def wall(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_pipeline(source: Path) -> float:
    """Upload-to-ready as the worker does it: our service, with its database and storage writes."""
    from django.core.files import File
    from django.core.files.storage import default_storage

    from learning.models import MediaAsset
    from learning.services.media import media_asset_process, storage_delete_tree

    with open(source, "rb") as handle:
        name = default_storage.save("learning/sources/bench.mp4", File(handle))
    asset = MediaAsset.objects.create(title="bench", source=name, status="queued", attempt=1)
    seconds = wall(lambda: media_asset_process(asset_id=asset.pk, attempt=1))
    asset.refresh_from_db()
    if asset.status != "ready":
        raise SystemExit(f"the pipeline failed: {asset.error_code} {asset.error_detail}")
    storage_delete_tree(f"learning/media/{asset.storage_key}")
    default_storage.delete(name)
    asset.delete()
    return seconds


def run_raw(binary: str, source: Path, out: Path) -> float:
    """The same ladder argv our pipeline builds, run bare: no progress reading, no database, no storage."""
    from learning.services.probe import probe_media
    from learning.services.transcode import choose_ladder, hls_argv

    probe = probe_media(source)
    renditions = choose_ladder(probe)
    for name in [r.name for r in renditions] + ["audio"]:
        (out / name).mkdir(parents=True, exist_ok=True)
    argv = hls_argv(binary=binary, source=source, out_dir=out, probe=probe, renditions=renditions)
    argv = [a for a in argv if a not in ("-progress", "pipe:1")]  # nothing reads it here
    return wall(lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL))


def naive_argvs(binary: str, source: Path, out: Path) -> list[list[str]]:
    """One ffmpeg per rendition, each decoding the whole source again, as a first script would."""
    from learning.services.probe import probe_media
    from learning.services.transcode import (
        AUDIO_BITRATE,
        KEYFRAME_SECONDS,
        SEGMENT_SECONDS,
        X264_PRESET,
        choose_ladder,
        output_fps,
    )

    probe = probe_media(source)
    fps = output_fps(probe)
    gop = str(fps * KEYFRAME_SECONDS)
    hls = ["-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod", "-hls_list_size", "0"]
    argvs = []
    for r in choose_ladder(probe):
        (out / r.name).mkdir(parents=True, exist_ok=True)
        argvs.append(
            [
                binary,
                "-hide_banner",
                "-nostdin",
                "-y",
                "-v",
                "error",
                "-i",
                str(source),
                "-vf",
                f"fps={fps},scale={r.width}:{r.height},setsar=1,format=yuv420p",
                "-an",
                "-c:v",
                "libx264",
                "-preset",
                X264_PRESET,
                "-profile:v",
                "main",
                "-g",
                gop,
                "-keyint_min",
                gop,
                "-sc_threshold",
                "0",
                "-b:v",
                f"{r.video_kbps}k",
                "-maxrate",
                f"{round(r.video_kbps * 1.1)}k",
                "-bufsize",
                f"{r.video_kbps * 2}k",
                *hls,
                "-hls_segment_filename",
                str(out / r.name / "seg%04d.ts"),
                str(out / r.name / "index.m3u8"),
            ]
        )
    (out / "audio").mkdir(parents=True, exist_ok=True)
    argvs.append(
        [
            binary,
            "-hide_banner",
            "-nostdin",
            "-y",
            "-v",
            "error",
            "-i",
            str(source),
            "-vn",
            "-af",
            "aresample=async=1:first_pts=0",
            "-c:a",
            "aac",
            "-b:a",
            AUDIO_BITRATE,
            "-ac",
            "2",
            "-ar",
            "44100",
            *hls,
            "-hls_segment_filename",
            str(out / "audio" / "seg%04d.ts"),
            str(out / "audio" / "index.m3u8"),
        ]
    )
    return argvs


def run_naive(binary: str, source: Path, out: Path) -> float:
    argvs = naive_argvs(binary, source, out)
    return wall(lambda: [subprocess.run(argv, check=True) for argv in argvs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="length of the generated input")
    parser.add_argument("--size", default="1920x1080", help="picture size of the input (phones film 1080p)")
    parser.add_argument("--rate", type=int, default=30, help="frame rate of the input")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the three variants (medians shown)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-transcode-"))
    try:
        setup(work)
        from core.ffmpeg import ffmpeg_binary, ffmpeg_version
        from learning.services.probe import probe_media
        from learning.services.transcode import X264_PRESET, choose_ladder

        binary = ffmpeg_binary()
        if not binary:
            raise SystemExit("no ffmpeg found (set FFMPEG_BINARY)")
        source = work / "input.mp4"
        make_input(binary, source, args.seconds, args.size, args.rate)
        duration = probe_media(source).duration
        ladder = " + ".join(f"{r.name} ({r.width}x{r.height})" for r in choose_ladder(probe_media(source)))
        print(f"ffmpeg {ffmpeg_version()} at {binary}; {os.cpu_count()} CPUs; x264 {X264_PRESET}")
        print(f"input: {args.size} {args.rate} fps, {duration:.1f} s, H.264 high CRF 20 + AAC")
        print(f"ladder: {ladder} + audio-only AAC, 4-second segments\n")

        def pipeline(out: Path) -> float:
            return run_pipeline(source)

        def raw(out: Path) -> float:
            return run_raw(binary, source, out)

        def naive(out: Path) -> float:
            return run_naive(binary, source, out)

        # Rounds interleave the variants, so that a slower spell of a shared machine falls on all of them.
        samples: dict[str, tuple[list[float], list[float]]] = {f.__name__: ([], []) for f in (raw, pipeline, naive)}
        for i in range(args.repeat):
            for func in (raw, pipeline, naive):
                out = work / f"out-{func.__name__}-{i}"
                cpu_before = cpu_seconds()
                samples[func.__name__][0].append(func(out))
                samples[func.__name__][1].append(cpu_seconds() - cpu_before)
                shutil.rmtree(out, ignore_errors=True)

        def median_of(name: str) -> tuple[float, float]:
            walls, cpus = samples[name]
            return statistics.median(walls), statistics.median(cpus)

        t_raw, c_raw = median_of("raw")
        t_pipeline, c_pipeline = median_of("pipeline")
        t_naive, c_naive = median_of("naive")

        def line(label: str, seconds: float, cpu: float) -> str:
            return f"  {label:<50} {seconds:7.2f} s wall {duration / seconds:5.2f}× realtime  {cpu:7.2f} s CPU"

        print("(a) overhead of the pipeline")
        print(line("our pipeline (probe, ladder, m4a, poster, DB, storage)", t_pipeline, c_pipeline))
        print(line("the same ladder as one raw ffmpeg command", t_raw, c_raw))
        print(f"  overhead: {t_pipeline / t_raw:.3f}× wall, {c_pipeline / c_raw:.3f}× CPU (goal ≤ 1.05×)\n")
        print("(b) ladder: decode once and split, beside one ffmpeg per rendition")
        print(line("ours: one ffmpeg run", t_raw, c_raw))
        print(line("naive: one ffmpeg per rendition + one for audio", t_naive, c_naive))
        print(f"  CPU: naive / ours {c_naive / c_raw:.2f}×")
        print(f"naive / ours: {t_naive / t_raw:.2f}× (goal ≥ 2×)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
