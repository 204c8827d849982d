"""The RTMP front door inside a real supervisor (in this process), with ffmpeg as the encoder."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from streaming.models import LiveEvent, new_stream_key
from streaming.video.models import LiveStream
from streaming.video.supervision.supervisor import Supervisor, default_config
from streaming.video.tests.conftest import make_event
from streaming.video.tests.live_support import ffmpeg_processes_of, publisher
from tests.support import free_port, live_db

pytestmark = live_db


@pytest.fixture(autouse=True)
async def close_thread_connections():
    yield
    await sync_to_async(connections.close_all)()


async def until(predicate, timeout: float, what: str):
    for _ in range(int(timeout / 0.1)):
        if await sync_to_async(predicate)():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_wrong_app_is_refused_and_a_rotated_key_drops_the_encoder(live_dirs):
    event = await sync_to_async(make_event)()
    port = free_port()
    supervisor = Supervisor(default_config(rtmp_host="127.0.0.1", rtmp_port=port, poll_interval=0.2))
    running = asyncio.ensure_future(supervisor.run())
    try:
        await until(lambda: event.pk in supervisor.runtimes and supervisor.rtmp_server, 10, "the supervisor")
        wrong_app = publisher(f"rtmp://127.0.0.1:{port}/other/{event.stream_key}", seconds=2, size="320x240")
        assert await asyncio.to_thread(wrong_app.wait, 30) != 0

        encoder = publisher(f"rtmp://127.0.0.1:{port}/live/{event.stream_key}", seconds=30, size="320x240")
        await until(lambda: LiveStream.objects.filter(event=event, on_air=True).exists(), 20, "the encoder on air")
        await until(lambda: ffmpeg_processes_of(event.pk), 20, "the packager")
        # The host replaces the key (a leaked key): the encoder using the old one is dropped at once.
        await sync_to_async(LiveEvent.objects.filter(pk=event.pk).update)(stream_key=new_stream_key())
        assert await asyncio.to_thread(encoder.wait, 20) != 0
        await until(lambda: not LiveStream.objects.get(event=event).on_air, 10, "the stream off air")
        await until(lambda: not ffmpeg_processes_of(event.pk), 20, "the packager to finish")
        stream = await sync_to_async(LiveStream.objects.get)(event=event)
        assert stream.restarts == 0  # a source that was dropped is not a packager crash
    finally:
        supervisor.stop()
        await asyncio.wait_for(running, 30)
