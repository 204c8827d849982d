"""Memory of idle live sockets in a Daphne process: what they cost open, and what stays after they close.

    .venv/bin/python bench/socket_memory.py [--clients 500] [--rounds 3] [--layer redis|memory]

Daphne runs in this process (its Twisted reactor in the main thread) with tracemalloc on, so every
Python allocation of the server (Twisted, autobahn, Daphne, Channels, our consumer, hub and sign-out
registry, channels-redis) is traced; the clients are a separate process (bench/fanout.py's lean
client), so none of theirs is. Signed-in members join one live event; after a warm-up round (first
imports, caches, the database connection), each round opens --clients sockets, waits until each has
its snapshot, then closes them all and lets the server handle the disconnects. Reported per round:

  traced open / closed   Python memory traced by tracemalloc, per socket, growth from before the round
  RSS open / closed      the process's resident memory, per socket, growth from before the round
  RSS trimmed            RSS after the close and malloc_trim(0) (glibc returns what it can)

and, after the last round, the allocation sites that grew most from before the first round to the end.
If "traced closed" is about zero while "RSS closed" is not, nothing of ours (or of the libraries) holds
the memory: Python's allocator and glibc keep freed memory for reuse instead of returning it to the
system, and a second round reuses it (its RSS grows little or not at all).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fanout  # noqa: E402

HOST = fanout.HOST
MAX_CLIENTS = 3000


def rss_kib() -> int:
    return fanout.rss_kib(os.getpid())


def measure() -> tuple[int, int, tracemalloc.Snapshot | None]:
    gc.collect()
    if not tracemalloc.is_tracing():
        return 0, rss_kib(), None
    snapshot = tracemalloc.take_snapshot()
    traced = sum(stat.size for stat in snapshot.statistics("filename"))
    return traced, rss_kib(), snapshot


def trimmed_rss_kib() -> int:
    """RSS after asking glibc to return the free memory at the top of its heaps (malloc_trim(0))."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_kib()


def open_and_close(url: str, cookie: str, count: int, on_open) -> int:
    """Open `count` sockets in a client process, call `on_open()` while they are open, close them."""
    # Spawned, not forked: this process runs the reactor in another thread.
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    finished = context.Value("i", 0)
    worker = context.Process(target=fanout.worker_main, args=(there, url, cookie, count, 0, finished))
    worker.start()
    try:
        if not here.poll(300):
            raise RuntimeError("the client process did not report within 300 s")
        _kind, opened, errors, first_error = here.recv()
        if errors:
            print(f"  {errors} sockets failed to open: {first_error}", flush=True)
        time.sleep(1.0)  # every socket has had its snapshot and gone idle
        on_open()
        here.send("stop")  # the worker aborts every connection
        here.poll(60) and here.recv()
    finally:
        worker.join(30)
        if worker.is_alive():
            worker.kill()
    return opened


def wait_until_closed(server, timeout: float = 120) -> None:
    """Until Daphne has let go of every connection: each application instance has ended (or was
    killed application_close_timeout seconds after its client left)."""
    deadline = time.monotonic() + timeout
    while server.connections and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1.0)
    if server.connections:
        print(f"  {len(server.connections)} connections still held after {timeout:.0f} s", flush=True)


def leftovers() -> str:
    """What our per-process registries still hold (nothing, once every socket has closed)."""
    from core import socket_sessions
    from streaming import hub

    members = sum(len(h.members) for registry in list(hub._registries.values()) for h in list(registry.values()))
    signed = sum(len(r.sockets) for r in list(socket_sessions._registries.values()))
    return f"live hubs' members {members}, sign-out registry people {signed}"


def drive(args, setup, event_id: int, port: int, server, results: list, done: threading.Event) -> None:
    from twisted.internet import reactor

    try:
        url = f"ws://{HOST}:{port}/ws/live/{event_id}/"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the reactor is listening once a socket connects
            try:
                import socket

                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        open_and_close(url, setup.member_cookie, min(50, args.clients), lambda: None)  # warm-up
        wait_until_closed(server)
        first_traced, first_rss, first_snapshot = measure()
        for round_ in range(1, args.rounds + 1):
            before_traced, before_rss, _ = measure()
            opened: dict = {}

            def at_open(opened=opened) -> None:
                opened["traced"], opened["rss"], _ = measure()

            n = open_and_close(url, setup.member_cookie, args.clients, at_open)
            wait_until_closed(server)
            after_traced, after_rss, last_snapshot = measure()
            trimmed = trimmed_rss_kib()
            print(f"  round {round_} closed: {leftovers()}", flush=True)
            results.append(
                (
                    round_,
                    n,
                    (opened["traced"] - before_traced) / n / 1024,
                    (after_traced - before_traced) / n / 1024,
                    (opened["rss"] - before_rss) / n,
                    (after_rss - before_rss) / n,
                    (trimmed - before_rss) / n,
                )
            )
        results.append(("total", after_traced - first_traced, after_rss - first_rss, first_snapshot, last_snapshot))
    except BaseException as exc:  # reported by the main thread
        results.append(("error", exc))
    finally:
        done.set()
        reactor.callFromThread(reactor.stop)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layer", choices=["redis", "memory"], default=None)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", fanout.DEFAULT_REDIS))
    parser.add_argument("--database-url", default=None, help="a database to migrate and use (default: temp SQLite)")
    parser.add_argument(
        "--frames",
        type=int,
        default=8,
        help="traceback depth tracemalloc keeps; 0: RSS only, without tracemalloc's own bookkeeping",
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 1 <= args.rounds <= 10:
        parser.error(f"1 to {MAX_CLIENTS} clients, 1 to 10 rounds")
    if args.layer is None:
        args.layer = "redis" if fanout.redis_reachable(args.redis_url) else "memory"
    fanout.raise_open_files(args.clients * 2 + 256)

    workdir = Path(tempfile.mkdtemp(prefix="socket-memory-"))
    try:
        return run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path) -> int:
    setup = fanout.prepare(args, workdir)
    event_id = fanout.new_live_event(setup)
    print(f"channel layer: {args.layer}; {args.clients} sockets × {args.rounds} rounds", flush=True)

    from daphne.server import Server  # installs Twisted's asyncio reactor

    from bench.fanout_server import application  # the product's socket routes, without the Origin check

    if args.frames:
        tracemalloc.start(args.frames)
    port = fanout.free_port()
    results: list = []
    done = threading.Event()
    server = Server(
        application=application,
        endpoints=[f"tcp:port={port}:interface={HOST}"],
        signal_handlers=False,
        verbosity=0,
        # tracemalloc slows everything several times: do not let Daphne give up on slow handshakes.
        websocket_handshake_timeout=120,
        websocket_connect_timeout=120,
    )
    threading.Thread(target=drive, args=(args, setup, event_id, port, server, results, done), daemon=True).start()
    server.run()
    done.wait(10)
    if results and results[-1][0] == "error":
        raise results[-1][1]

    print("\nround  sockets  traced open  traced closed  RSS open  RSS closed  RSS trimmed   (KiB per socket)")
    for round_, n, t_open, t_closed, r_open, r_closed, r_trim in results[:-1]:
        cells = f"{t_open:>11.1f}  {t_closed:>13.2f}  {r_open:>8.1f}  {r_closed:>10.1f}  {r_trim:>11.1f}"
        print(f"{round_:>5}  {n:>7}  {cells}")
    _, traced, rss, first, last = results[-1]
    print(f"\nafter all rounds, against before the first: traced {traced / 1024:+.0f} KiB, RSS {rss:+.0f} KiB")
    if first is None:
        return 0
    print("allocation sites that grew most (size, count):")
    for stat in last.compare_to(first, "lineno")[:12]:
        print(f"  {stat.size_diff / 1024:+8.1f} KiB {stat.count_diff:+6d}  {stat.traceback[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
