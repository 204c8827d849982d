"""Live push on channels-redis when Redis goes away and comes back empty, and past the group expiry.

Runs when REDIS_URL is set (the PostgreSQL + Redis run); skipped on the embedded default. The layer
reaches Redis through a TCP forwarder the test cuts and restores; the keys under the test's own
prefix are deleted in between, so this process sees a Redis restarted empty while other runs
sharing the server keep theirs (a FLUSHDB would empty their groups and caches too).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.db import connections

from core import layers
from core.layers import Outage
from streaming.hub import EventHub
from streaming.models import LiveEvent
from streaming.routing import websocket_urlpatterns
from streaming.services import chat
from streaming.tests.factories import make_world
from tests.support import stored_session_for
from tests.tcp_proxy import TcpProxy

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set: these tests need a Redis server"),
]
app = URLRouter(websocket_urlpatterns)
PUSH_WITHIN = 1.0  # seconds: a push; the hub's database poll is set to a minute, so it cannot be that


@pytest.fixture(autouse=True)
async def _isolated():
    cache.clear()  # rate-limit counters are keyed by ids, which a flushed database hands out again
    layers_state = (layers.push_outage, layers.read_outage)
    layers.push_outage, layers.read_outage = Outage("channel-layer pushes"), Outage("channel-layer subscriptions")
    yield
    layers.push_outage, layers.read_outage = layers_state
    cache.clear()
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
async def world():
    return await sync_to_async(make_world)(state=LiveEvent.State.LIVE)


def redis_layer(url: str, prefix: str, **config) -> dict:
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": url, "socket_timeout": 15, "socket_connect_timeout": 1}],
            "prefix": prefix,
            "expiry": 30,
            **config,
        },
    }


def delete_keys(prefix: str) -> int:
    """Everything the layer keeps under `prefix`: groups, channels, in-flight messages."""
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    return client.delete(*keys) if keys else 0


async def connect(user, event_id: int, query: str = "") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(app, f"/ws/live/{event_id}/{'?' + query if query else ''}")
    communicator.scope["user"] = user
    communicator.scope["session"] = await sync_to_async(stored_session_for)(user)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def frames_until(communicator, done, timeout: float) -> list[dict]:
    """Frames (batches unpacked) until `done(items)` is true; TimeoutError if not within `timeout`."""
    items: list[dict] = []
    async with asyncio.timeout(timeout):
        while not done(items):
            frame = json.loads(await communicator.receive_from(timeout=timeout))
            items.extend(frame["items"] if frame["type"] == "batch" else [frame])
    return items


def texts(items: list[dict]) -> list[str]:
    return [item["text"] for item in items if item["type"] == "chat"]


async def test_redis_restarted_empty_push_resumes_and_healthz_tells_the_truth(world, settings, client, caplog):
    caplog.set_level(logging.WARNING, logger="core.layers")
    settings.STREAMING_HUB_POLL_SECONDS = 60
    target = urlsplit(REDIS_URL)
    proxy = await TcpProxy(target.hostname or "127.0.0.1", target.port or 6379).start()
    netloc = target.netloc.rsplit("@", 1)[0] + "@" if "@" in target.netloc else ""
    prefix = f"restart{secrets.token_hex(4)}"
    settings.CHANNEL_LAYERS = {
        "default": redis_layer(urlunsplit(target._replace(netloc=f"{netloc}127.0.0.1:{proxy.port}")), prefix)
    }

    async def healthz() -> tuple[int, dict]:
        response = await sync_to_async(client.get)("/healthz")
        return response.status_code, response.json()["checks"]

    async def healthz_until(status: int, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            code, checks = await healthz()
            if code == status or time.monotonic() > deadline:
                assert code == status, checks
                return checks
            await asyncio.sleep(0.2)

    host = await connect(world.organiser, world.event.pk)
    venue = await connect(world.operator_a, world.event.pk, f"venue={world.venue_a.pk}")
    try:
        assert (await frames_until(host, bool, 15))[0]["type"] == "snapshot"
        assert (await frames_until(venue, bool, 15))[0]["type"] == "snapshot"
        checks = await healthz_until(200, 5)
        assert checks["push"]["subscriptions"] >= 2  # the event's hub and the sign-out registry

        # Redis goes down: connections drop, new ones are refused.
        await proxy.stop()
        checks = await healthz_until(503, 5)
        assert checks["push"]["ok"] is False and checks["push"]["unsubscribed"] >= 1, checks
        # Chat during the outage is saved (acknowledged); its pushes fail.
        for n in range(2):
            await venue.send_to(text_data=json.dumps({"type": "chat", "text": f"断线期间{n}", "ref": n}))
        acks = await frames_until(venue, lambda items: sum(i["type"] == "ack" for i in items) == 2, 15)
        assert [a["ref"] for a in acks if a["type"] == "ack"] == [0, 1]

        # ...and comes back empty: every group and channel of this run is gone.
        assert await sync_to_async(delete_keys)(prefix) > 0
        await proxy.start()
        checks = await healthz_until(200, 10)
        assert checks["push"]["ok"] is True and checks["channel_layer"]["ok"] is True

        # What was said during the outage arrives as soon as the hub is back, not at its next poll.
        missed = await frames_until(host, lambda items: len(texts(items)) >= 2, 5)
        assert texts(missed) == ["断线期间0", "断线期间1"]

        # And a new line arrives by push.
        started = time.monotonic()
        await venue.send_to(text_data=json.dumps({"type": "chat", "text": "恢复之后"}))
        try:
            arrived = await frames_until(host, lambda items: "恢复之后" in texts(items), PUSH_WITHIN)
        except TimeoutError:
            pytest.fail(f"no push within {PUSH_WITHIN} s after Redis came back empty")
        assert texts(arrived) == ["恢复之后"] and time.monotonic() - started < PUSH_WITHIN
    finally:
        await host.disconnect()
        await venue.disconnect()
        await proxy.stop()

    # One line when each side lost the layer and one when it came back, however many failures between.
    lines = [r.getMessage() for r in caplog.records if r.name == "core.layers"]
    assert len(lines) == 4, lines
    assert sum("unreachable" in line for line in lines) == 2 and sum("answers again" in line for line in lines) == 2
    assert any(line.startswith("channel-layer pushes") and "live push of event" in line for line in lines)
    assert not any(r.exc_info for r in caplog.records if r.name == "core.layers")
    assert await sync_to_async(delete_keys)(prefix) >= 0


class Recorder:
    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.arrived = asyncio.Event()

    async def hub_send(self, items, message, wire) -> None:
        self.seqs.extend(seq for seq, _ in items)
        self.arrived.set()

    async def wait_for(self, count: int, timeout: float) -> list[int]:
        async with asyncio.timeout(timeout):
            while len(self.seqs) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.seqs


async def test_a_hub_outliving_the_group_expiry_still_gets_pushes(world, settings):
    settings.STREAMING_HUB_POLL_SECONDS = 60
    prefix = f"expiry{secrets.token_hex(4)}"
    # channels-redis drops a membership group_expiry seconds after it was added (a day by default).
    settings.CHANNEL_LAYERS = {"default": redis_layer(REDIS_URL, prefix, group_expiry=2)}
    hub = EventHub(world.event.pk)
    recorder = Recorder()
    hub.members.add(recorder)
    await hub.start()
    try:
        await asyncio.sleep(5)  # more than twice the expiry
        await sync_to_async(chat.chat_message_post)(event=world.event, author=world.operator_a, text="一天之后")
        try:
            await recorder.wait_for(1, PUSH_WITHIN)
        except TimeoutError:
            pytest.fail(f"no push within {PUSH_WITHIN} s once the first membership had expired")
        assert hub.subscribed
    finally:
        await hub.stop()
        await sync_to_async(delete_keys)(prefix)
