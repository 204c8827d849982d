"""Live chat fan-out: our per-process hub against the Channels tutorial pattern, same box, same run.

    .venv/bin/python bench/fanout.py [--clients 200,1000,2000] [--rate 10] [--seconds 10] [--servers 1]
                                     [--burst-clients 1000] [--burst-rate 100] [--burst-seconds 4]
                                     [--layer redis|memory] [--workers 2]

Kinds (--kinds, default all that the layer allows):
  ours    the product's consumer (/ws/live/<id>/): one hub per process, frames written straight to
          Daphne's sockets (streaming/wire.py)
  asgi    the same consumer with STREAMING_DIRECT_WRITES=0: every frame through the ASGI send; the
          difference to `ours` is what the fast path buys
  naive   the Channels tutorial pattern (bench/fanout_server.py) on the core Redis layer (or memory)
  pubsub  the naive consumer on channels-redis's RedisPubSubChannelLayer (Redis only): the other
          layer a Channels user would reach for

For each client count N, and for each kind,
a fresh Daphne (or --servers of them) serves one event; N WebSocket clients (signed-in members, in
--workers processes, a lean RFC 6455 client so that the clients are not what is measured) join it;
a host posts a chat message every 1/--rate s through the real service (saved, then pushed after
commit). With Redis the host's posts are made in this process, as if they arrived at another
Daphne; with the in-memory layer they go through the server under test. Reported per run:

  joined/in s  clients that joined, and how long joining took
  p50/p99      delivery latency, from the host's send to a client's receive (same clock)
  delivered    delivered/expected over all clients, and duplicates (there must be none)
  KiB/conn     growth of the server's RSS from before the clients joined to after, divided by N
  srv/cli CPU  server and client processes' CPU while messages flowed (100% = one core)
  post ms      median time of one post (saving + the push after commit), on the host's side
  deliv/s      deliveries per second, first send to last receive
  load         the machine's 1-minute load average at the end of the run (shared machines vary)

The saturation phase then posts --burst-rate messages/s for --burst-seconds to --burst-clients
clients of one Daphne, lets each server drain for at most --drain seconds, and measures deliveries per
second: the most each design can deliver. The last line is that throughput ratio, ours / naive.

Only 127.0.0.1 is contacted; client counts, rates and durations are bounded; every wait has a
timeout. The open-files limit is raised to what N clients need (up to the hard limit). The database
is a migrated SQLite file in a temporary folder (or --database-url); the channel layer is Redis
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/15, a prefix of its own) or the in-memory layer.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import base64
import contextlib
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the only address this benchmark ever talks to
MAX_CLIENTS = 5000
MAX_MESSAGES = 2000
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
CONNECT_BATCH = 50
CONNECT_TIMEOUT = 60.0
ITEM = re.compile(rb'"text":"b (\d+) ([0-9.]+)"')


# --- Client workers (separate processes; no Django here) ---------------------------------------


class Client(asyncio.Protocol):
    """A minimal WebSocket client (RFC 6455) for many sockets in one process: the HTTP upgrade, then
    unmasked server frames parsed straight from each read, answering pings. No per-frame task
    switch, so one client process keeps up with thousands of frames a second."""

    def __init__(self, shared: dict, request: bytes, expected: int) -> None:
        self.shared = shared
        self.request = request
        self.expected = expected
        self.buffer = b""
        self.upgraded = False
        self.seen: set[int] = set()
        self.ready = asyncio.get_running_loop().create_future()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed during the handshake: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(ConnectionError(head.split(b"\r\n")[0].decode(errors="replace")))
                self.transport.abort()
                return
            self.upgraded = True
            self.buffer = rest
            self.ready.set_result(True)
        now = time.time()
        buf = self.buffer
        pos = 0
        while len(buf) - pos >= 2:
            opcode = buf[pos] & 0x0F
            length = buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if len(buf) - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif length == 127:
                if len(buf) - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            if len(buf) - start < length:
                break
            payload = buf[start : start + length]
            pos = start + length
            if opcode == 0x1:
                self.frame(payload, now)
            elif opcode == 0x9:  # ping: answer with a masked pong carrying the same payload
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            elif opcode == 0x8:
                self.transport.close()
        self.buffer = buf[pos:]

    def frame(self, payload: bytes, now: float) -> None:
        shared = self.shared
        for match in ITEM.finditer(payload):
            n = int(match.group(1))
            if n in self.seen:
                shared["duplicates"] += 1
                continue
            self.seen.add(n)
            shared["latencies"].append(now - float(match.group(2)))
            shared["last"] = now
        if len(self.seen) == self.expected and not self.shared.get(id(self)):
            shared[id(self)] = True
            shared["complete"] += 1
            with shared["finished"].get_lock():
                shared["finished"].value += 1


async def _worker(conn, url: str, cookie: str, count: int, expected: int, finished) -> None:
    loop = asyncio.get_running_loop()
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    shared = {"latencies": array.array("d"), "duplicates": 0, "last": 0.0, "complete": 0, "finished": finished}
    clients: list[Client] = []
    errors = 0
    first_error = ""

    async def open_one() -> Client:
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{HOST}\r\n"
            f"Cookie: {cookie}\r\n\r\n"
        ).encode()
        _transport, client = await loop.create_connection(
            lambda: Client(shared, request, expected), parts.hostname, parts.port
        )
        await asyncio.wait_for(client.ready, CONNECT_TIMEOUT)
        return client

    for start in range(0, count, CONNECT_BATCH):
        batch = await asyncio.gather(
            *(open_one() for _ in range(min(CONNECT_BATCH, count - start))), return_exceptions=True
        )
        for client in batch:
            if isinstance(client, BaseException):
                errors += 1
                first_error = first_error or repr(client)[:300]
            else:
                clients.append(client)
    conn.send(("ready", len(clients), errors, first_error))
    cpu_start = time.process_time()
    await loop.run_in_executor(None, conn.recv)  # "stop": the run is over (all delivered, or timed out)
    for client in clients:
        client.transport.abort()
    cpu = time.process_time() - cpu_start
    conn.send(("result", shared["latencies"].tobytes(), shared["duplicates"], shared["last"], shared["complete"], cpu))


def worker_main(conn, url: str, cookie: str, count: int, expected: int, finished) -> None:
    raise_open_files(count + 64)
    asyncio.run(_worker(conn, url, cookie, count, expected, finished))


# --- Server and data ---------------------------------------------------------------------------


def raise_open_files(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    target = max(soft, min(target, max(needed, 4096)))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


@dataclass
class Setup:
    env: dict[str, str]
    member_cookie: str
    host_cookie: str
    organiser_id: int


def prepare(args, workdir: Path) -> Setup:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="bench.settings_fanout", LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    env["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'db.sqlite3'}"
    env["MEDIA_ROOT"] = str(workdir / "media")
    if args.layer == "redis":
        env["REDIS_URL"] = args.redis_url
        env["CHANNEL_PREFIX"] = f"fanout{secrets.token_hex(3)}"
    t0 = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True, timeout=900
    )
    print(f"database migrated in {time.monotonic() - t0:.0f} s", flush=True)
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "MEDIA_ROOT")})
    if "REDIS_URL" in env:
        os.environ.update(REDIS_URL=env["REDIS_URL"], CHANNEL_PREFIX=env["CHANNEL_PREFIX"])
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from core.models import PartyOrg, Role, User
    from core.services.orgs import membership_grant
    from core.services.trees import party_org_create

    suffix = secrets.token_hex(3)
    branch = party_org_create(name="压测党支部", code=f"PBENCH{suffix}", kind=PartyOrg.Kind.BRANCH)
    member = User.objects.create_user(username=f"bench-member-{suffix}", name="压测党员")
    membership_grant(user=member, role=Role.MEMBER, party_org=branch)
    organiser = User.objects.create_user(username=f"bench-host-{suffix}", name="压测主持人")
    membership_grant(user=organiser, role=Role.OPS_ADMIN)

    def session_for(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "core.auth.UsernameOrMobileBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return f"sessionid={store.session_key}"

    return Setup(
        env=env, member_cookie=session_for(member), host_cookie=session_for(organiser), organiser_id=organiser.pk
    )


def new_live_event(setup: Setup) -> int:
    import datetime

    from django.utils import timezone

    from streaming.models import LiveEvent

    now = timezone.now()
    event = LiveEvent.objects.create(
        title="压测直播",
        organiser_id=setup.organiser_id,
        scheduled_start=now,
        scheduled_end=now + datetime.timedelta(hours=2),
        audience=LiveEvent.Audience.MEMBERS,
        state=LiveEvent.State.LIVE,
        started_at=now,
    )
    return event.pk


class Daphne:
    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.log = open(workdir / f"daphne-{self.port}.log", "wb")  # noqa: SIM115 (closed in stop)
        argv = [sys.executable, "-m", "daphne", "-v", "0", "-b", HOST, "-p", str(self.port)]
        argv.append("bench.fanout_server:application")
        self.proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daphne exited: {(workdir / f'daphne-{self.port}.log').read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=2).read()  # noqa: S310
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("daphne did not start within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


# --- One run -----------------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    clients: int
    connected: int
    messages: int
    latencies: list[float]
    duplicates: int
    complete: int
    first_send: float
    last_receive: float
    mem_per_conn_kib: float
    joined_in: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    post_ms: float = 0.0
    load: float = 0.0

    @property
    def expected(self) -> int:
        return self.clients * self.messages

    @property
    def delivered(self) -> int:
        return len(self.latencies)

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def rate(self) -> float:
        span = self.last_receive - self.first_send
        return self.delivered / span if span > 0 else 0.0


async def publish_over_socket(url: str, cookie: str, messages: int, rate: float) -> float:
    """The host posts `messages` chat lines at `rate` per second through the server under test."""
    import websockets

    async with websockets.connect(
        url,
        origin=f"http://{HOST}",
        additional_headers={"Cookie": cookie},
        compression=None,
        proxy=None,
        open_timeout=CONNECT_TIMEOUT,
        max_size=2**22,
    ) as ws:

        async def drain():
            with contextlib.suppress(Exception):
                async for _frame in ws:
                    pass

        reader = asyncio.create_task(drain())
        start = time.time()
        for n in range(messages):
            delay = start + n / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await ws.send(f'{{"type":"chat","text":"b {n} {time.time():.6f}"}}')
        await asyncio.sleep(0.5)  # let the last posts reach the service before the socket closes
        reader.cancel()
        return start


def publish_from_another_process(setup: Setup, event_id: int, messages: int, rate: float) -> tuple[float, float]:
    """The host's posts arrive at another process (as behind a load balancer): this process runs the
    real service (saved, then one group_send after commit through Redis); the server under test only
    fans out. As in a Daphne process, the service runs in a worker thread and its push goes out on
    the event loop's Redis connections. The publisher's own SQLite connection commits without fsync:
    it is not what is measured."""
    from channels.db import database_sync_to_async
    from django.db import connection

    from core.models import User
    from streaming.models import LiveEvent
    from streaming.services.chat import chat_message_post

    def post(event, host, text: str) -> None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=NORMAL")
        chat_message_post(event=event, author=host, text=text)

    async def main() -> float:
        event = await database_sync_to_async(LiveEvent.objects.get)(pk=event_id)
        host = await database_sync_to_async(User.objects.get)(pk=setup.organiser_id)
        start = time.time()
        for n in range(messages):
            delay = start + n / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            sent = time.time()
            await database_sync_to_async(post)(event, host, f"b {n} {sent:.6f}")
            durations.append(time.time() - sent)
        return start

    durations: list[float] = []
    start = asyncio.run(main())
    return start, statistics.median(durations) * 1000


KINDS: dict[str, dict[str, str]] = {  # environment of the Daphne under test, beside setup.env
    "ours": {},
    "asgi": {"STREAMING_DIRECT_WRITES": "0"},
    "naive": {},
    "pubsub": {"BENCH_PUBSUB": "1"},
}


@contextlib.contextmanager
def same_layer_as(env: dict[str, str]):
    """The publisher uses the channel layer the server under test reads (pubsub: PUBLISH/SUBSCRIBE)."""
    if env.get("BENCH_PUBSUB") != "1":
        yield
        return
    from django.conf import settings
    from django.test.utils import override_settings

    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [env["REDIS_URL"]], "prefix": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):  # Channels drops its layer instances on the change
        yield


def run(
    setup: Setup,
    workdir: Path,
    *,
    kind: str,
    clients: int,
    rate: float,
    seconds: float,
    drain: float,
    workers: int,
    servers: int = 1,
) -> Result:
    messages = min(MAX_MESSAGES, max(1, round(rate * seconds)))
    event_id = new_live_event(setup)
    env = {**setup.env, **KINDS[kind]}
    daphnes: list[Daphne] = []
    ctx = multiprocessing.get_context("spawn")
    procs, pipes = [], []
    finished = ctx.Value("i", 0)
    try:
        daphnes = [Daphne(env, workdir) for _ in range(servers)]
        pids = [d.proc.pid for d in daphnes]
        time.sleep(1.0)  # let the fresh processes settle before the baseline
        rss_before = sum(rss_kib(pid) for pid in pids)
        path = f"/ws/live/{event_id}/?last=0" if kind in ("ours", "asgi") else f"/ws/bench/naive/{event_id}/"
        workers = max(workers, servers)
        shares = [clients // workers + (1 if i < clients % workers else 0) for i in range(workers)]
        for i, share in enumerate(shares):
            url = f"ws://{HOST}:{daphnes[i % servers].port}{path}"
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=worker_main, args=(child, url, setup.member_cookie, share, messages, finished), daemon=True
            )
            proc.start()
            procs.append(proc)
            pipes.append(parent)
        connected = 0
        joining = time.monotonic()
        for pipe in pipes:
            if not pipe.poll(CONNECT_TIMEOUT * 3):
                raise RuntimeError("clients did not connect in time")
            _tag, ok, errors, first_error = pipe.recv()
            connected += ok
            if errors:
                print(f"  ({errors} connections failed: {first_error})", flush=True)
        joined_in = time.monotonic() - joining
        time.sleep(1.0)
        rss_after = sum(rss_kib(pid) for pid in pids)
        # A profiler to attach while the messages flow, e.g. "py-spy record --pid {pid} -d 5 -o /tmp/{kind}.txt".
        profiler = os.environ.get("FANOUT_PROFILE")
        cpu_before, wall_before = sum(cpu_seconds(pid) for pid in pids), time.monotonic()
        if profiler:
            profiler = subprocess.Popen(profiler.format(pid=pids[0], kind=kind, n=clients).split())
        if setup.env.get("REDIS_URL"):
            with same_layer_as(env):
                first_send, post_ms = publish_from_another_process(setup, event_id, messages, rate)
        else:  # the in-memory layer reaches no other process: post through the server itself
            host_url = f"ws://{HOST}:{daphnes[0].port}/ws/live/{event_id}/?last=0"
            first_send = asyncio.run(publish_over_socket(host_url, setup.host_cookie, messages, rate))
            post_ms = float("nan")
        publish_rate = messages / max(1e-3, time.time() - first_send)
        if profiler:
            profiler.wait(timeout=120)
        # Stop once every client has every message, or at the drain deadline.
        deadline = time.monotonic() + drain
        while time.monotonic() < deadline and finished.value < connected:
            time.sleep(0.2)
        wall = max(1e-3, time.monotonic() - wall_before)
        server_cpu = (sum(cpu_seconds(pid) for pid in pids) - cpu_before) / wall
        latencies: list[float] = []
        duplicates = complete = 0
        client_cpu = 0.0
        last = first_send
        for pipe in pipes:
            pipe.send("stop")
        for pipe in pipes:
            if not pipe.poll(60):
                raise RuntimeError("a client worker did not report")
            _tag, raw, dups, last_receive, done, cpu = pipe.recv()
            client_cpu += cpu
            values = array.array("d")
            values.frombytes(raw)
            latencies.extend(values)
            duplicates += dups
            complete += done
            last = max(last, last_receive)
        if publish_rate < rate * 0.9:
            print(f"  (the host managed {publish_rate:.0f} of {rate:g} messages/s)", flush=True)
        return Result(
            kind,
            clients,
            connected,
            messages,
            latencies,
            duplicates,
            complete,
            first_send,
            last,
            (rss_after - rss_before) / max(1, connected),
            joined_in,
            server_cpu,
            client_cpu / wall,
            post_ms,
            os.getloadavg()[0],
        )
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        for daphne in daphnes:
            daphne.stop()


# --- Output ------------------------------------------------------------------------------------


def row(r: Result) -> str:
    return (
        f"{r.kind:<6} {r.clients:>6} {r.connected:>6} {r.joined_in:>6.1f} {r.pct(0.5) * 1000:>8.0f} "
        f"{r.pct(0.99) * 1000:>8.0f} {r.delivered:>9}/{r.expected:<9} {r.delivered / r.expected:>6.1%} "
        f"{r.duplicates:>5} {r.mem_per_conn_kib:>8.1f} {r.server_cpu:>7.0%} {r.client_cpu:>7.0%} {r.post_ms:>7.0f} "
        f"{r.rate:>10.0f} {r.load:>5.1f}"
    )


HEADER = (
    f"{'server':<6} {'N':>6} {'joined':>6} {'in s':>6} {'p50 ms':>8} {'p99 ms':>8} {'delivered/expected':>19} "
    f"{'':>6} {'dups':>5} {'KiB/conn':>8} {'srv CPU':>7} {'cli CPU':>7} {'post ms':>7} {'deliv/s':>10} {'load':>5}"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="200,1000,2000", help="comma-separated client counts")
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second (steady phase)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each steady run")
    parser.add_argument("--drain", type=float, default=15.0, help="longest wait for late deliveries")
    parser.add_argument("--burst-clients", type=int, default=1000)
    parser.add_argument("--burst-rate", type=float, default=100.0)
    parser.add_argument("--burst-seconds", type=float, default=4.0)
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument(
        "--servers", type=int, default=1, help="Daphne processes sharing the clients (Redis layer; steady phase only)"
    )
    parser.add_argument("--layer", choices=["redis", "memory"], default=None)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--database-url", default=None, help="a database to migrate and use (default: temp SQLite)")
    parser.add_argument("--skip-naive", action="store_true", help="only ours and asgi")
    parser.add_argument("--kinds", default="", help="comma-separated subset of " + ",".join(KINDS))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, server logs)")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    if not counts or max(counts + [args.burst_clients]) > MAX_CLIENTS or min(counts) < 1:
        parser.error(f"client counts must be between 1 and {MAX_CLIENTS}")
    if not (0 < args.rate <= 200 and 0 < args.burst_rate <= 500 and 0 < args.seconds <= 60 and args.drain <= 120):
        parser.error("rates up to 200/500 per second, runs up to 60 s, drain up to 120 s")
    if args.layer is None:
        args.layer = "redis" if redis_reachable(args.redis_url) else "memory"
    elif args.layer == "redis" and not redis_reachable(args.redis_url):
        parser.error(f"Redis is not reachable at {args.redis_url}")
    if args.servers > 1 and args.layer != "redis":
        parser.error("several servers need the Redis layer")
    limit = raise_open_files(max(counts + [args.burst_clients]) * 2 + 256)
    print(
        f"open-files limit {limit}; channel layer: {args.layer}; {args.servers} Daphne process(es) in the steady "
        f"phase, 1 in the saturation phase; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    workdir = Path(tempfile.mkdtemp(prefix="fanout-"))
    try:
        setup = prepare(args, workdir)
        kinds = [k for k in (args.kinds.split(",") if args.kinds else KINDS) if k]
        if args.skip_naive:
            kinds = [k for k in kinds if k in ("ours", "asgi")]
        if args.layer != "redis":
            kinds = [k for k in kinds if k != "pubsub"]  # a Redis layer of its own
        if unknown := set(kinds) - set(KINDS):
            parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
        print(f"\nsteady: one message every {1000 / args.rate:.0f} ms for {args.seconds:g} s\n{HEADER}", flush=True)
        for n in counts:
            for kind in kinds:
                result = run(
                    setup,
                    workdir,
                    kind=kind,
                    clients=n,
                    rate=args.rate,
                    seconds=args.seconds,
                    drain=args.drain,
                    workers=args.workers,
                    servers=args.servers,
                )
                print(row(result), flush=True)
        print(
            f"\nsaturation: {args.burst_rate:g} messages/s for {args.burst_seconds:g} s to {args.burst_clients} clients"
            f"\n{HEADER}",
            flush=True,
        )
        burst = {}
        for kind in kinds:
            burst[kind] = run(
                setup,
                workdir,
                kind=kind,
                clients=args.burst_clients,
                rate=args.burst_rate,
                seconds=args.burst_seconds,
                drain=args.drain,
                workers=args.workers,
            )
            print(row(burst[kind]), flush=True)
        if "ours" in burst:
            for other in (k for k in burst if k != "ours"):
                if burst[other].rate > 0:
                    ratio = burst["ours"].rate / burst[other].rate
                    print(
                        f"throughput ratio ours/{other} at {args.burst_clients} clients: {ratio:.1f}x "
                        f"({burst['ours'].rate:,.0f} vs {burst[other].rate:,.0f} deliveries/s)"
                    )
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
