"""core.layers: subscriptions kept alive and outages logged once, on the in-memory layer and a dead Redis.

The Redis restarted empty is in streaming/tests/test_hub_redis.py (it needs a Redis server).
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer

from core import layers
from core.layers import LayerSubscription, Outage, subscriptions_report
from streaming.services.stream import broadcast

# Nothing listens on port 1: every connection is refused at once, as with a Redis that is down.
DEAD_REDIS = {
    "BACKEND": "channels_redis.core.RedisChannelLayer",
    "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 0.5}], "prefix": "dead"},
}


@pytest.fixture(autouse=True)
def fresh_outages(monkeypatch):
    """Each test starts with no outage on record (the state is per process)."""
    monkeypatch.setattr(layers, "push_outage", Outage("channel-layer pushes"))
    monkeypatch.setattr(layers, "read_outage", Outage("channel-layer subscriptions"))


def outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.layers" and r.levelno >= logging.WARNING]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.arrived = asyncio.Event()

    async def handle(self, message: dict) -> None:
        self.messages.append(message)
        self.arrived.set()

    async def wait(self, timeout: float) -> dict:
        async with asyncio.timeout(timeout):
            while not self.messages:
                self.arrived.clear()
                await self.arrived.wait()
        return self.messages.pop(0)


def test_pushes_during_an_outage_log_once_and_its_end_once(settings, caplog):
    settings.CHANNEL_LAYERS = {"default": DEAD_REDIS}
    caplog.set_level(logging.WARNING, logger="core.layers")
    for seq in range(1, 11):  # ten chat lines while Redis is down: saved, pushed in vain
        broadcast(7, [(seq, '{"type":"chat"}')])
    lines = outage_lines(caplog)
    assert len(lines) == 1, lines
    assert "live push of event 7" in lines[0] and "unreachable" in lines[0] and "ConnectionError" in lines[0]
    assert not any(r.exc_info for r in caplog.records), "no traceback per failed push"

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    broadcast(7, [(11, '{"type":"chat"}')])
    broadcast(7, [(12, '{"type":"chat"}')])
    lines = outage_lines(caplog)
    assert len(lines) == 2, lines
    assert "answers again" in lines[1] and "(10 failures)" in lines[1]


async def test_membership_is_renewed_before_the_group_expires():
    # channels' in-memory layer, like channels-redis, ends a membership group_expiry seconds after it began.
    layer = InMemoryChannelLayer(group_expiry=1)
    inbox = Inbox()
    subscription = LayerSubscription("test", inbox.handle, layer=layer)
    await subscription.start(["renewed"])
    try:
        await asyncio.sleep(2.5)  # well past the expiry: without a renewal the group is empty now
        await layer.group_send("renewed", {"type": "hello"})
        assert (await inbox.wait(timeout=1))["type"] == "hello"
        assert subscription.subscribed
    finally:
        await subscription.stop()


async def test_a_subscription_to_a_dead_layer_reports_it_logs_once_and_stops_promptly(caplog):
    caplog.set_level(logging.WARNING, logger="core.layers")
    layer = RedisChannelLayer(**DEAD_REDIS["CONFIG"])
    subscription = LayerSubscription("live event 5", Inbox().handle, layer=layer)
    await subscription.start(["live.5"])
    try:
        await asyncio.sleep(1.5)  # reader and keeper both retry, backing off
        assert not subscription.subscribed
        report = subscriptions_report()
        assert report["ok"] is False and report["unsubscribed"] >= 1
        down = next(d for d in report["down"] if d["name"] == "live event 5")
        assert "ConnectionError" in down["error"]
        assert layers.read_outage.failures > 3  # it kept trying...
        lines = outage_lines(caplog)
        assert len(lines) == 1 and "live event 5" in lines[0], lines  # ...and said so once
    finally:
        async with asyncio.timeout(5):  # a retrying loop must still end when cancelled
            await subscription.stop()
    assert subscriptions_report()["unsubscribed"] == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_healthz_fails_while_a_subscription_of_this_process_is_down(client):
    async def healthz() -> tuple[int, dict]:
        response = await sync_to_async(client.get)("/healthz")
        return response.status_code, response.json()

    status, body = await healthz()
    assert status == 200 and body["checks"]["push"]["ok"] is True

    layer = RedisChannelLayer(**DEAD_REDIS["CONFIG"])
    subscription = LayerSubscription("live event 9", Inbox().handle, layer=layer)
    await subscription.start(["live.9"])
    try:
        status, body = await healthz()
        assert status == 503
        push = body["checks"]["push"]
        assert push["ok"] is False and [d["name"] for d in push["down"]] == ["live event 9"]
    finally:
        await subscription.stop()
    status, body = await healthz()
    assert status == 200 and body["checks"]["push"]["ok"] is True
