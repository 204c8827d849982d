"""The live supervisor: follows LiveEvent.state and owns every ffmpeg of every live event.

One asyncio process (`manage.py live_supervisor`, also started by `manage.py serve`):

- every POLL seconds it reads which events are live (the database is the source of truth: the
  host's start/end only change LiveEvent.state). A live event gets a runtime; an event that is no
  longer live loses its source and its packager, is never started again, and its recording is
  handed to the replay task;
- the RTMP front door (streaming.video.ingest.rtmp) and the browser relay (streaming.video.ingest.relay) attach
  sources to runtimes: an encoder with the event's current stream key, or the host's browser
  through the publish WebSocket. One source per event at a time;
- a runtime starts one packager (ffmpeg, streaming.video.packaging.ladder) when its source's codec set-up is
  known, feeds it the source's units, and when it dies while the source is still there restarts it
  with back-off; the restarted ffmpeg appends to the same playlists after a discontinuity, starting
  at the last keyframe it was given (units.GopCache), so viewers keep playing;
- a watchdog kills a packager whose playlist stops advancing while its source is sending;
- processes.PidRegistry + PR_SET_PDEATHSIG + the stdin pipe make sure no ffmpeg outlives us.

Database work runs on one dedicated thread, so the event loop never blocks on the database and a
database outage only pauses polling: what is on air stays on air.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import close_old_connections, connections
from django.utils import timezone

from core.ffmpeg import ffmpeg_binary
from streaming.video.ingest.relay import MAX_HELLO, verify_hello
from streaming.video.ingest.rtmp import RtmpConnection, serve_front_door
from streaming.video.ingest.units import GopCache, SourceInfo, Unit
from streaming.video.ingest.webm import WebmDemuxer, WebmError
from streaming.video.packaging import ladder as packaging
from streaming.video.packaging.paths import event_dir
from streaming.video.supervision import processes

logger = logging.getLogger("streaming.video.supervision.supervisor")

SUPPORTED_CODECS = {"flv": {"h264"}, "webm": {"vp8", "vp9", "h264", "av1"}}
SEGMENT_NUMBER = re.compile(r"^s(\d+)\.ts$")


@dataclass
class SupervisorConfig:
    run_dir: Path
    relay_socket: Path
    rtmp_host: str = "0.0.0.0"  # noqa: S104 -- encoders connect from other machines
    rtmp_port: int = 1935
    rtmp_app: str = "live"
    poll_interval: float = 1.0
    stall_seconds: float = 8.0  # a playlist not advancing this long while the source sends: restart
    startup_grace: float = 20.0  # the first segment of a (re)started packager may take this long
    backoff: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
    healthy_after: float = 30.0  # a packager that ran this long resets the back-off
    passthrough: bool = True
    hls_time: int = packaging.HLS_TIME
    threads: int = 0

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"


class Ingest:
    """One connected source of one event: an RTMP publisher or a host's browser."""

    def __init__(self, runtime: EventRuntime, kind: str, prefix, close) -> None:
        self.runtime = runtime
        self.kind = kind
        self.prefix = prefix  # sync context → container header for a new packager
        self.close = close  # close(reason): drops the source's connection
        self.gop = GopCache()
        self.info: SourceInfo | None = None
        self.last_data = time.monotonic()
        self.key = ""

    async def push(self, unit: Unit, info: SourceInfo | None) -> None:
        await self.runtime.on_unit(self, unit, info)

    async def finish(self) -> None:
        await self.runtime.detach(self)


@dataclass
class EventRuntime:
    supervisor: Supervisor
    event_id: int
    out_dir: Path
    ended: bool = False
    ingest: Ingest | None = None
    child: processes.Child | None = None
    child_closing: bool = False
    starting: bool = False
    synced: bool = False
    writing: bool = False  # a write into the packager is waiting for the pipe (a hung ffmpeg blocks it)
    ladder: list[packaging.Rendition] = field(default_factory=list)
    backoff_index: int = 0
    next_start_at: float = 0.0
    restarts: int = 0
    last_mtime: int = 0
    last_progress: float = 0.0
    last_segment_written: float = 0.0
    recorded: bool = False

    # --- sources -----------------------------------------------------------------------------------

    def attach(self, kind: str, prefix, close) -> Ingest | str:
        if self.ended:
            return "ended"
        if self.ingest is not None:
            return "busy"
        self.ingest = Ingest(self, kind, prefix, close)
        self.backoff_index, self.next_start_at = 0, 0.0
        self.supervisor.db(
            "stream_update",
            event_id=self.event_id,
            source=kind,
            on_air=True,
            connected_at=timezone.now(),
            last_error="",
        )
        logger.info("event %s: %s source connected", self.event_id, kind)
        return self.ingest

    async def detach(self, ingest: Ingest) -> None:
        if self.ingest is not ingest:
            return
        self.ingest = None
        logger.info("event %s: %s source left", self.event_id, ingest.kind)
        self.supervisor.db("stream_update", event_id=self.event_id, source="", on_air=False)
        if self.child is not None:
            await self._close_child_input()

    async def on_unit(self, ingest: Ingest, unit: Unit, info: SourceInfo | None) -> None:
        if ingest is not self.ingest or self.ended:
            return
        ingest.gop.add(unit)
        ingest.last_data = time.monotonic()
        if info is not None:
            ingest.info = info
        if self.child is None:
            if not self.starting and ingest.info is not None and time.monotonic() >= self.next_start_at:
                await self._start()
            return
        if self.child_closing:
            return
        if self.synced:
            await self._write(unit.data)
        elif unit.is_sync:
            self.synced = True
            await self._write(ingest.prefix(unit.sync) + unit.data)

    async def _write(self, data: bytes) -> None:
        child = self.child
        if child is None or child.process.stdin is None or not data:
            return
        self.writing = True
        try:
            child.process.stdin.write(data)
            await child.process.stdin.drain()
        except (ConnectionError, OSError):
            self.synced = False  # the packager is gone; its exit is handled by _watch_exit
        finally:
            self.writing = False

    # --- the packager ------------------------------------------------------------------------------

    def _refuse_source(self, reason: str) -> None:
        logger.warning("event %s: source refused: %s", self.event_id, reason)
        self.supervisor.db("stream_update", event_id=self.event_id, last_error=reason[:300])
        if self.ingest is not None:
            self.ingest.close("unsupported")

    async def _start(self) -> None:
        ingest = self.ingest
        assert ingest is not None and ingest.info is not None
        info = ingest.info
        if info.video_codec not in SUPPORTED_CODECS.get(info.container, set()):
            self._refuse_source(f"unsupported video codec: {info.video_codec or 'none'}")
            self.next_start_at = float("inf")
            return
        binary = ffmpeg_binary()
        if not binary:
            self._refuse_source("ffmpeg is not installed")
            self.next_start_at = time.monotonic() + 30
            return
        self.starting = True
        try:
            self.ladder = packaging.choose_ladder(info, passthrough=self.supervisor.config.passthrough)
            self.out_dir.mkdir(parents=True, exist_ok=True)
            packaging.write_atomically(
                self.out_dir / "master.m3u8", packaging.master_playlist(self.ladder, has_audio=info.has_audio)
            )
            argv = packaging.packager_argv(
                binary=binary,
                info=info,
                ladder=self.ladder,
                out_dir=self.out_dir,
                hls_time=self.supervisor.config.hls_time,
                threads=self.supervisor.config.threads,
                start_number=self._next_segment_number(),
            )
            child = await processes.spawn(
                argv,
                log_path=self.supervisor.config.log_dir / f"event-{self.event_id}.log",
                registry=self.supervisor.registry,
                event_id=self.event_id,
                role="packager",
            )
        except OSError as exc:
            self.starting = False
            self._refuse_source(f"could not start ffmpeg: {exc}")
            self.next_start_at = time.monotonic() + 30
            return
        self.child, self.child_closing, self.synced, self.starting = child, False, False, False
        if self.ended or self.ingest is not ingest:  # the event ended or the source left while ffmpeg started
            self.child_closing = True
            asyncio.get_running_loop().create_task(self._watch_exit(child))
            await processes.stop(child, grace=2)
            return
        self.last_progress = 0.0
        self.last_mtime = self._playlist_mtime()
        logger.info(
            "event %s: packager %s started (%s)",
            self.event_id,
            child.pid,
            ", ".join(f"{r.name}{' copy' if r.copy else ''}" for r in self.ladder),
        )
        if not self.recorded:
            self.recorded = True
            self.supervisor.db(
                "stream_update",
                event_id=self.event_id,
                recording="recording",
                source_info={**info.as_json(), "ladder": [r.name for r in self.ladder]},
            )
        asyncio.get_running_loop().create_task(self._watch_exit(child))
        replay = ingest.gop.replay(ingest.prefix)
        if replay:
            self.synced = True
            await self._write(b"".join(replay))

    def _next_segment_number(self) -> int:
        """One past the highest segment number on disk, so no segment name is ever used twice."""
        highest = -1
        for folder in self.out_dir.iterdir() if self.out_dir.is_dir() else ():
            if folder.is_dir():
                for entry in os.scandir(folder):
                    match = SEGMENT_NUMBER.match(entry.name)
                    if match:
                        highest = max(highest, int(match.group(1)))
        return highest + 1

    async def _watch_exit(self, child: processes.Child) -> None:
        code = await child.process.wait()
        processes.signal_group(child, signal.SIGKILL)  # anything it left in its group
        self.supervisor.registry.forget(child.pid)
        if self.child is not child:
            return
        self.child, self.child_closing, self.synced = None, False, False
        ran = time.monotonic() - child.started
        if self.ended or self.ingest is None:
            logger.info("event %s: packager %s finished (%s)", self.event_id, child.pid, code)
            return
        if ran >= self.supervisor.config.healthy_after:
            self.backoff_index = 0
        backoff = self.supervisor.config.backoff
        delay = backoff[min(self.backoff_index, len(backoff) - 1)]
        self.backoff_index += 1
        self.next_start_at = time.monotonic() + delay
        self.restarts += 1
        logger.warning(
            "event %s: packager %s died (%s) after %.1f s; restarting in %.1f s",
            self.event_id,
            child.pid,
            code,
            ran,
            delay,
        )
        self.supervisor.db("stream_restart_count", event_id=self.event_id)
        self.supervisor.db("stream_update", event_id=self.event_id, last_error=_log_tail(child.log_path))

    async def _close_child_input(self) -> None:
        child = self.child
        if child is None or self.child_closing:
            return
        self.child_closing = True
        stdin = child.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()

    def _playlist_mtime(self) -> int:
        if not self.ladder:
            return 0
        try:
            return (self.out_dir / self.ladder[0].name / "index.m3u8").stat().st_mtime_ns
        except OSError:
            return 0

    async def tick(self) -> None:
        """Once per poll: restart a packager after its back-off, watch an active one for a stall."""
        now = time.monotonic()
        ingest = self.ingest
        if self.ended or ingest is None:
            return
        if self.child is None:
            if not self.starting and ingest.info is not None and now >= self.next_start_at:
                await self._start()
            return
        if self.child_closing:
            return
        mtime = self._playlist_mtime()
        if mtime != self.last_mtime:
            self.last_mtime, self.last_progress = mtime, now
            if now - self.last_segment_written >= 2:
                self.last_segment_written = now
                self.supervisor.db("stream_update", event_id=self.event_id, last_segment_at=timezone.now())
            return
        sending = self.writing or now - ingest.last_data < 3
        since = self.last_progress or self.child.started
        limit = self.supervisor.config.stall_seconds if self.last_progress else self.supervisor.config.startup_grace
        if sending and now - since > limit:
            logger.warning(
                "event %s: playlist has not advanced for %.0f s; killing packager %s",
                self.event_id,
                now - since,
                self.child.pid,
            )
            self.supervisor.db("stream_update", event_id=self.event_id, last_error="packager stalled; restarted")
            processes.signal_group(self.child, signal.SIGKILL)

    async def end(self) -> None:
        """The event is over: drop the source, let the packager finish its segments, never restart."""
        self.ended = True
        ingest, self.ingest = self.ingest, None
        if ingest is not None:
            ingest.close("ended")
        child = self.child
        if child is not None:
            self.child_closing = True
            await processes.stop(child)
        self.supervisor.db("stream_update", event_id=self.event_id, source="", on_air=False)


def _log_tail(path: Path, limit: int = 300) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - 2000))
            lines = [ln for ln in fh.read().decode(errors="replace").splitlines() if ln and not ln.startswith("---")]
    except OSError:
        return "packager exited"
    return ("packager exited: " + (lines[-1] if lines else ""))[:limit]


class Supervisor:
    def __init__(self, config: SupervisorConfig) -> None:
        self.config = config
        self.registry = processes.PidRegistry(config.run_dir / "pids")
        self.runtimes: dict[int, EventRuntime] = {}
        self.keys: dict[str, int] = {}
        self.rtmp_connections: set[RtmpConnection] = set()
        self._db_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-db")
        self._db_pending: set[asyncio.Future] = set()
        self._stopping = asyncio.Event()
        self._lock_file = None
        self.rtmp_server: asyncio.Server | None = None
        self.relay_server: asyncio.Server | None = None
        self._rtmp_task: asyncio.Future | None = None

    # --- database work, on its own thread ----------------------------------------------------------

    def _call_db(self, name: str, kwargs: dict):
        from streaming.video.services import streams

        close_old_connections()
        try:
            return getattr(streams, name)(**kwargs)
        finally:
            close_old_connections()

    async def db_call(self, name: str, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self._db_pool, self._call_db, name, kwargs)

    def db(self, name: str, **kwargs) -> None:
        """Fire-and-forget write; failures are logged (a database outage must not stop the video)."""
        future = asyncio.ensure_future(self.db_call(name, **kwargs))
        self._db_pending.add(future)

        def done(f: asyncio.Future) -> None:
            self._db_pending.discard(f)
            if not f.cancelled() and f.exception() is not None:
                logger.warning("live supervisor: %s failed: %s", name, f.exception())

        future.add_done_callback(done)

    # --- life cycle --------------------------------------------------------------------------------

    async def _take_lock(self) -> None:
        """One supervisor per run directory; a second one waits as a standby until the first is gone."""
        self.config.run_dir.mkdir(parents=True, exist_ok=True)
        lock = self.config.run_dir / "supervisor.lock"
        self._lock_file = open(lock, "a+")  # noqa: SIM115 -- held for the life of the process
        warned = False
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not warned:
                    logger.warning("another live supervisor holds %s; waiting to take over", lock)
                    warned = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), 2)
                if self._stopping.is_set():
                    raise SystemExit(0) from None
        self._lock_file.truncate(0)
        self._lock_file.write(str(os.getpid()))
        self._lock_file.flush()

    async def _serve_rtmp(self) -> None:
        """Listen for encoders; if the port is taken, keep trying (browser publishing works meanwhile)."""
        while not self._stopping.is_set():
            try:
                self.rtmp_server = await serve_front_door(
                    self.config.rtmp_host,
                    self.config.rtmp_port,
                    app=self.config.rtmp_app,
                    on_publish=self._rtmp_publish,
                    connections=self.rtmp_connections,
                )
            except OSError as exc:
                logger.error(
                    "live supervisor: cannot listen for RTMP on %s:%s (%s); retrying in 30 s",
                    self.config.rtmp_host,
                    self.config.rtmp_port,
                    exc,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), 30)
                continue
            logger.info(
                "live supervisor %s: RTMP on %s:%s/%s",
                os.getpid(),
                self.config.rtmp_host,
                self.config.rtmp_port,
                self.config.rtmp_app,
            )
            return

    async def start(self) -> None:
        await self._take_lock()
        reaped = self.registry.reap()
        if reaped:
            logger.warning("live supervisor: ended %d ffmpeg process(es) left by a previous run", len(reaped))
        try:
            await self.db_call("streams_off_air")
        except Exception as exc:  # noqa: BLE001 -- the video must come up even if the database is slow
            logger.warning("live supervisor: could not reset stream states: %s", exc)
        self.config.relay_socket.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.config.relay_socket.unlink()
        self.relay_server = await asyncio.start_unix_server(self._relay_client, path=str(self.config.relay_socket))
        os.chmod(self.config.relay_socket, 0o660)
        logger.info("live supervisor %s: browser relay on %s", os.getpid(), self.config.relay_socket)
        self._rtmp_task = asyncio.ensure_future(self._serve_rtmp())
        with contextlib.suppress(Exception):
            for event_id in await self.db_call("recordings_to_finish"):
                self._replay(event_id)

    async def run(self) -> None:
        await self.start()
        try:
            while not self._stopping.is_set():
                await self.poll()
                for runtime in list(self.runtimes.values()):
                    await runtime.tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.config.poll_interval)
        finally:
            await self.shutdown()

    def stop(self) -> None:
        self._stopping.set()

    async def poll(self) -> None:
        try:
            live = await self.db_call("live_events")
        except Exception as exc:  # noqa: BLE001 -- keep what is on air while the database is away
            logger.warning("live supervisor: cannot read live events: %s", exc)
            return
        self.keys = {key: event_id for event_id, key in live.items()}
        for event_id in live:
            if event_id not in self.runtimes:
                self.runtimes[event_id] = EventRuntime(self, event_id, event_dir(event_id))
                self.db("stream_update", event_id=event_id, on_air=False)
                logger.info("event %s is live: waiting for a source", event_id)
        for event_id, runtime in list(self.runtimes.items()):
            if event_id not in live:
                del self.runtimes[event_id]
                logger.info("event %s is no longer live: stopping its video", event_id)
                await runtime.end()
                self._replay(event_id)
            elif runtime.ingest is not None and runtime.ingest.kind == "rtmp" and runtime.ingest.key != live[event_id]:
                logger.info("event %s: stream key rotated; dropping the encoder", event_id)
                runtime.ingest.close("rotated")

    def _replay(self, event_id: int) -> None:
        from streaming.video.tasks import replay_make_task

        def enqueue() -> None:
            close_old_connections()
            try:
                replay_make_task.enqueue(event_id)
            except Exception:
                logger.exception("event %s: could not queue the replay", event_id)
            finally:
                close_old_connections()

        future = asyncio.get_running_loop().run_in_executor(self._db_pool, enqueue)
        self._db_pending.add(future)
        future.add_done_callback(self._db_pending.discard)

    async def shutdown(self) -> None:
        if self._rtmp_task is not None:
            self._rtmp_task.cancel()
        for server in (self.rtmp_server, self.relay_server):
            if server is not None:
                server.close()
        for conn in list(self.rtmp_connections):
            conn.close()
        for runtime in list(self.runtimes.values()):
            # Not ended: the event is still live and a new supervisor will pick it up.
            ingest, runtime.ingest = runtime.ingest, None
            if ingest is not None:
                ingest.close("shutdown")
            if runtime.child is not None:
                await processes.stop(runtime.child, grace=5)
                self.registry.forget(runtime.child.pid)
        if self._db_pending:
            await asyncio.wait(list(self._db_pending), timeout=10)
        with contextlib.suppress(FileNotFoundError):
            self.config.relay_socket.unlink()
        with contextlib.suppress(Exception):  # the database thread's connection goes with it
            await asyncio.get_running_loop().run_in_executor(self._db_pool, connections.close_all)
        self._db_pool.shutdown(wait=False)

    # --- the two ways in ---------------------------------------------------------------------------

    async def _rtmp_publish(self, key: str, conn: RtmpConnection):
        event_id = self.keys.get(key)
        runtime = self.runtimes.get(event_id) if event_id is not None else None
        if runtime is None:
            logger.info("rtmp %s: refused stream key", conn.peer)
            return "unknown stream key"
        ingest = runtime.attach("rtmp", conn.muxer.prefix, lambda reason: conn.close())
        if isinstance(ingest, str):
            return "another source is on air" if ingest == "busy" else "the event is not live"
        ingest.key = key
        return ingest

    async def _relay_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def answer(body: bytes) -> None:
            writer.write(body + b"\n")
            with contextlib.suppress(ConnectionError):
                await writer.drain()

        try:
            line = await asyncio.wait_for(reader.readline(), 5)
        except (TimeoutError, ValueError, ConnectionError):
            writer.close()
            return
        hello = verify_hello(line[:MAX_HELLO]) if line.endswith(b"\n") else None
        runtime = self.runtimes.get(hello["event"]) if hello else None
        if hello is None:
            await answer(b'{"ok": false, "reason": "bad_request"}')
            writer.close()
            return
        if runtime is None:
            await answer(b'{"ok": false, "reason": "not_live"}')
            writer.close()
            return
        demuxer = WebmDemuxer()

        def close(reason: str) -> None:
            # The consumer tells the host why: the event ended, the codec is unsupported …
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.write(json.dumps({"ended": reason == "ended", "reason": reason}).encode() + b"\n")
            writer.close()

        ingest = runtime.attach("browser", demuxer.prefix, close)
        if isinstance(ingest, str):
            await answer(json.dumps({"ok": False, "reason": ingest}).encode())
            writer.close()
            return
        await answer(b'{"ok": true}')
        try:
            while True:
                data = await asyncio.wait_for(reader.read(65536), 30)
                if not data:
                    break
                for unit in demuxer.feed(data):
                    await ingest.push(unit, demuxer.info())
        except (TimeoutError, ConnectionError, WebmError) as exc:
            logger.info("event %s: browser relay ended: %s", runtime.event_id, exc)
        finally:
            await ingest.finish()
            writer.close()


def default_config(**overrides) -> SupervisorConfig:
    from django.conf import settings

    from streaming.video.ingest.relay import relay_socket_path

    config = SupervisorConfig(
        run_dir=Path(settings.LIVE_RUN_DIR),
        relay_socket=relay_socket_path(),
        rtmp_host=settings.LIVE_RTMP_HOST,
        rtmp_port=int(settings.LIVE_RTMP_PORT),
        passthrough=bool(settings.LIVE_PASSTHROUGH),
    )
    for key, value in overrides.items():
        if value is not None:
            setattr(config, key, value)
    return config


async def run_supervisor(config: SupervisorConfig) -> None:
    supervisor = Supervisor(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, supervisor.stop)
    await supervisor.run()
