"""No ffmpeg outlives its supervisor: the parent-death signal, and the reaping of recorded leftovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from core.ffmpeg import ffmpeg_binary
from streaming.video.supervision.processes import PidRegistry, process_start_ticks
from streaming.video.tests.live_support import wait_for

# A stand-in for an ffmpeg that does not read its input: only a signal can end it.
IDLE_FFMPEG = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-nostdin",
    "-re",
    "-f",
    "lavfi",
    "-i",
    "nullsrc=s=16x16:r=5",
    "-f",
    "null",
    "-",
]


def test_ffmpeg_dies_with_the_process_that_started_it(tmp_path):
    marker = f"pdeathsig-{time.monotonic_ns()}"
    script = textwrap.dedent(f"""
        import asyncio, sys
        from pathlib import Path
        from streaming.video.supervision.processes import PidRegistry, spawn
        async def main():
            child = await spawn({[ffmpeg_binary(), *IDLE_FFMPEG, "-metadata", f"title={marker}"]!r},
                                log_path=Path({str(tmp_path / "ffmpeg.log")!r}),
                                registry=PidRegistry(Path({str(tmp_path / "pids")!r})), event_id=1, role="test")
            print(child.pid, flush=True)
            await asyncio.sleep(60)
        asyncio.run(main())
    """)
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    pid = int(parent.stdout.readline())
    assert process_start_ticks(pid) is not None
    assert os.getpgid(pid) == pid  # its own process group
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    wait_for(lambda: process_start_ticks(pid) is None, 10, "ffmpeg to die with its parent")


def test_reap_ends_recorded_leftovers_and_nothing_else(tmp_path):
    registry = PidRegistry(tmp_path)
    leftover = subprocess.Popen([ffmpeg_binary(), *IDLE_FFMPEG], start_new_session=True)
    stranger = subprocess.Popen([ffmpeg_binary(), *IDLE_FFMPEG], start_new_session=True)
    try:
        wait_for(lambda: process_start_ticks(leftover.pid) and process_start_ticks(stranger.pid), 5, "ffmpeg")
        os.kill(leftover.pid, signal.SIGSTOP)  # stopped: it would never notice its input closing
        registry.record(leftover.pid, event_id=1, role="packager")
        # A pid whose recorded start time differs is another process that got a recycled pid.
        registry.record(stranger.pid, event_id=2, role="packager")
        data = (tmp_path / f"ffmpeg-{stranger.pid}.json").read_text().replace('"start": ', '"start": 1')
        (tmp_path / f"ffmpeg-{stranger.pid}.json").write_text(data)
        (tmp_path / "ffmpeg-999999999.json").write_text("not json")

        assert registry.reap() == [leftover.pid]
        assert process_start_ticks(leftover.pid) is None  # killed (and, being our child, waited for)
        assert stranger.poll() is None
        assert list(tmp_path.iterdir()) == []  # every pidfile is dealt with
    finally:
        for proc in (leftover, stranger):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
