"""ffmpeg processes the supervisor owns, and how none of them outlives it.

Three layers, because each covers a way the others can miss:
1. Every ffmpeg reads its input from the supervisor's pipe: when the supervisor dies, the pipe
   closes and ffmpeg finishes its segment and exits by itself.
2. Linux PR_SET_PDEATHSIG: the kernel sends SIGTERM to ffmpeg when the supervisor's thread that
   started it dies (processes are started from the event loop's thread, which lives as long as
   the supervisor).
3. A pidfile per ffmpeg (pid + the kernel's start time of that pid, so a recycled pid is never
   mistaken for ours): at start the supervisor kills any process group a previous supervisor left
   behind — e.g. an ffmpeg stopped with SIGSTOP, which neither 1 nor 2 would end.

Each ffmpeg runs in its own session and process group, so one killpg ends it and anything it
started, and a Ctrl-C in the supervisor's terminal reaches the supervisor only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
_libc = None
if sys.platform.startswith("linux"):
    with contextlib.suppress(OSError):
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _die_with_parent() -> None:  # runs in the child between fork and exec: keep it minimal
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def process_start_ticks(pid: int) -> int | None:
    """The kernel's start time of `pid` (clock ticks since boot), or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its last ")".
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19])  # field 22 of the whole line


def process_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def processes_mentioning(text: str) -> list[int]:
    """Pids of processes whose command line mentions `text` (tests look for leftovers with it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and any(text in part for part in process_cmdline(int(entry.name))):
            found.append(int(entry.name))
    return found


class PidRegistry:
    """One JSON file per running ffmpeg under `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, pid: int) -> Path:
        return self.directory / f"ffmpeg-{pid}.json"

    def record(self, pid: int, *, event_id: int, role: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = {
            "pid": pid,
            "start": process_start_ticks(pid),
            "event": event_id,
            "role": role,
            "supervisor": os.getpid(),
            "recorded_at": time.time(),
        }
        tmp = self._path(pid).with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self._path(pid))

    def forget(self, pid: int) -> None:
        self._path(pid).unlink(missing_ok=True)

    def reap(self, *, timeout: float = 5.0) -> list[int]:
        """Kill the process groups of every recorded ffmpeg that is still the same process."""
        killed: list[int] = []
        if not self.directory.is_dir():
            return killed
        for path in sorted(self.directory.glob("ffmpeg-*.json")):
            try:
                data = json.loads(path.read_text())
                pid, start = int(data["pid"]), data.get("start")
            except (OSError, ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)
                continue
            if start is not None and process_start_ticks(pid) == start:
                logger.warning("live supervisor: ending leftover ffmpeg %s of event %s", pid, data.get("event"))
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                killed.append(pid)
            path.unlink(missing_ok=True)
        deadline = time.monotonic() + timeout
        while killed and time.monotonic() < deadline and any(process_start_ticks(p) is not None for p in killed):
            for pid in killed:  # our own children (tests) would linger as zombies otherwise
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(pid, os.WNOHANG)
            time.sleep(0.05)
        return killed


@dataclass
class Child:
    process: asyncio.subprocess.Process
    started: float
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid


async def spawn(argv: list[str], *, log_path: Path, registry: PidRegistry, event_id: int, role: str) -> Child:
    """Start ffmpeg with its stdin a pipe from us, in its own process group, dying with us."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        log.flush()
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 -- only a prctl call, nothing that can deadlock
        )
    registry.record(process.pid, event_id=event_id, role=role)
    return Child(process=process, started=time.monotonic(), log_path=log_path)


def signal_group(child: Child, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)


async def stop(child: Child, *, grace: float = 10.0) -> int | None:
    """Close ffmpeg's input so it finishes its segments; then SIGTERM, then SIGKILL the group."""
    process = child.process
    if process.stdin is not None and not process.stdin.is_closing():
        process.stdin.close()
    for sig, wait in ((None, grace), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        if sig is not None:
            signal_group(child, sig)
        try:
            return await asyncio.wait_for(process.wait(), wait)
        except TimeoutError:
            continue
    return process.returncode
