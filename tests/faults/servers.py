"""Private servers a fault test may kill: a redis-server and a PostgreSQL cluster on free ports.

The Redis and PostgreSQL of the machine are shared (other runs, other people): a fault test never
stops them. It starts its own instance, points the servers under test at it, and kills that one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


class PrivateRedis:
    """redis-server on a free port, without persistence: a restart comes back empty."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)", pytrace=False)
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="fault-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        argv += ["--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
        _wait(self.answers, 15, f"the private redis-server on port {self.port}")
        return self

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except (OSError, redis.RedisError):
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: nothing is saved."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb) on a free port, owned by the `postgres` user when the
    tests run as root (initdb refuses root), by the current user otherwise."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            pytest.skip(f"no PostgreSQL server binaries at {PG_BIN} (set PG_BIN)")
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="fault-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root: the cluster belongs to the postgres user.
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")
            self.root.chmod(0o700)

    @property
    def url_base(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, *argv: str, timeout: float = 120) -> None:
        done = subprocess.run([*self.as_user, *argv], capture_output=True, timeout=timeout, cwd=self.root)
        if done.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} failed: {done.stdout.decode()[-2000:]}{done.stderr.decode()[-2000:]}"
            )

    def init(self) -> PrivatePostgres:
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"
        )
        return self.start()

    def start(self) -> PrivatePostgres:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=on"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"
        )
        return self

    def crash(self) -> None:
        """Stop in immediate mode: every backend is killed, nothing is flushed but the WAL (a crash)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def psql(self, *args: str, stdin: bytes | None = None, database: str = "postgres") -> bytes:
        done = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{self.url_base}/{database}", *args],
            input=stdin,
            capture_output=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise AssertionError(f"psql {' '.join(args)} failed: {done.stderr.decode()[-2000:]}")
        return done.stdout

    def close(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def small_disk(megabytes: int) -> Iterator[Path]:
    """A tmpfs of `megabytes` MB mounted on a fresh directory: a disk that fills up for real.

    Mounting needs root (CAP_SYS_ADMIN); without it the test is skipped with the reason."""
    target = Path(tempfile.mkdtemp(prefix="fault-disk-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0777", "tmpfs", str(target)],
        capture_output=True,
        timeout=30,
    )
    if done.returncode != 0:
        target.rmdir()
        pytest.skip(f"cannot mount a small tmpfs to fill a disk (needs root): {done.stderr.decode().strip()}")
    try:
        yield target
    finally:
        for _ in range(50):
            if subprocess.run(["umount", str(target)], capture_output=True, timeout=30).returncode == 0:
                break
            time.sleep(0.1)  # a process that had files open there may still be exiting
        with contextlib.suppress(OSError):
            target.rmdir()


def kill_process(proc: subprocess.Popen) -> None:
    """SIGKILL the process alone (not its group): a crash of that process."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
