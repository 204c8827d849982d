"""Browser publishing end to end: Chromium's fake camera → the publish widget on the host console →
Daphne → the supervisor's ffmpeg → HLS → hls.js in a second browser page.

What Debian's Chromium can do here (checked with this Chromium, see streaming/video/README.md): MSE
plays H.264/AAC (hls.js transmuxes the MPEG-TS segments to fMP4), MediaRecorder records WebM with
VP8/VP9/H.264 and Opus. Playwright's sync API runs an event loop in this thread, and Django refuses
ORM calls while one runs, so the rows are made before the browser starts and later changes run in
a worker thread.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from core.models import Role
from core.tests.factories import DEFAULT_PASSWORD, make_tree
from streaming.models import LiveEvent
from streaming.video.models import LiveStream
from streaming.video.tests.live_support import (
    LIVE_MEDIA_ROOT,
    SupervisorProcess,
    ffmpeg_processes_of,
    wait_for,
)
from tests.conftest import make_person
from tests.e2e.test_portal_browser import sign_in
from tests.support import free_port, launched_chromium, live_db, subprocess_env

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

FAKE_MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
TIMEOUT_MS = 30_000


def in_thread(fn):
    """Run fn (database work) outside Playwright's event loop, closing that thread's connection after."""

    def run():
        try:
            return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


@pytest.fixture
def scene(transactional_db, settings, live_database_url):
    settings.LIVE_MEDIA_ROOT = LIVE_MEDIA_ROOT
    tree = make_tree()
    host = make_person(Role.TOWN_STAFF, "host", area=tree["town_a"])
    ops = make_person(Role.OPS_ADMIN, "ops")
    now = timezone.now()
    event = LiveEvent.objects.create(
        title="党课直播：浏览器推流",
        organiser=host,
        scheduled_start=now - timedelta(minutes=1),
        scheduled_end=now + timedelta(hours=1),
        state=LiveEvent.State.LIVE,
        started_at=now,
    )
    env = subprocess_env(DATABASE_URL=live_database_url, REDIS_URL=os.environ.get("REDIS_URL") or None)
    supervisor = SupervisorProcess(env, free_port()).start()
    yield {"host": host, "ops": ops, "event": event, "supervisor": supervisor}
    supervisor.stop()


@pytest.fixture
def chromium(scene):
    with launched_chromium(extra_args=FAKE_MEDIA_ARGS) as browser:
        yield browser


def current_time(page) -> float:
    return page.evaluate("document.querySelector('[data-live-player] video').currentTime")


def test_host_broadcasts_from_the_browser_and_a_viewer_plays_through_a_packager_crash(daphne, scene, chromium):
    event, supervisor = scene["event"], scene["supervisor"]
    studio = f"{daphne.url}/live-video/{event.pk}/studio/"

    # The host publishes from the host console (streaming's page), which includes the publish widget.
    host_page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    host_page.set_default_timeout(TIMEOUT_MS)
    sign_in(host_page, daphne, scene["host"].username, DEFAULT_PASSWORD)
    host_page.goto(f"{daphne.url}/live/{event.pk}/host/")
    widget = host_page.locator("[data-live-publish]")
    widget.locator('[data-action="camera"]').click()
    host_page.wait_for_selector('[data-live-publish][data-publish-state="ready"]')
    widget.locator('[data-action="start"]').click()
    host_page.wait_for_selector('[data-live-publish][data-publish-state="live"]')

    # A second browser plays the output with hls.js (the broadcast page's player).
    viewer = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    viewer.set_default_timeout(TIMEOUT_MS)
    sign_in(viewer, daphne, scene["ops"].username, DEFAULT_PASSWORD)
    viewer.goto(studio)
    try:
        viewer.wait_for_selector('[data-live-player][data-player-state="playing"]', timeout=60_000)
    except Exception as exc:
        raise AssertionError(f"the viewer never played{supervisor.diagnostics()}{daphne.diagnostics()}") from exc
    started = current_time(viewer)
    wait_for(lambda: current_time(viewer) > started + 2, 20, "the viewer's video to advance")

    stream = in_thread(lambda: LiveStream.objects.get(event=event))
    assert stream.on_air and stream.source == LiveStream.Source.BROWSER
    assert stream.source_info["video_codec"] in ("vp8", "vp9", "h264")

    # ffmpeg dies mid-stream: the supervisor restarts it, the playlist continues after a
    # discontinuity, and the viewer plays on past the content it had buffered.
    (packager,) = ffmpeg_processes_of(event.pk)
    os.kill(packager, signal.SIGKILL)
    at_kill = current_time(viewer)
    wait_for(
        lambda: current_time(viewer) > at_kill + 5,
        45,
        "the viewer to play on after the packager crash",
        diagnostics=supervisor.diagnostics,
    )
    assert packager not in ffmpeg_processes_of(event.pk)
    assert in_thread(lambda: LiveStream.objects.get(event=event).restarts) >= 1
    assert host_page.get_attribute("[data-live-publish]", "data-publish-state") == "live"

    # The host ends the event: the widget says so and no ffmpeg is left.
    in_thread(
        lambda: LiveEvent.objects.filter(pk=event.pk).update(state=LiveEvent.State.ENDED, ended_at=timezone.now())
    )
    host_page.wait_for_selector('[data-live-publish][data-publish-state="ended"]')
    wait_for(lambda: not ffmpeg_processes_of(event.pk), 20, "every ffmpeg of the event to end")
    time.sleep(2)  # and none comes back
    assert not ffmpeg_processes_of(event.pk)
