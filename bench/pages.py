"""Page-serving benchmark: the production topology against the naive one, same data, same run.

    .venv/bin/python bench/pages.py [--duration 5] [--workers 2] [--database var/bench-pages.sqlite3]

Setups (each serves the same demo-scale database on 127.0.0.1):
  naive  one Daphne process for everything, page cache off (CMS_PAGE_CACHE_SECONDS=0)
  ours   gunicorn WSGI workers (gthread) for HTTP pages, anonymous page cache on; in production
         Daphne runs beside them for WebSockets only (see README, "Production")

Pages: the portal, the news index, one news article and a Chinese search. For each setup and page:
  closed loop  --concurrency keep-alive connections for --duration seconds: requests/s, p50, p95
  open loop    --rate requests/s for --duration seconds (latency from the scheduled send time, so a
               server that falls behind shows it): p50, p95 and how many missed the --timeout
The server's CPU time per request is measured too (from /proc, for the server's whole process group):
unlike latency it does not depend on what else runs on the machine. The last line is the throughput
ratio ours / naive (geometric mean over the four pages).

The load generator only talks to 127.0.0.1, sends a bounded number of requests, and every wait has
a timeout. The database is seeded once (migrate + seed_demo) if it does not exist yet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the only address this benchmark ever sends to
MAX_REQUESTS_PER_RUN = 50_000
PAGES = {
    "home": "/",
    "news index": "/news/",
    "news page": None,  # a demo article, found after seeding
    "search": "/search/?q=" + quote("乡村振兴"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def base_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings_pages",
        DATABASE_URL=f"sqlite:///{database}",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return env


def ensure_database(database: Path) -> None:
    """Migrate and seed (both idempotent: a second run only reads)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    env = base_env(database)
    print(f"preparing {database} (migrate + seed_demo) …", flush=True)
    for argv in (["migrate", "--noinput", "-v0"], ["seed_demo", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *argv], cwd=REPO, env=env, check=True, timeout=900)


def first_news_url(database: Path) -> str:
    code = (
        "import django;django.setup();from cms.models import NewsPage;"
        "print(NewsPage.objects.live().order_by('-date','-pk').first().url)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=base_env(database), capture_output=True, text=True, timeout=120
    )
    url = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    if not url.startswith("/"):
        raise SystemExit(f"no demo news article found: {out.stderr[-500:]}")
    return url


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    proc: subprocess.Popen | None = None
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="bench-pages-", suffix=".log")[1]))

    def start(self) -> None:
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), timeout=1):
                return
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start within 60 s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.unlink(missing_ok=True)


def naive_server(database: Path) -> Server:
    port = free_port()
    env = {**base_env(database), "CMS_PAGE_CACHE_SECONDS": "0"}
    argv = [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "config.asgi:application"]
    return Server("naive: 1 Daphne, no page cache", argv, env, port)


def our_server(database: Path, workers: int, threads: int, worker_class: str = "gthread") -> Server:
    port = free_port()
    env = {**base_env(database), "CMS_PAGE_CACHE_SECONDS": "60"}
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
    ]
    return Server(f"ours: gunicorn {workers}×{threads} {worker_class} + page cache", argv, env, port)


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU seconds of every live process in the process group `pgid` (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, ..., utime (12th), stime (13th).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def drain(port: int, path: str, limit: float = 120.0) -> float:
    """Wait until a server that fell behind has worked off its queue (the page being measured answers
    three times in a row within a quarter of a second), so that one measurement's backlog does not
    land on the next. Returns the seconds waited."""

    async def probe() -> float:
        conn = Connection(port)
        t0 = time.monotonic()
        try:
            await conn.get(path, 10)
        finally:
            conn.close()
        return time.monotonic() - t0

    started = time.monotonic()
    deadline = started + limit
    quick = 0
    while time.monotonic() < deadline and quick < 3:
        try:
            quick = quick + 1 if asyncio.run(probe()) < 0.25 else 0
        except (TimeoutError, OSError, ValueError, IndexError):
            quick = 0
        if quick < 3:
            time.sleep(0.5 if quick else 1.0)
    return time.monotonic() - started


# --- A small keep-alive HTTP/1.1 client on asyncio --------------------------------------------


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, timeout: float) -> int:
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            if self.writer is None:
                self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(HOST, self.port), timeout)
            try:
                return await asyncio.wait_for(self._exchange(path), timeout)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, path: str) -> int:
        assert self.reader and self.writer
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: keep-alive\r\n\r\n".encode())
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, close, chunked = None, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value == "close":
                close = True
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length is not None:
            await self.reader.readexactly(length)
        else:
            await self.reader.read()
            close = True
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Result:
    latencies: list[float]
    errors: int
    elapsed: float
    cpu_seconds: float = 0.0  # the server's, while this ran

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_seconds * 1000 / len(self.latencies) if self.latencies else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def closed_loop(port: int, path: str, *, concurrency: int, duration: float, timeout: float) -> Result:
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + duration
    budget = [MAX_REQUESTS_PER_RUN]

    async def worker() -> None:
        nonlocal errors
        conn = Connection(port)
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            t0 = time.monotonic()
            try:
                status = await conn.get(path, timeout)
                if status == 200:
                    latencies.append(time.monotonic() - t0)
                else:
                    errors += 1
            except (TimeoutError, OSError, ValueError, IndexError):
                errors += 1
                conn.close()
        conn.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(latencies, errors, time.monotonic() - started)


async def open_loop(port: int, path: str, *, rate: float, duration: float, timeout: float) -> Result:
    """Send at a fixed rate; latency counts from the scheduled time (no coordinated omission)."""
    total = min(MAX_REQUESTS_PER_RUN, int(rate * duration))
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0
    started = time.monotonic()

    async def one(scheduled: float) -> None:
        nonlocal errors
        conn = pool.get_nowait() if not pool.empty() else Connection(port)
        try:
            status = await conn.get(path, timeout)
            if status == 200:
                latencies.append(time.monotonic() - scheduled)
            else:
                errors += 1
        except (TimeoutError, OSError, ValueError, IndexError):
            errors += 1
            conn.close()
        pool.put_nowait(conn)

    tasks = []
    for i in range(total):
        scheduled = started + i / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().close()
    return Result(latencies, errors, time.monotonic() - started)


def warm(port: int, paths: list[str]) -> None:
    async def go() -> None:
        conn = Connection(port)
        for path in paths:
            for _ in range(20):  # every worker process renders and caches
                with contextlib.suppress(OSError, asyncio.TimeoutError, ValueError):
                    await conn.get(path, 30)
        conn.close()

    asyncio.run(go())


def measure(server: Server, pages: dict[str, str], args) -> dict[str, tuple[Result, Result]]:
    server.start()
    try:
        warm(server.port, list(pages.values()))
        results = {}
        for name, path in pages.items():
            waited = drain(server.port, path)
            cpu_before = group_cpu_seconds(server.proc.pid)
            closed = asyncio.run(
                closed_loop(
                    server.port, path, concurrency=args.concurrency, duration=args.duration, timeout=args.timeout
                )
            )
            closed.cpu_seconds = group_cpu_seconds(server.proc.pid) - cpu_before
            waited += drain(server.port, path)
            opened = asyncio.run(
                open_loop(server.port, path, rate=args.rate, duration=args.duration, timeout=args.timeout)
            )
            results[name] = (closed, opened)
            print(
                f"  {server.name[:5]:<5} {name:<11} {closed.rate:8.1f} req/s  p50 {closed.pct(0.5):7.1f} ms  "
                f"p95 {closed.pct(0.95):7.1f} ms  cpu {closed.cpu_ms_per_request:6.2f} ms/req | "
                f"@{args.rate:g}/s p50 {opened.pct(0.5):7.1f} ms  "
                f"p95 {opened.pct(0.95):7.1f} ms  errors {closed.errors + opened.errors}  (drained {waited:.0f} s)",
                flush=True,
            )
        return results
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", type=Path, default=REPO / "var" / "bench-pages.sqlite3")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement (max 30)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s (max 2000)")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    args.duration = min(args.duration, 30.0)
    args.rate = min(args.rate, 2000.0)

    database = args.database.resolve()
    ensure_database(database)
    pages = dict(PAGES)
    pages["news page"] = first_news_url(database)
    print(f"database {database}; pages {pages}")
    print(
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes skew every figure)"
    )
    print(f"closed loop: {args.concurrency} connections × {args.duration:g} s; open loop: {args.rate:g} req/s")

    naive = measure(naive_server(database), pages, args)
    ours = measure(our_server(database, args.workers, args.threads), pages, args)

    print()
    print(
        f"{'page':<11} {'naive req/s':>12} {'ours req/s':>11} {'×':>6}   "
        f"ours @{args.rate:g}/s p95   naive @{args.rate:g}/s p95"
    )
    ratios, cpu_ratios = [], []
    for name in pages:
        n, o = naive[name][0].rate, ours[name][0].rate
        ratio = o / n if n else float("inf")
        ratios.append(ratio)
        cpu_ratios.append(naive[name][0].cpu_ms_per_request / ours[name][0].cpu_ms_per_request)
        print(
            f"{name:<11} {n:12.1f} {o:11.1f} {ratio:6.1f}   {ours[name][1].pct(0.95):12.1f} ms   "
            f"{naive[name][1].pct(0.95):13.1f} ms"
        )
    print()
    print("server CPU per request (independent of other load on the machine) and the rate it allows:")
    cores = os.cpu_count() or 1
    for name in pages:
        n_cpu, o_cpu = naive[name][0].cpu_ms_per_request, ours[name][0].cpu_ms_per_request
        print(
            f"{name:<11} naive {n_cpu:7.2f} ms (1 process: <= {1000 / n_cpu:6.0f} req/s)   ours {o_cpu:6.2f} ms "
            f"({args.workers} workers on {cores} cores: <= {min(args.workers, cores) * 1000 / o_cpu:6.0f} req/s)"
        )
    finite = [r for r in cpu_ratios if r > 0 and math.isfinite(r)]
    if finite:
        print(f"CPU per request, naive / ours: {math.exp(statistics.fmean(math.log(r) for r in finite)):.1f}x")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    finite = [r for r in ratios if r > 0 and math.isfinite(r)]
    geo = math.exp(statistics.fmean(math.log(r) for r in finite)) if finite else float("inf")
    print(f"throughput ratio ours / naive: {geo:.1f}×")


if __name__ == "__main__":
    main()
