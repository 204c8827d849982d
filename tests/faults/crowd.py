"""Many live-event sockets in one thread (asyncio), as the screens of a big event hold them open.

A `Screen` behaves as the event page's script does: it keeps what arrives in sequence order, and
when its socket drops it connects again (to whichever server it is told) with `last=` the highest
sequence number it has, so the server replays exactly what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

from tests.support import WS_TIMEOUT, DaphneProcess


def unpack(frame: str | bytes) -> list[dict]:
    data = json.loads(frame)
    return data["items"] if data.get("type") == "batch" else [data]


async def open_live_socket(server: DaphneProcess, sessionid: str, event_id: int, query: str = "") -> ClientConnection:
    return await connect(
        server.ws_url(f"/ws/live/{event_id}/{'?' + query if query else ''}"),
        origin=Origin(server.url),
        additional_headers={"Cookie": f"sessionid={sessionid}"},
        open_timeout=WS_TIMEOUT * 3,  # a crowd connecting at once waits its turn on a loaded machine
        close_timeout=2,
        proxy=None,
        max_queue=None,
    )


@dataclass
class Screen:
    """One listening screen: every item with its arrival time, the sequence numbers it holds."""

    sessionid: str
    event_id: int
    start_seq: int = -1  # the snapshot's sequence number
    last: int = -1
    chats: list[tuple[int, str, float]] = field(default_factory=list)  # (seq, text, arrived)
    seqs: list[int] = field(default_factory=list)  # every sequenced item, in arrival order
    reconnects: int = 0
    # Handshakes at once, shared by a crowd: Daphne's listen backlog (Twisted: 50) resets the rest.
    gate: asyncio.Semaphore | None = None

    def take(self, frame: str | bytes) -> None:
        now = time.monotonic()
        for item in unpack(frame):
            if item.get("type") == "snapshot":
                if self.start_seq < 0:
                    self.start_seq = item["seq"]
                self.last = max(self.last, item["seq"])
                continue
            seq = item.get("seq")
            if seq is None:
                continue
            self.seqs.append(seq)
            self.last = max(self.last, seq)
            if item.get("type") == "chat":
                self.chats.append((seq, item["text"], now))

    async def listen(self, server_for: Callable[[], DaphneProcess], until: Callable[[Screen], bool]) -> None:
        """Read until `until(self)`; on a dropped socket reconnect to server_for() (the balancer's
        choice), replaying from the last sequence number held (a fresh screen takes the snapshot)."""
        connected_before = False
        while not until(self):
            query = f"last={self.last}" if self.last >= 0 else ""
            try:
                async with self.gate or contextlib.nullcontext():
                    ws = await open_live_socket(server_for(), self.sessionid, self.event_id, query)
                    # The first frame (snapshot or replay) is the sign the server has taken the socket.
                    self.take(await asyncio.wait_for(ws.recv(decode=True), WS_TIMEOUT * 3))
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake):
                await asyncio.sleep(0.2)
                continue
            if connected_before:
                self.reconnects += 1
            connected_before = True
            try:
                async with ws:
                    while not until(self):
                        try:
                            self.take(await asyncio.wait_for(ws.recv(decode=True), 1.0))
                        except TimeoutError:
                            continue
            except ConnectionClosed:
                continue

    def gaps(self, upto: int) -> list[int]:
        """Sequence numbers after the snapshot up to `upto` this screen never got, and any it got twice."""
        expected = list(range(self.start_seq + 1, upto + 1))
        return sorted(set(expected) - set(self.seqs)) + sorted({s for s in self.seqs if self.seqs.count(s) > 1})
