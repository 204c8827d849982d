"""The RTMP front door against strangers: fuzzed chunk streams and commands before and after a
publish, bounded memory and time per connection, and a cap on connections that have not published.

Connections are real TCP connections to `serve_front_door` on 127.0.0.1 (a socket pair for the
fuzzing); what a publisher's media would reach is a target that keeps the units it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streaming.video.ingest import amf, rtmp
from streaming.video.ingest.flv import VIDEO
from streaming.video.ingest.units import SourceInfo, Unit
from streaming.video.tests.media import flv_source, flv_tags
from tests.support import free_port

KEY = "k3y"


class KeepingTarget:
    def __init__(self) -> None:
        self.units: list[Unit] = []
        self.finished = False

    async def push(self, unit: Unit, info: SourceInfo | None) -> None:
        self.units.append(unit)

    async def finish(self) -> None:
        self.finished = True


def on_publish_for(targets: list[KeepingTarget]):
    async def on_publish(key: str, conn: rtmp.RtmpConnection):
        if key != KEY:
            return "unknown stream key"
        targets.append(KeepingTarget())
        return targets[-1]

    return on_publish


# --- what a client sends ------------------------------------------------------------------------------


def chunk(csid: int, type_id: int, payload: bytes, *, stream_id: int = 0, size: int = 128) -> bytes:
    """One message as a fmt-0 chunk and fmt-3 continuations (csid 2–63)."""
    out = bytearray([csid])
    out += (0).to_bytes(3, "big") + len(payload).to_bytes(3, "big") + bytes([type_id]) + struct.pack("<I", stream_id)
    out += payload[:size]
    for offset in range(size, len(payload), size):
        out += bytes([0xC0 | csid]) + payload[offset : offset + size]
    return bytes(out)


HANDSHAKE = b"\x03" + b"\x00" * 1536 + b"\x00" * 1536  # C0, C1, C2


def command(*values, stream_id: int = 0) -> bytes:
    return chunk(3, rtmp.COMMAND_AMF0, amf.encode_all(*values), stream_id=stream_id)


CONNECT = command("connect", 1.0, {"app": "live", "tcUrl": "rtmp://127.0.0.1/live"})
CREATE = command("createStream", 2.0, None)
PUBLISH = command("publish", 0.0, None, KEY, "live", stream_id=1)


def media_messages() -> bytes:
    tags = flv_tags(flv_source(seconds=1, size="320x240"))[:12]
    return b"".join(chunk(4 + (kind == VIDEO), kind, payload, stream_id=1) for kind, _ts, payload in tags)


# --- fuzzing one connection -----------------------------------------------------------------------


async def serve_bytes(data: bytes) -> tuple[rtmp.RtmpConnection, list[KeepingTarget]]:
    """One connection on a socket pair: `data` arrives, then the peer stops sending."""
    ours, theirs = socket.socketpair()
    targets: list[KeepingTarget] = []
    try:
        reader, writer = await asyncio.open_connection(sock=ours)
        conn = rtmp.RtmpConnection(reader, writer, app="live", on_publish=on_publish_for(targets))
        loop = asyncio.get_running_loop()
        theirs.setblocking(False)

        async def peer() -> None:
            with contextlib.suppress(OSError):
                await loop.sock_sendall(theirs, data)
                theirs.shutdown(socket.SHUT_WR)
            # Read what the server answers so that its writes never block.
            with contextlib.suppress(OSError):
                while await loop.sock_recv(theirs, 65536):
                    pass

        talking = asyncio.ensure_future(peer())
        await asyncio.wait_for(conn.serve(), 10)
        talking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await talking
    finally:
        theirs.close()
    return conn, targets


def run(data: bytes) -> tuple[rtmp.RtmpConnection, list[KeepingTarget]]:
    conn, targets = asyncio.run(serve_bytes(data))
    open_partials = sum(len(cs.partial) for cs in conn.streams.values() if cs.partial is not None)
    assert conn.buffered == open_partials <= rtmp.MAX_BUFFERED
    assert len(conn.streams) <= rtmp.MAX_CHUNK_STREAMS
    if not conn.authenticated:
        assert open_partials <= rtmp.MAX_BUFFERED_UNAUTHENTICATED
    for target in targets:
        assert target.finished  # whatever happened, the ingest was told the source is gone
    return conn, targets


def test_a_clean_publish_reaches_the_target():
    _conn, targets = run(HANDSHAKE + CONNECT + CREATE + PUBLISH + media_messages())
    assert len(targets) == 1
    assert any(u.is_sync for u in targets[0].units) and len(targets[0].units) >= 10


message_types = st.sampled_from(
    [rtmp.SET_CHUNK_SIZE, rtmp.ABORT, rtmp.ACK, rtmp.USER_CONTROL, rtmp.WINDOW_ACK_SIZE, rtmp.SET_PEER_BANDWIDTH]
    + [rtmp.COMMAND_AMF0, rtmp.COMMAND_AMF3, rtmp.DATA_AMF0, rtmp.DATA_AMF3, 8, 9]
) | st.integers(0, 255)
commands = st.sampled_from([CONNECT, CREATE, PUBLISH, command("publish", 0.0, None, "wrong"), command("FCPublish")])
fuzzed_chunks = st.lists(
    commands
    | st.builds(
        chunk,
        st.integers(2, 63),
        message_types,
        st.binary(max_size=600),
        stream_id=st.integers(0, 3),
        size=st.sampled_from([128, 1, 7, 4096]),
    )
    | st.binary(min_size=1, max_size=64),
    max_size=12,
).map(b"".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=fuzzed_chunks, after=fuzzed_chunks, publish=st.booleans())
def test_fuzzed_chunk_streams_end_the_connection_cleanly(before, after, publish):
    """Random messages, commands and raw bytes before a publish (a stranger) and after one (media)."""
    middle = CONNECT + CREATE + PUBLISH if publish else b""
    run(HANDSHAKE + before + middle + after)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_publish_ends_the_connection_cleanly(data):
    clean = HANDSHAKE + CONNECT + CREATE + PUBLISH + media_messages()
    damaged = bytearray(clean)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(len(HANDSHAKE), len(damaged) - 1))
        damaged[pos] = data.draw(st.integers(0, 255))
    run(bytes(damaged))


# --- bounds per connection --------------------------------------------------------------------------


def test_a_stranger_cannot_make_us_hold_a_large_message():
    # A connect command announced at 1 MB: refused at its header, before a byte of it is held.
    announced = bytes([3]) + b"\x00\x00\x00" + (1 << 20).to_bytes(3, "big") + bytes([rtmp.COMMAND_AMF0]) + b"\0" * 4
    conn, _ = run(HANDSHAKE + announced + b"\x02" * 128)
    assert conn.buffered == 0 and not conn.connected


def test_a_stranger_cannot_hold_many_unfinished_messages():
    # Chunks of 60,000 bytes, and on each chunk stream a command of 64,000 left unfinished: the
    # connection ends before a stranger's unfinished messages pass 256 KiB together.
    set_size = chunk(2, rtmp.SET_CHUNK_SIZE, struct.pack(">I", 60_000))
    header = b"\x00\x00\x00" + (64_000).to_bytes(3, "big") + bytes([rtmp.COMMAND_AMF0]) + b"\0" * 4
    pieces = b"".join(bytes([csid]) + header + b"x" * 60_000 for csid in range(3, 12))
    conn, _ = run(HANDSHAKE + set_size + pieces)
    assert 0 < conn.buffered <= rtmp.MAX_BUFFERED_UNAUTHENTICATED
    assert sum(1 for cs in conn.streams.values() if cs.partial) < 9


async def _trickle(port: int, prelude: bytes, rest: bytes, *, piece: int, every: float) -> float:
    """Send `prelude`, then `rest` a few bytes at a time; seconds until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    drained = asyncio.ensure_future(reader.read())  # everything until the server closes
    try:
        writer.write(prelude)
        for offset in range(0, len(rest), piece):
            if drained.done():
                break
            writer.write(rest[offset : offset + piece])
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            await asyncio.sleep(every)
        await asyncio.wait_for(drained, 30)
        return time.monotonic() - started
    finally:
        writer.close()


async def test_a_trickling_stranger_is_dropped_at_the_publish_deadline(monkeypatch):
    monkeypatch.setattr(rtmp, "PUBLISH_TIMEOUT", 1.5)
    async with front_door() as door:
        # Every byte comes well inside the idle timeout, yet the connection is over at the deadline:
        # during the handshake …
        assert await _trickle(door.port, b"", HANDSHAKE[:200], piece=1, every=0.05) < 3.0
        # … and inside one command sent in one-byte chunks (every chunk is on time, the message never ends).
        one_byte_chunks = chunk(2, rtmp.SET_CHUNK_SIZE, struct.pack(">I", 1)) + chunk(
            3, rtmp.COMMAND_AMF0, amf.encode_all("connect", 1.0, {"app": "live", "tcUrl": "rtmp://x/live"}), size=1
        )
        prelude, rest = HANDSHAKE + one_byte_chunks[:30], one_byte_chunks[30:]
        assert await _trickle(door.port, prelude, rest, piece=2, every=0.2) < 3.0


# --- how many at once ---------------------------------------------------------------------------------


@dataclass
class FrontDoor:
    port: int
    connections: set[rtmp.RtmpConnection] = field(default_factory=set)
    targets: list[KeepingTarget] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    def strangers(self) -> int:
        return sum(1 for c in self.connections if not c.authenticated)

    async def open(self, address: str) -> asyncio.StreamReader:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, local_addr=(address, 0))
        self.writers.append(writer)
        return reader

    async def publish(self, address: str) -> None:
        reader = await self.open(address)
        self.writers[-1].write(HANDSHAKE + CONNECT + CREATE + PUBLISH)
        await reader.readexactly(1 + 2 * 1536)


@contextlib.asynccontextmanager
async def front_door():
    """The real front door on 127.0.0.1 (any 127.0.0.x address reaches it, as several clients)."""
    door = FrontDoor(port=free_port())
    server = await rtmp.serve_front_door(
        "127.0.0.1", door.port, app="live", on_publish=on_publish_for(door.targets), connections=door.connections
    )
    try:
        yield door
    finally:
        for writer in door.writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def _refused(reader: asyncio.StreamReader) -> bool:
    """A refused connection is closed at once; an admitted one waits for the handshake."""
    try:
        return await asyncio.wait_for(reader.read(1), 0.5) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


async def until(predicate, what: str) -> None:
    for _ in range(100):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_strangers_get_a_few_slots_each():
    per_address = rtmp.MAX_UNAUTHENTICATED_PER_ADDRESS
    async with front_door() as door:
        first = [await door.open("127.0.0.2") for _ in range(per_address)]
        assert not any([await _refused(r) for r in first])
        assert await _refused(await door.open("127.0.0.2"))  # one more stranger from that address
        # Other addresses fill the rest of the strangers' slots …
        addresses = [f"127.0.0.{3 + i // per_address}" for i in range(rtmp.MAX_UNAUTHENTICATED - per_address)]
        others = [await door.open(address) for address in addresses]
        assert not any([await _refused(r) for r in others])
        assert await _refused(await door.open("127.0.0.200"))
        # … and a stranger who leaves makes room for the next.
        door.writers[-2].close()  # the last admitted one (the last writer is the refused one)
        await until(lambda: door.strangers() < rtmp.MAX_UNAUTHENTICATED, "the slot to free")
        assert not await _refused(await door.open("127.0.0.200"))


async def test_publishers_leave_the_strangers_slots_free():
    publishers = rtmp.MAX_UNAUTHENTICATED_PER_ADDRESS
    async with front_door() as door:
        for _ in range(publishers):
            await door.publish("127.0.0.1")
        await until(lambda: len(door.targets) == publishers and door.strangers() == 0, "the publishers")
        assert not await _refused(await door.open("127.0.0.1"))  # four publishers from here, a stranger still gets in
