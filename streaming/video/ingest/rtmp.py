"""The RTMP front door: the server side of RTMP publishing, up to the media messages.

Why not ffmpeg's own RTMP server (`ffmpeg -listen 1 -i rtmp://…/live/<key>`)? In its
libavformat/rtmpproto.c, `read_connect` only logs "App field don't match up" and the publish
handler only logs "Unexpected stream %s, expecting %s", then accepts the stream all the same —
checked with the real binary: a push to `rtmp://host/otherapp/WRONGKEY` into a listener for
`live/RIGHTKEY` is recorded. It also serves exactly one connection and exits with it, so a
crashed ffmpeg would take the publisher's connection down too.

So the front door speaks RTMP itself (handshake, chunk stream, the connect / createStream /
publish commands), checks the app and the stream key before any media is accepted, and hands the
media messages of an accepted publisher to the supervisor as FLV units (streaming.video.ingest.flv). The
publisher stays connected while the supervisor restarts the packager behind it.

Protocol notes: the simple (version 3, no digest) handshake, which OBS (librtmp), ffmpeg and the
common mobile encoders accept for publishing; AMF0 commands (AMF3 command messages are AMF0
after a leading zero byte); acknowledgements are sent per the peer's window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from streaming.video.ingest import amf
from streaming.video.ingest.flv import AUDIO, SCRIPT, VIDEO, FlvMuxer
from streaming.video.ingest.units import SourceInfo, Unit

logger = logging.getLogger(__name__)

HANDSHAKE_SIZE = 1536
SET_CHUNK_SIZE, ABORT, ACK, USER_CONTROL, WINDOW_ACK_SIZE, SET_PEER_BANDWIDTH = 1, 2, 3, 4, 5, 6
DATA_AMF3, COMMAND_AMF3, DATA_AMF0, COMMAND_AMF0 = 15, 17, 18, 20
OUR_CHUNK_SIZE = 4096
OUR_WINDOW = 2_500_000
HANDSHAKE_TIMEOUT = 10.0
PUBLISH_TIMEOUT = 30.0  # from the TCP connection to an accepted publish, however the bytes trickle in
IDLE_TIMEOUT = 30.0  # a publisher that sends nothing this long is gone
# What one connection may make us hold. Before its stream key is accepted a connection is a
# stranger on 0.0.0.0: its commands (connect, createStream, publish) are a few hundred bytes.
MAX_MESSAGE = 16 * 1024 * 1024  # a keyframe of a 4K stream is a few MB
MAX_MESSAGE_UNAUTHENTICATED = 64 * 1024
MAX_BUFFERED = 32 * 1024 * 1024  # partial messages of all chunk streams together
MAX_BUFFERED_UNAUTHENTICATED = 256 * 1024
MAX_CHUNK_STREAMS = 64  # encoders use a handful (2–8)
# Connections at once: all of them, those not yet publishing, and those from one address not yet publishing.
MAX_CONNECTIONS = 64
MAX_UNAUTHENTICATED = 16
MAX_UNAUTHENTICATED_PER_ADDRESS = 4


class RtmpError(Exception):
    pass


class PublishTarget(Protocol):
    """Where an accepted publisher's media goes (the supervisor's ingest for one event)."""

    async def push(self, unit: Unit, info: SourceInfo | None) -> None: ...

    async def finish(self) -> None: ...


# on_publish(stream key, connection) → a target, or the reason for refusing.
PublishHandler = Callable[[str, "RtmpConnection"], Awaitable["PublishTarget | str"]]


@dataclass
class _ChunkStream:
    timestamp: int = 0
    delta: int = 0
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    extended: bool = False
    partial: bytearray | None = None


class RtmpConnection:
    """One TCP connection on the front door: handshake, commands, then (if accepted) media."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        app: str,
        on_publish: PublishHandler,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.app = app
        self.on_publish = on_publish
        self.peer = writer.get_extra_info("peername")
        self.in_chunk_size = 128
        self.out_chunk_size = 128
        self.streams: dict[int, _ChunkStream] = {}
        self.bytes_in = 0
        self.last_ack = 0
        self.ack_window = OUR_WINDOW
        self.connected = False
        self.target: PublishTarget | None = None
        self.muxer = FlvMuxer()
        self.stream_key = ""
        self.published_at = 0.0
        self._closing = False
        # Until a publish is accepted every read shares one deadline, so a peer that trickles a
        # byte now and then cannot hold a slot longer than PUBLISH_TIMEOUT.
        self.deadline: float | None = time.monotonic() + PUBLISH_TIMEOUT
        self.buffered = 0

    @property
    def authenticated(self) -> bool:
        return self.target is not None

    # --- reading ---------------------------------------------------------------------------------

    async def _read(self, n: int, timeout: float) -> bytes:
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise RtmpError("no publish within the time limit")
        try:
            data = await asyncio.wait_for(self.reader.readexactly(n), timeout)
        except (TimeoutError, asyncio.IncompleteReadError) as exc:
            raise RtmpError("connection closed or idle") from exc
        self.bytes_in += n
        if self.bytes_in - self.last_ack >= self.ack_window:
            self.last_ack = self.bytes_in
            self._send(2, ACK, 0, 0, struct.pack(">I", self.bytes_in & 0xFFFFFFFF))
        return data

    async def _handshake(self) -> None:
        c0c1 = await self._read(1 + HANDSHAKE_SIZE, HANDSHAKE_TIMEOUT)
        if c0c1[0] != 3:
            raise RtmpError(f"unsupported RTMP version {c0c1[0]}")
        s1 = struct.pack(">I", int(time.monotonic() * 1000) & 0xFFFFFFFF) + b"\x00" * 4 + os.urandom(1528)
        self.writer.write(b"\x03" + s1 + c0c1[1:])  # S0, S1, S2 (= C1 echoed)
        await self.writer.drain()
        await self._read(HANDSHAKE_SIZE, HANDSHAKE_TIMEOUT)  # C2: nothing in it we need

    async def _next_message(self, timeout: float) -> tuple[int, int, int, bytes]:
        """(type, message stream id, timestamp, payload) of the next complete message."""
        while True:
            first = (await self._read(1, timeout))[0]
            fmt, csid = first >> 6, first & 0x3F
            if csid == 0:
                csid = 64 + (await self._read(1, timeout))[0]
            elif csid == 1:
                b = await self._read(2, timeout)
                csid = 64 + b[0] + (b[1] << 8)
            cs = self.streams.get(csid)
            if cs is None:
                if len(self.streams) >= MAX_CHUNK_STREAMS:
                    raise RtmpError("too many chunk streams")
                cs = self.streams[csid] = _ChunkStream()
            new_message = cs.partial is None
            if fmt < 3 and not new_message:
                raise RtmpError("a new message header arrived inside a message")
            if fmt == 0:
                h = await self._read(11, timeout)
                field = int.from_bytes(h[0:3], "big")
                cs.length = int.from_bytes(h[3:6], "big")
                cs.type_id = h[6]
                cs.stream_id = struct.unpack("<I", h[7:11])[0]
            elif fmt == 1:
                h = await self._read(7, timeout)
                field = int.from_bytes(h[0:3], "big")
                cs.length = int.from_bytes(h[3:6], "big")
                cs.type_id = h[6]
            elif fmt == 2:
                field = int.from_bytes(await self._read(3, timeout), "big")
            if fmt < 3:
                cs.extended = field == 0xFFFFFF
                if cs.extended:
                    field = struct.unpack(">I", await self._read(4, timeout))[0]
                if fmt == 0:
                    cs.timestamp, cs.delta = field, field
                else:
                    cs.delta = field
                    cs.timestamp = (cs.timestamp + field) & 0xFFFFFFFF
            else:
                if cs.extended:
                    await self._read(4, timeout)  # repeated extended timestamp
                if new_message:
                    cs.timestamp = (cs.timestamp + cs.delta) & 0xFFFFFFFF
            if new_message:
                limit = MAX_MESSAGE if self.authenticated else MAX_MESSAGE_UNAUTHENTICATED
                if cs.length > limit:
                    raise RtmpError(f"message of {cs.length} bytes is too large")
                cs.partial = bytearray()
            assert cs.partial is not None
            want = min(self.in_chunk_size, cs.length - len(cs.partial))
            if want:
                if self.buffered + want > (MAX_BUFFERED if self.authenticated else MAX_BUFFERED_UNAUTHENTICATED):
                    raise RtmpError("too much data in unfinished messages")
                cs.partial += await self._read(want, timeout)
                self.buffered += want
            if len(cs.partial) >= cs.length:
                payload, cs.partial = bytes(cs.partial), None
                self.buffered -= len(payload)
                return cs.type_id, cs.stream_id, cs.timestamp, payload

    # --- writing ---------------------------------------------------------------------------------

    def _send(self, csid: int, type_id: int, stream_id: int, timestamp: int, payload: bytes) -> None:
        ts = min(timestamp, 0xFFFFFF)
        header = (
            bytes([csid & 0x3F])
            + ts.to_bytes(3, "big")
            + len(payload).to_bytes(3, "big")
            + bytes([type_id])
            + struct.pack("<I", stream_id)
        )
        parts = [header, payload[: self.out_chunk_size]]
        for offset in range(self.out_chunk_size, len(payload), self.out_chunk_size):
            parts += [bytes([0xC0 | (csid & 0x3F)]), payload[offset : offset + self.out_chunk_size]]
        self.writer.write(b"".join(parts))

    def _command(self, stream_id: int, *values) -> None:
        self._send(3 if stream_id == 0 else 5, COMMAND_AMF0, stream_id, 0, amf.encode_all(*values))

    def _status(self, stream_id: int, level: str, code: str, description: str) -> None:
        info = {"level": level, "code": code, "description": description}
        self._command(stream_id, "onStatus", 0, None, info)

    # --- the conversation ------------------------------------------------------------------------

    async def serve(self) -> None:
        try:
            await self._handshake()
            while not self._closing:
                type_id, stream_id, timestamp, payload = await self._next_message(IDLE_TIMEOUT)
                await self._dispatch(type_id, stream_id, timestamp, payload)
                await self.writer.drain()
        except RtmpError as exc:
            logger.info("rtmp %s: %s", self.peer, exc)
        except (ConnectionError, amf.AmfError) as exc:
            logger.info("rtmp %s: %s", self.peer, exc)
        finally:
            await self._finish()

    async def _finish(self) -> None:
        target, self.target = self.target, None
        if target is not None:
            await target.finish()
        self.writer.close()
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            await asyncio.wait_for(self.writer.wait_closed(), 2)

    def close(self) -> None:
        """Drop the publisher (the event ended, the key was rotated, the supervisor stops)."""
        self._closing = True
        self.writer.close()

    async def _dispatch(self, type_id: int, stream_id: int, timestamp: int, payload: bytes) -> None:
        if type_id == SET_CHUNK_SIZE and len(payload) >= 4:
            size = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
            if size < 1:
                raise RtmpError("invalid chunk size")
            self.in_chunk_size = size
        elif type_id == WINDOW_ACK_SIZE and len(payload) >= 4:
            self.ack_window = max(4096, struct.unpack(">I", payload[:4])[0])
        elif type_id == ABORT and len(payload) >= 4:
            cs = self.streams.get(struct.unpack(">I", payload[:4])[0])
            if cs is not None and cs.partial is not None:
                self.buffered -= len(cs.partial)
                cs.partial = None
        elif type_id == USER_CONTROL and len(payload) >= 6 and payload[:2] == b"\x00\x06":
            self._send(2, USER_CONTROL, 0, 0, b"\x00\x07" + payload[2:6])  # ping → pong
        elif type_id in (COMMAND_AMF0, COMMAND_AMF3):
            body = payload[1:] if type_id == COMMAND_AMF3 and payload[:1] == b"\x00" else payload
            await self._on_command(stream_id, amf.decode_all(body))
        elif type_id in (AUDIO, VIDEO, DATA_AMF0, DATA_AMF3):
            if self.target is None:
                return
            if type_id == DATA_AMF3:
                payload, type_id = (payload[1:] if payload[:1] == b"\x00" else payload), SCRIPT
            unit = self.muxer.message(type_id, timestamp, payload)
            if unit is not None:
                waited = time.monotonic() - self.published_at > 2.0
                await self.target.push(unit, self.muxer.info(waited=waited))

    async def _on_command(self, stream_id: int, values: list) -> None:
        if not values or not isinstance(values[0], str):
            raise RtmpError("malformed command")
        name = values[0]
        txn = values[1] if len(values) > 1 and isinstance(values[1], float) else 0
        if name == "connect":
            await self._on_connect(txn, values[2] if len(values) > 2 and isinstance(values[2], dict) else {})
        elif not self.connected:
            raise RtmpError(f"{name} before connect")
        elif name == "createStream":
            self._command(0, "_result", txn, None, 1)
        elif name == "publish":
            key = values[3] if len(values) > 3 and isinstance(values[3], str) else ""
            await self._on_publish(stream_id or 1, key)
        elif name in ("FCUnpublish", "deleteStream", "closeStream"):
            self._closing = True
        elif name == "FCPublish":
            self._command(0, "onFCPublish", 0, None, {"code": "NetStream.Publish.Start", "description": ""})
        elif txn:  # releaseStream, getStreamLength … : a plain answer keeps every client moving
            self._command(0, "_result", txn, None, None)

    async def _on_connect(self, txn: float, properties: dict) -> None:
        app = str(properties.get("app") or "").split("?", 1)[0].strip("/")
        if app != self.app:
            self._command(
                0,
                "_error",
                txn,
                None,
                {"level": "error", "code": "NetConnection.Connect.Rejected", "description": "unknown application"},
            )
            await self.writer.drain()
            raise RtmpError(f"connect to unknown application {app!r}")
        self.connected = True
        self._send(2, WINDOW_ACK_SIZE, 0, 0, struct.pack(">I", OUR_WINDOW))
        self._send(2, SET_PEER_BANDWIDTH, 0, 0, struct.pack(">IB", OUR_WINDOW, 2))
        self._send(2, SET_CHUNK_SIZE, 0, 0, struct.pack(">I", OUR_CHUNK_SIZE))
        self.out_chunk_size = OUR_CHUNK_SIZE
        self._command(
            0,
            "_result",
            txn,
            {"fmsVer": "FMS/3,0,1,123", "capabilities": 31},
            {
                "level": "status",
                "code": "NetConnection.Connect.Success",
                "description": "Connection succeeded.",
                "objectEncoding": 0,
            },
        )

    async def _on_publish(self, stream_id: int, raw_key: str) -> None:
        if self.target is not None:
            raise RtmpError("publish twice on one connection")
        key = raw_key.split("?", 1)[0]
        result = await self.on_publish(key, self) if key else "bad key"
        if isinstance(result, str):
            self._status(stream_id, "error", "NetStream.Publish.BadName", result)
            await self.writer.drain()
            raise RtmpError(f"publish refused: {result}")
        self.stream_key = key
        self.target = result
        self.deadline = None
        self.published_at = time.monotonic()
        self._send(2, USER_CONTROL, 0, 0, struct.pack(">HI", 0, stream_id))  # StreamBegin
        self._status(stream_id, "status", "NetStream.Publish.Start", "publishing")


def _address(peer) -> str:
    return peer[0] if isinstance(peer, tuple) and peer else str(peer)


def front_door_admits(connections: set[RtmpConnection], peer) -> bool:
    """Room for one more connection? No encoder farm needs more than MAX_CONNECTIONS; strangers
    (not yet publishing) get MAX_UNAUTHENTICATED slots, and one address a few of them, so a flood
    from one place cannot keep a venue's encoder out."""
    if len(connections) >= MAX_CONNECTIONS:
        return False
    strangers = [c for c in connections if not c.authenticated]
    if len(strangers) >= MAX_UNAUTHENTICATED:
        return False
    address = _address(peer)
    return sum(1 for c in strangers if _address(c.peer) == address) < MAX_UNAUTHENTICATED_PER_ADDRESS


async def serve_front_door(
    host: str, port: int, *, app: str, on_publish: PublishHandler, connections: set[RtmpConnection]
) -> asyncio.Server:
    """Listen for publishers; every open connection is kept in `connections` so it can be dropped."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not front_door_admits(connections, writer.get_extra_info("peername")):
            writer.close()
            return
        conn = RtmpConnection(reader, writer, app=app, on_publish=on_publish)
        connections.add(conn)
        try:
            await conn.serve()
        finally:
            connections.discard(conn)

    return await asyncio.start_server(handle, host, port, reuse_address=True)
