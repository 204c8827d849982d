"""One subscription per process per event: the fan-out of live items to local sockets.

The Channels tutorial pattern (every socket joins the event's group, every message is dispatched
to every consumer through the layer) costs one layer delivery and one consumer dispatch per
socket per message; measured here it saturates a Daphne process at a few thousand deliveries per
second. Instead each process keeps one `EventHub` per event with local sockets: the hub's own
channel is the only member of the group from this process, so each item arrives here once; the
hub puts the items in sequence order, gathers those that arrive within a few milliseconds into
one frame, encodes it once, and writes it to every local socket (straight to the TCP socket under
Daphne, see streaming/wire.py; through the ASGI send otherwise).

Correctness does not rest on the layer: items carry the event's sequence number; the hub delivers
them strictly in order, waits briefly for a missing number (two processes' pushes can cross) and
then reads it from the database, and polls the database now and then so that even a lost last
item, or a dead Redis, only delays delivery. Each socket (see consumers.py) drops what it already
has, so nothing reaches a screen twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Sequence
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from core.layers import LayerSubscription
from streaming.services.stream import current_seq, event_group, items_after
from streaming.wire import text_frame

logger = logging.getLogger(__name__)

Item = tuple[int, str]


def batch_frame(items: Sequence[Item]) -> str:
    """One text frame for consecutive items: the item itself, or a batch of several."""
    if len(items) == 1:
        return items[0][1]
    return '{"type":"batch","items":[' + ",".join(data for _seq, data in items) + "]}"


class Member(Protocol):
    async def hub_send(self, items: Sequence[Item], message: dict, wire: bytes) -> None: ...


class EventHub:
    def __init__(self, event_id: int) -> None:
        self.event_id = event_id
        self.group = event_group(event_id)
        self.members: set[Member] = set()
        self.seq = 0  # highest number delivered (or known to be before this hub's time)
        self.buffer: dict[int, str] = {}
        self._resync = asyncio.Event()  # read the database now: pushes may have been lost
        layer = get_channel_layer()
        # One channel of this process in the event's group, added again after any layer error and
        # renewed before it expires (core/layers.py): a Redis restarted empty must not end the pushes.
        self.subscription = (
            LayerSubscription(f"live event {event_id}", self._on_layer_message, on_subscribed=self._resync.set)
            if layer is not None
            else None
        )
        self.ready = asyncio.get_running_loop().create_future()
        self._wake = asyncio.Event()
        self._gap_since: float | None = None
        self._tasks: list[asyncio.Task] = []
        self.batch_seconds = float(settings.STREAMING_HUB_BATCH_SECONDS)
        self.gap_seconds = float(settings.STREAMING_HUB_GAP_SECONDS)
        self.poll_seconds = float(settings.STREAMING_HUB_POLL_SECONDS)

    @property
    def subscribed(self) -> bool:
        return self.subscription is not None and self.subscription.subscribed

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            if self.subscription is not None:
                await self.subscription.start([self.group])
            # Read after subscribing: anything committed later reaches us through the layer.
            self.seq = await database_sync_to_async(current_seq)(self.event_id)
            self._tasks = [asyncio.create_task(self._deliver_loop()), asyncio.create_task(self._poll_loop())]
            self.ready.set_result(True)
        except BaseException as exc:
            self.ready.set_exception(exc)
            if self.subscription is not None:
                await self.subscription.stop()
            raise

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.subscription is not None:
            await self.subscription.stop()

    # --- receiving ----------------------------------------------------------------------------

    def accept(self, items) -> None:
        """Take items from the layer or the database; ignore what was delivered already."""
        for seq, data in items:
            if seq > self.seq:
                self.buffer.setdefault(seq, data)
        if self.buffer:
            self._wake.set()

    async def _on_layer_message(self, message: dict) -> None:
        # Items are taken only once the hub knows where the database stood when it subscribed.
        await asyncio.shield(self.ready)
        items = message.get("items")
        if isinstance(items, list):
            self.accept((int(seq), str(data)) for seq, data in items)

    async def _poll_loop(self) -> None:
        """The database is the source of truth: a lost push (or a dead layer) delays, never loses."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._resync.wait()
            self._resync.clear()
            try:
                latest = await database_sync_to_async(current_seq)(self.event_id)
                if latest > self.seq and latest not in self.buffer:
                    # Give an in-flight push its chance first; the gap repair fetches the rest.
                    await asyncio.sleep(self.gap_seconds)
                    if latest > self.seq and latest not in self.buffer:
                        await self._fetch(latest)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live hub for event %s: poll failed", self.event_id, exc_info=True)

    async def _fetch(self, upto: int) -> None:
        rows = await database_sync_to_async(items_after)(self.event_id, self.seq, upto=upto)
        self.accept(rows)

    # --- delivering ---------------------------------------------------------------------------

    def _take_in_order(self) -> list[Item]:
        items = []
        while (self.seq + 1) in self.buffer:
            self.seq += 1
            items.append((self.seq, self.buffer.pop(self.seq)))
        return items

    async def _deliver_loop(self) -> None:
        while True:
            await self._wake.wait()
            if self.batch_seconds:
                # Items arriving within a few milliseconds go out as one frame per socket.
                await asyncio.sleep(self.batch_seconds)
            self._wake.clear()
            items = self._take_in_order()
            if items:
                await self.deliver(items)
            if self.buffer:
                await self._mind_the_gap()
            else:
                self._gap_since = None

    async def _mind_the_gap(self) -> None:
        now = time.monotonic()
        if self._gap_since is None:
            self._gap_since = now
        if now - self._gap_since < self.gap_seconds:
            asyncio.get_running_loop().call_later(self.gap_seconds, self._wake.set)
            return
        try:
            await self._fetch(max(self.buffer))
        except Exception:
            logger.warning("live hub for event %s: gap repair failed", self.event_id, exc_info=True)
            asyncio.get_running_loop().call_later(1.0, self._wake.set)
            return
        if self.buffer and (self.seq + 1) not in self.buffer:
            # Not in the database either (it cannot be, unless rows were deleted): move on.
            logger.error(
                "live hub for event %s: items %s..%s are missing", self.event_id, self.seq + 1, min(self.buffer)
            )
            self.seq = min(self.buffer) - 1
        self._gap_since = None
        self._wake.set()

    async def deliver(self, items: list[Item]) -> None:
        # Encoded once for every socket: the ASGI message (nothing on the way modifies it) and the
        # WebSocket frame for sockets written directly (streaming/wire.py).
        text = batch_frame(items)
        message = {"type": "websocket.send", "text": text}
        wire = text_frame(text)
        for member in list(self.members):
            try:
                await member.hub_send(items, message, wire)
            except Exception:  # one broken socket must not stop the others
                logger.debug("live hub for event %s: send failed", self.event_id, exc_info=True)


# --- The per-process registry ------------------------------------------------------------------

# One registry per event loop: the test runner starts a loop per test; Daphne runs one.
_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, EventHub]] = weakref.WeakKeyDictionary()


def _registry() -> dict[int, EventHub]:
    loop = asyncio.get_running_loop()
    registry = _registries.get(loop)
    if registry is None:
        registry = _registries[loop] = {}
    return registry


async def hub_join(event_id: int, member: Member) -> EventHub:
    registry = _registry()
    hub = registry.get(event_id)
    if hub is None:
        hub = registry[event_id] = EventHub(event_id)
        hub.members.add(member)
        try:
            await hub.start()
        except BaseException:
            if registry.get(event_id) is hub:
                del registry[event_id]
            raise
        return hub
    hub.members.add(member)
    try:
        await asyncio.shield(hub.ready)
    except BaseException:
        # Cancelled (Daphne gives up on a socket whose client left while it connected) or the start
        # failed: nobody calls hub_leave for a socket that never joined, so let go of it here.
        await hub_leave(hub, member)
        raise
    return hub


async def hub_leave(hub: EventHub, member: Member) -> None:
    hub.members.discard(member)
    if hub.members:
        return
    registry = _registry()
    if registry.get(hub.event_id) is hub:
        del registry[hub.event_id]
    if hub.ready.done() and not hub.ready.exception():
        await hub.stop()


def hubs_running() -> dict[int, int]:
    """Event id → local sockets, for health pages and tests."""
    return {event_id: len(hub.members) for event_id, hub in _registry().items()}
