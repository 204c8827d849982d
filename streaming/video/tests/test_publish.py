"""The publish WebSocket through Channels' communicator, into a real supervisor (in this process) and its ffmpeg."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import connections

from core.models import Role
from core.tests.factories import UserFactory, make_user_with_role
from streaming.models import LiveEvent
from streaming.video.models import LiveStream
from streaming.video.packaging.paths import event_dir
from streaming.video.routing import websocket_urlpatterns
from streaming.video.supervision.supervisor import Supervisor, default_config
from streaming.video.tests.conftest import make_event
from streaming.video.tests.live_support import ffmpeg_processes_of
from streaming.video.tests.media import webm_source
from tests.support import free_port, live_db, stored_session_for

app = URLRouter(websocket_urlpatterns)
# Transactional (the supervisor's database thread must see the rows) with serialized rollback: a plain
# transactional flush re-runs post_migrate, whose re-created rows (machina's forum permissions)
# then collide with the next serialized test's restore.
pytestmark = live_db
START = {"type": "start", "mime": "video/webm;codecs=vp8,opus", "width": 640, "height": 360, "audio": True}


@pytest.fixture(autouse=True)
async def close_thread_connections():
    """The database connection of asgiref's thread would otherwise outlive the test (and keep
    PostgreSQL from dropping the test database)."""
    yield
    await sync_to_async(connections.close_all)()


async def connect(user, event_id: int):
    communicator = WebsocketCommunicator(app, f"/ws/live/{event_id}/publish/")
    communicator.scope["user"] = user
    if user.is_authenticated:
        communicator.scope["session"] = await sync_to_async(stored_session_for)(user)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def closed_with(communicator) -> int:
    code = (await communicator.receive_output(timeout=5))["code"]
    # A browser answers the server's close, and the consumer ends (as it does in Daphne).
    await communicator.disconnect()
    return code


async def until(predicate, timeout: float, what: str):
    for _ in range(int(timeout / 0.1)):
        value = await sync_to_async(predicate)()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_who_may_connect(live_dirs):
    event = await sync_to_async(make_event)()
    assert await closed_with(await connect(AnonymousUser(), event.pk)) == 4401
    assert await closed_with(await connect(await sync_to_async(UserFactory)(), event.pk)) == 4403
    assert await closed_with(await connect(event.organiser, event.pk + 1000)) == 4403
    host = await connect(event.organiser, event.pk)
    assert await host.receive_json_from() == {"type": "hello", "event": event.pk, "state": "live"}
    await host.send_to(text_data=json.dumps({"type": "ping"}))
    assert await host.receive_json_from() == {"type": "pong"}
    await host.disconnect()


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        json.dumps({"type": "dance"}),
        json.dumps([1]),
        json.dumps({**START, "mime": "video/mp4"}),
        json.dumps({**START, "width": 99999}),
        json.dumps({**START, "height": "720"}),
        "x" * 5000,
    ],
)
async def test_malformed_messages_close_4400(live_dirs, message):
    event = await sync_to_async(make_event)()
    host = await connect(event.organiser, event.pk)
    await host.receive_json_from()
    await host.send_to(text_data=message)
    assert await closed_with(host) == 4400


async def test_without_a_supervisor_the_host_is_told_and_the_site_carries_on(live_dirs):
    event = await sync_to_async(make_event)()
    host = await connect(event.organiser, event.pk)
    await host.receive_json_from()
    await host.send_to(text_data=json.dumps(START))
    assert await host.receive_json_from(timeout=10) == {"type": "refused", "reason": "unavailable"}
    await host.send_to(text_data=json.dumps({"type": "ping"}))  # the socket stays usable: retry later
    assert await host.receive_json_from() == {"type": "pong"}
    await host.disconnect()


async def test_browser_stream_is_packaged_one_source_at_a_time_and_stops_cleanly(live_dirs):
    event = await sync_to_async(make_event)()
    idle = await sync_to_async(make_event)(state=LiveEvent.State.SCHEDULED, organiser=event.organiser)
    ops = await sync_to_async(make_user_with_role)(Role.OPS_ADMIN)
    supervisor = Supervisor(default_config(rtmp_host="127.0.0.1", rtmp_port=free_port(), poll_interval=0.2))
    running = asyncio.ensure_future(supervisor.run())
    try:
        await until(lambda: event.pk in supervisor.runtimes, 10, "the supervisor to pick up the event")
        host = await connect(event.organiser, event.pk)
        await host.receive_json_from()
        await host.send_to(text_data=json.dumps(START))
        assert await host.receive_json_from(timeout=10) == {"type": "started"}
        data = webm_source(seconds=3)
        for offset in range(0, len(data), 16_384):  # MediaRecorder-sized chunks
            await host.send_to(bytes_data=data[offset : offset + 16_384])
        playlist = event_dir(event.pk) / "360p" / "index.m3u8"
        # Generous: ffmpeg on a loaded machine; the wait ends as soon as the segments are there.
        await until(lambda: playlist.exists() and playlist.read_text().count("#EXTINF") >= 2, 90, "segments")
        # The supervisor records the stream on its next round: wait for the row, not just the files.
        row = await until(lambda: LiveStream.objects.filter(event=event, on_air=True).first(), 20, "on air")
        assert row.source == "browser" and row.source_info["ladder"] == ["360p"]

        # A second host's browser is refused while this one is on air; an event not live refuses too.
        other = await connect(ops, event.pk)
        await other.receive_json_from()
        await other.send_to(text_data=json.dumps(START))
        assert await other.receive_json_from(timeout=10) == {"type": "refused", "reason": "busy"}
        await other.disconnect()
        not_live = await connect(event.organiser, idle.pk)
        await not_live.receive_json_from()
        await not_live.send_to(text_data=json.dumps(START))
        assert await not_live.receive_json_from(timeout=10) == {"type": "refused", "reason": "not_live"}
        await not_live.disconnect()

        await host.send_to(text_data=json.dumps({"type": "stop"}))
        assert await host.receive_json_from(timeout=10) == {"type": "stopped", "reason": "stopped"}
        await until(lambda: not ffmpeg_processes_of(event.pk), 20, "the packager to finish")
        row = await until(lambda: LiveStream.objects.filter(event=event, on_air=False).first(), 20, "off air")
        assert row.restarts == 0  # a source that leaves is not a crash: no restart

        # Publishing again continues the same playlists; the end of the event reaches the browser.
        await host.send_to(text_data=json.dumps(START))
        assert await host.receive_json_from(timeout=10) == {"type": "started"}
        count = playlist.read_text().count("#EXTINF")
        for offset in range(0, len(data), 16_384):
            await host.send_to(bytes_data=data[offset : offset + 16_384])
        await until(lambda: playlist.read_text().count("#EXTINF") >= count + 2, 30, "more segments")
        await sync_to_async(LiveEvent.objects.filter(pk=event.pk).update)(state=LiveEvent.State.ENDED)
        assert await host.receive_json_from(timeout=10) == {"type": "stopped", "reason": "ended"}
        await until(lambda: not ffmpeg_processes_of(event.pk), 20, "no ffmpeg after the end")
        assert event.pk not in supervisor.runtimes
        await host.disconnect()
    finally:
        supervisor.stop()
        await asyncio.wait_for(running, 30)
