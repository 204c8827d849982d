"""Browser publishing end to end: Chromium's fake camera → the publish widget on the host console →
Daphne → the supervisor's ffmpeg → HLS → hls.js on a branch venue's big screen in a second browser,
which checks in with its headcount while it plays; the host console shows it.

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

import pytest
from django.utils import timezone

from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import LiveEvent
from streaming.tests.factories import make_world
from streaming.video.models import LiveStream
from streaming.video.tests.live_support import (
    LIVE_MEDIA_ROOT,
    SupervisorProcess,
    ffmpeg_processes_of,
    wait_for,
)
from tests.support import free_port, in_thread, launched_chromium, live_db, sign_in, subprocess_env

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

FAKE_MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
TIMEOUT_MS = 30_000


@pytest.fixture
def scene(transactional_db, settings, live_database_url):
    settings.LIVE_MEDIA_ROOT = LIVE_MEDIA_ROOT
    world = make_world(state=LiveEvent.State.LIVE)  # one invited branch venue with its operator
    event = world.event
    env = subprocess_env(DATABASE_URL=live_database_url, REDIS_URL=os.environ.get("REDIS_URL") or None)
    supervisor = SupervisorProcess(env, free_port()).start()
    yield {"host": world.organiser, "world": world, "event": event, "supervisor": supervisor}
    supervisor.stop()


@pytest.fixture
def chromium(scene):
    with launched_chromium(extra_args=FAKE_MEDIA_ARGS) as browser:
        yield browser


def current_time(page) -> float:
    return page.evaluate("document.querySelector('[data-live-event] video[data-player]').currentTime")


def test_host_broadcasts_from_the_browser_and_a_venue_plays_checks_in_and_plays_through_a_packager_crash(
    daphne, scene, chromium
):
    event, supervisor, world = scene["event"], scene["supervisor"], scene["world"]
    venue_id = world.venue_a.pk

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

    # A second browser is the branch venue's big screen: it plays the output with hls.js.
    viewer = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
    viewer.set_default_timeout(TIMEOUT_MS)
    sign_in(viewer, daphne, world.operator_a.username, DEFAULT_PASSWORD)
    viewer.goto(f"{daphne.url}/live/{event.pk}/venue/{venue_id}/")
    viewer.get_by_role("button", name="启动会场大屏").click()
    try:
        viewer.wait_for_selector('[data-live-event][data-health="playing"]', timeout=60_000)
    except Exception as exc:
        raise AssertionError(f"the viewer never played{supervisor.diagnostics()}{daphne.diagnostics()}") from exc
    started = current_time(viewer)
    wait_for(lambda: current_time(viewer) > started + 2, 20, "the viewer's video to advance")

    # The venue checks in with its headcount while the video plays; the host console shows it.
    viewer.locator("[data-checkin-open]").click()
    dialog = viewer.locator("dialog[data-checkin-dialog]")
    dialog.get_by_label("会场实到人数").fill("42")
    dialog.get_by_role("button", name="签到", exact=True).click()
    host_page.wait_for_function(
        "id => document.querySelector(`tr[data-venue-row='${id}'] [data-col=headcount]`).textContent === '42'",
        arg=venue_id,
    )
    assert host_page.get_attribute(f'tr[data-venue-row="{venue_id}"]', "data-online") == "1"
    host_page.wait_for_function("() => document.querySelector('[data-total=headcount]').textContent === '42'")
    # The venue's heartbeats report its player's health to the roster.
    host_page.wait_for_function(
        "id => document.querySelector(`tr[data-venue-row='${id}'] [data-col=health]`).textContent === '播放中'",
        arg=venue_id,
        timeout=40_000,
    )
    # The broadcast page (the host's output monitor) plays it too, with the video side's player.
    studio = host_page.context.new_page()
    studio.goto(f"{daphne.url}/live-video/{event.pk}/studio/")
    studio.wait_for_selector('[data-live-player][data-player-state="playing"]', timeout=60_000)
    studio.close()
    checked_in_at = current_time(viewer)
    wait_for(lambda: current_time(viewer) > checked_in_at + 1, 20, "the venue's video to play on after check-in")

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
    # The supervisor then queues the replay (run at once by the tests' task backend); its ffmpeg reads
    # the event's directory too, so wait for the replay to settle before counting what is left.
    settled = {LiveStream.Recording.PUBLISHED, LiveStream.Recording.FAILED, LiveStream.Recording.NONE}
    wait_for(
        lambda: in_thread(lambda: LiveStream.objects.get(event=event).recording) in settled,
        60,
        "the replay to be made",
        diagnostics=supervisor.diagnostics,
    )
    wait_for(lambda: not ffmpeg_processes_of(event.pk), 20, "every ffmpeg of the event to end")
    time.sleep(2)  # and none comes back
    assert not ffmpeg_processes_of(event.pk)
    assert in_thread(lambda: LiveStream.objects.get(event=event).recording) == LiveStream.Recording.PUBLISHED
