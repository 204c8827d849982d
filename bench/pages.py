"""Page-serving benchmark: the production topology against the naive one, same data, same run.

    .venv/bin/python bench/pages.py [--duration 5] [--workers 2] [--database var/bench-pages.sqlite3]

Setups (each serves the same demo-scale database on 127.0.0.1):
  naive  one Daphne process for everything, page cache off (CMS_PAGE_CACHE_SECONDS=0)
  ours   gunicorn WSGI workers (gthread) for HTTP pages, anonymous page cache on, started as the
         README's production command (`--forwarded-allow-ips ''`: only the proxy's headers count); in
         production Daphne runs beside them for WebSockets only (see README, "Production")

Pages: the portal, the news index, one news article and a Chinese search. For each setup and page:
  closed loop  --concurrency keep-alive connections for --duration seconds: requests/s, p50, p95
  open loop    --rate requests/s for --duration seconds (latency from the scheduled send time, so a
               server that falls behind shows it): p50, p95 and how many missed the --timeout
The server's CPU time per request is measured too (from /proc, for the server's whole process group):
unlike latency it does not depend on what else runs on the machine. The last lines are the throughput
ratios ours / naive (geometric means over the four pages) for cache misses and cache hits, and the
signed-in members' pages/s ours / naive.

Cache misses and signed-in members (a live-event evening; the page cache serves neither):
  misses       the same four anonymous pages through the production shape with the page cache off
               (CMS_PAGE_CACHE_SECONDS=0), next to the naive setup (which has no cache either)
  members      --members signed-in members (demo_member, one session each) each loading portal, news,
               courses, learning record, the newest live event and the forum in turn: closed loop
               (pages/s, p50, p95) and an open loop at --member-rate pages/s, on both setups
  in-process   each member page through Django's test client in one process (no HTTP, no other
               load from this benchmark): median and p95 server time and the number of SQL queries
               (goal: <= 10 ms and <= 12 queries per signed-in page)

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
MEMBER = "demo_member"  # seed_demo's party member (a branch's 党员)
# What a member loads on a live-event evening; None: found after seeding.
MEMBER_PAGES = {
    "portal": "/",
    "news": "/news/",
    "courses": "/courses/",
    "record": "/learning/record/",
    "live": None,  # the event on air the member may watch (else the newest one)
    "forum": "/forum/",
}
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


def run_in_django(database: Path, code: str, timeout: float = 300) -> str:
    """Run `code` in a Django process on the benchmark's database; its last stdout line."""
    out = subprocess.run(
        [sys.executable, "-c", "import django;django.setup()\n" + code],
        cwd=REPO,
        env=base_env(database),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if out.returncode or not out.stdout.strip():
        raise SystemExit(f"benchmark helper failed: {out.stderr[-1500:]}")
    return out.stdout.strip().splitlines()[-1]


MEMBER_SETUP = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from streaming import access
from streaming.models import LiveEvent
user = get_user_model().objects.get(username=MEMBER)
events = access.events_visible_to(user).order_by("-scheduled_start", "-pk")
event = events.filter(state=LiveEvent.State.LIVE).first() or events.first()
cookies = []
for _ in range(COUNT):
    client = Client()
    client.force_login(user)
    cookies.append(client.cookies["sessionid"].value)
print(json.dumps({"live": f"/live/{event.pk}/" if event else "", "sessions": cookies}))
"""


def member_setup(database: Path, count: int) -> tuple[dict[str, str], list[str]]:
    """The member pages (with the live event's address) and `count` signed-in session keys."""
    import json

    code = MEMBER_SETUP.replace("MEMBER", repr(MEMBER)).replace("COUNT", str(count))
    data = json.loads(run_in_django(database, code))
    if not data["live"]:
        raise SystemExit("no demo live event found")
    pages = {name: path or data["live"] for name, path in MEMBER_PAGES.items()}
    return pages, data["sessions"]


IN_PROCESS = """
import json, statistics, time
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(get_user_model().objects.get(username=MEMBER))
out = {}
for name, path in PAGES.items():
    for _ in range(3):  # warm: templates, caches a signed-in page may use
        client.get(path)
    times, queries = [], []
    for _ in range(ROUNDS):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        queries.append(len(ctx.captured_queries))
    times.sort()
    out[name] = [statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))], max(queries)]
print(json.dumps(out))
"""


def in_process(database: Path, pages: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """Per member page: [median ms, p95 ms, queries] through the test client, one process."""
    import json

    code = IN_PROCESS.replace("MEMBER", repr(MEMBER)).replace("PAGES", repr(pages)).replace("ROUNDS", str(rounds))
    return json.loads(run_in_django(database, code, timeout=600))


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


def our_server(
    database: Path, workers: int, threads: int, worker_class: str = "gthread", page_cache: bool = True
) -> Server:
    """The README's production command (gunicorn behind the proxy, which alone sets X-Forwarded-*)."""
    port = free_port()
    env = {**base_env(database), "CMS_PAGE_CACHE_SECONDS": "60" if page_cache else "0"}
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
        "--forwarded-allow-ips",
        "",
        "--log-level",
        "warning",
    ]
    cache = "page cache" if page_cache else "no page cache"
    return Server(f"ours: gunicorn {workers}×{threads} {worker_class} + {cache}", argv, env, port)


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


def drain(port: int, path: str, limit: float = 120.0, session: str = "") -> float:
    """Wait until a server that fell behind has worked off its queue (the page being measured answers
    three times in a row within a quarter of a second), so that one measurement's backlog does not
    land on the next. Returns the seconds waited."""

    async def probe() -> float:
        conn = Connection(port)
        t0 = time.monotonic()
        try:
            await conn.get(path, 10, session)
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

    async def get(self, path: str, timeout: float, session: str = "") -> int:
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            if self.writer is None:
                self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(HOST, self.port), timeout)
            try:
                return await asyncio.wait_for(self._exchange(path, session), timeout)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, path: str, session: str) -> int:
        assert self.reader and self.writer
        cookie = f"Cookie: sessionid={session}\r\n" if session else ""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{cookie}Connection: keep-alive\r\n\r\n".encode())
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


# One page for everyone, or a mix: (path, session key) pairs taken in turn ("" = signed out).
Load = str | list[tuple[str, str]]


def sequence(load: Load) -> list[tuple[str, str]]:
    return [(load, "")] if isinstance(load, str) else load


async def closed_loop(port: int, load: Load, *, concurrency: int, duration: float, timeout: float) -> Result:
    """Each connection sends its next request when the last one answered. With a mix, connection i
    starts at item i and walks the list (one member per connection when the mix is members × pages)."""
    items = sequence(load)
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + duration
    budget = [MAX_REQUESTS_PER_RUN]

    async def worker(start: int) -> None:
        nonlocal errors
        conn = Connection(port)
        step = start
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            path, session = items[step % len(items)]
            step += 1
            t0 = time.monotonic()
            try:
                status = await conn.get(path, timeout, session)
                if status == 200:
                    latencies.append(time.monotonic() - t0)
                else:
                    errors += 1
            except (TimeoutError, OSError, ValueError, IndexError):
                errors += 1
                conn.close()
        conn.close()

    started = time.monotonic()
    await asyncio.gather(*(worker(i * (len(items) // concurrency or 1)) for i in range(concurrency)))
    return Result(latencies, errors, time.monotonic() - started)


async def open_loop(port: int, load: Load, *, rate: float, duration: float, timeout: float) -> Result:
    """Send at a fixed rate; latency counts from the scheduled time (no coordinated omission). A mix
    is sent in its order, over and over."""
    items = sequence(load)
    total = min(MAX_REQUESTS_PER_RUN, int(rate * duration))
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0
    started = time.monotonic()

    async def one(scheduled: float, path: str, session: str) -> None:
        nonlocal errors
        conn = pool.get_nowait() if not pool.empty() else Connection(port)
        try:
            status = await conn.get(path, timeout, session)
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
        tasks.append(asyncio.create_task(one(scheduled, *items[i % len(items)])))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().close()
    return Result(latencies, errors, time.monotonic() - started)


def warm(port: int, loads: list[Load]) -> None:
    async def go() -> None:
        conn = Connection(port)
        for load in loads:
            for path, session in sequence(load)[:12]:
                for _ in range(20):  # every worker process renders (and caches, if it may)
                    with contextlib.suppress(OSError, asyncio.TimeoutError, ValueError):
                        await conn.get(path, 30, session)
        conn.close()

    asyncio.run(go())


@dataclass
class Job:
    name: str
    load: Load
    concurrency: int
    rate: float


def measure(server: Server, jobs: list[Job], args) -> dict[str, tuple[Result, Result]]:
    server.start()
    try:
        warm(server.port, [job.load for job in jobs])
        results = {}
        for job in jobs:
            first_path, first_session = sequence(job.load)[0]
            waited = drain(server.port, first_path, session=first_session)
            cpu_before = group_cpu_seconds(server.proc.pid)
            closed = asyncio.run(
                closed_loop(
                    server.port, job.load, concurrency=job.concurrency, duration=args.duration, timeout=args.timeout
                )
            )
            closed.cpu_seconds = group_cpu_seconds(server.proc.pid) - cpu_before
            waited += drain(server.port, first_path, session=first_session)
            opened = asyncio.run(
                open_loop(server.port, job.load, rate=job.rate, duration=args.duration, timeout=args.timeout)
            )
            results[job.name] = (closed, opened)
            print(
                f"  {server.name[:5]:<5} {job.name:<11} {closed.rate:8.1f} req/s  p50 {closed.pct(0.5):7.1f} ms  "
                f"p95 {closed.pct(0.95):7.1f} ms  cpu {closed.cpu_ms_per_request:6.2f} ms/req | "
                f"@{job.rate:g}/s p50 {opened.pct(0.5):7.1f} ms  "
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
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s, cached pages (max 2000)")
    parser.add_argument("--members", type=int, default=8, help="signed-in members browsing at once (max 64)")
    parser.add_argument(
        "--member-rate", type=float, default=100.0, help="open-loop pages/s, members and cache misses (max 2000)"
    )
    parser.add_argument("--rounds", type=int, default=30, help="in-process requests per member page")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    args.duration = min(args.duration, 30.0)
    args.rate = min(args.rate, 2000.0)
    args.member_rate = min(args.member_rate, 2000.0)
    args.members = max(1, min(args.members, 64))

    database = args.database.resolve()
    ensure_database(database)
    pages = dict(PAGES)
    pages["news page"] = first_news_url(database)
    member_pages, sessions = member_setup(database, args.members)
    mix = [(path, session) for session in sessions for path in member_pages.values()]
    print(f"database {database}; pages {pages}; member pages {member_pages}")
    print(
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes skew every figure)"
    )
    print(
        f"closed loop: {args.concurrency} connections × {args.duration:g} s ({args.members} for members); "
        f"open loop: {args.rate:g} req/s cached, {args.member_rate:g} req/s members and misses"
    )

    print("in-process, signed in as a member (test client, one process):", flush=True)
    inproc = in_process(database, member_pages, args.rounds)

    anonymous = [Job(name, path, args.concurrency, args.rate) for name, path in pages.items()]
    members = Job("members", mix, args.members, args.member_rate)
    misses = [Job(name, path, args.concurrency, args.member_rate) for name, path in pages.items()]
    # The naive server has no cache: its anonymous figures are the misses' baseline too (the open loops
    # send the same when --rate equals --member-rate).
    naive = measure(naive_server(database), [*anonymous, members], args)
    ours = measure(our_server(database, args.workers, args.threads), [*anonymous, members], args)
    ours_miss = measure(our_server(database, args.workers, args.threads, page_cache=False), misses, args)

    print()
    print("cache hits (anonymous, page cache on):")
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

    print()
    print("cache misses (anonymous, page cache off on both):")
    print(
        f"{'page':<11} {'naive req/s':>12} {'ours req/s':>11} {'×':>6}   ours @{args.member_rate:g}/s p95   "
        f"naive @{args.rate:g}/s p95   ours CPU/req"
    )
    miss_ratios = []
    for name in pages:
        n, o = naive[name][0].rate, ours_miss[name][0].rate
        miss_ratios.append(o / n if n else float("inf"))
        print(
            f"{name:<11} {n:12.1f} {o:11.1f} {miss_ratios[-1]:6.1f}   {ours_miss[name][1].pct(0.95):12.1f} ms   "
            f"{naive[name][1].pct(0.95):13.1f} ms   {ours_miss[name][0].cpu_ms_per_request:9.2f} ms"
        )

    print()
    print(f"signed-in members ({args.members}, one session each, the mix {', '.join(member_pages)}):")
    for label, res in (("naive", naive["members"]), ("ours", ours["members"])):
        closed, opened = res
        print(
            f"{label:<6} {closed.rate:7.1f} pages/s  p50 {closed.pct(0.5):7.1f} ms  p95 {closed.pct(0.95):7.1f} ms  "
            f"CPU {closed.cpu_ms_per_request:6.2f} ms/page | @{args.member_rate:g}/s p50 {opened.pct(0.5):7.1f} ms  "
            f"p95 {opened.pct(0.95):7.1f} ms  errors {closed.errors + opened.errors}"
        )
    print()
    print("in-process per member page (goal <= 10 ms and <= 12 queries):")
    for name, (median, p95, queries) in inproc.items():
        verdict = "met" if median <= 10 and queries <= 12 else "over"
        print(f"{name:<8} median {median:6.1f} ms  p95 {p95:6.1f} ms  {int(queries):3d} queries  {verdict}")

    print(f"load average after: {os.getloadavg()[0]:.1f}")
    for label, values in (("cache misses", miss_ratios), ("cache hits", ratios)):
        finite = [r for r in values if r > 0 and math.isfinite(r)]
        geo = math.exp(statistics.fmean(math.log(r) for r in finite)) if finite else float("inf")
        print(f"throughput ratio ours / naive, {label}: {geo:.1f}×")
    n_members, o_members = naive["members"][0].rate, ours["members"][0].rate
    print(f"signed-in members, pages/s ours / naive: {o_members / n_members if n_members else float('inf'):.1f}×")


if __name__ == "__main__":
    main()
