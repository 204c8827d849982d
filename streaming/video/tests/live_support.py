"""Helpers for the live video suites: a real supervisor process, real ffmpeg publishers, HLS checks.

Importing this module points LIVE_RUN_DIR and LIVE_MEDIA_ROOT of every subprocess the test run
starts (Daphne, supervisors) at fresh temporary directories, so tests never meet a developer's
running supervisor or each other's output. Only streaming.video reads these two variables.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from core.ffmpeg import ffmpeg_binary
from streaming.video.supervision.processes import process_cmdline, processes_mentioning
from streaming.video.tests.media import encoder_args

RUN_ROOT = Path(tempfile.mkdtemp(prefix="lv-"))  # short: a Unix socket path must stay under 108 bytes
atexit.register(shutil.rmtree, RUN_ROOT, ignore_errors=True)
os.environ.setdefault("LIVE_RUN_DIR", str(RUN_ROOT / "run"))
os.environ.setdefault("LIVE_MEDIA_ROOT", str(RUN_ROOT / "media"))
LIVE_RUN_DIR = Path(os.environ["LIVE_RUN_DIR"])
LIVE_MEDIA_ROOT = Path(os.environ["LIVE_MEDIA_ROOT"])
REPO_ROOT = Path(__file__).resolve().parents[3]


def wait_for(predicate: Callable[[], object], timeout: float, what: str, *, interval: float = 0.2, diagnostics=None):
    """The first truthy value of predicate() within timeout; AssertionError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = diagnostics() if diagnostics else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
        time.sleep(interval)


class SupervisorProcess:
    """`manage.py live_supervisor` on the test database, with RTMP on a free local port."""

    def __init__(self, env: dict[str, str], rtmp_port: int) -> None:
        self.env = env
        self.rtmp_port = rtmp_port
        self.proc: subprocess.Popen | None = None
        self.log_path = RUN_ROOT / f"supervisor-{rtmp_port}-{time.monotonic_ns()}.log"

    def start(self, *, stall_seconds: float | None = None) -> SupervisorProcess:
        argv = [
            sys.executable,
            "manage.py",
            "live_supervisor",
            "--rtmp-host",
            "127.0.0.1",
            "--rtmp-port",
            str(self.rtmp_port),
            "--poll",
            "0.3",
        ]
        if stall_seconds is not None:
            argv += ["--stall-seconds", str(stall_seconds)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        wait_for(
            lambda: "RTMP on" in self.log() or self.proc.poll() is not None,
            60,
            "the supervisor to start",
            diagnostics=self.diagnostics,
        )
        assert self.proc.poll() is None, f"supervisor exited{self.diagnostics()}"
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def diagnostics(self) -> str:
        logs = ""
        log_dir = LIVE_RUN_DIR / "logs"
        if log_dir.is_dir():
            for path in sorted(log_dir.glob("*.log")):
                logs += f"\n--- {path.name}:\n{path.read_text(errors='replace')[-3000:]}"
        return f"\n--- supervisor log:\n{self.log()[-6000:]}{logs}"

    def kill_hard(self) -> None:
        """SIGKILL the supervisor alone, as a crash would: nothing of it gets to clean up."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def publisher(url: str, *, seconds: float, size: str = "854x480") -> subprocess.Popen:
    """ffmpeg pushing a test pattern with a tone to `url` in real time (-re), like OBS would."""
    argv = [
        ffmpeg_binary(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        *encoder_args(seconds=seconds, size=size, preset="ultrafast", realtime=True),
        "-f",
        "flv",
        url,
    ]
    return subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


def end_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def ffmpeg_processes_of(event_id: int) -> list[int]:
    """Running ffmpeg processes writing into the event's live directory (from the process table)."""
    from streaming.video.packaging.paths import event_dir_name

    name = event_dir_name(event_id)
    return [
        pid for pid in processes_mentioning(name) if "ffmpeg" in os.path.basename((process_cmdline(pid) or [""])[0])
    ]


def media_playlists(master: str) -> list[str]:
    uris = re.findall(r'URI="([^"]+)"', master)
    uris += [line for line in master.splitlines() if line and not line.startswith("#")]
    return list(dict.fromkeys(uris))


def segments_of(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def get(session: requests.Session, url: str) -> requests.Response:
    return session.get(url, timeout=15)
