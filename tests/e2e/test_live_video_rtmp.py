"""RTMP ingest end to end: a real supervisor process, ffmpeg as the encoder, HLS served by a real Daphne.

The publisher is ffmpeg pushing a test pattern with a tone, like OBS would; the supervisor is
`manage.py live_supervisor` on the test database; the playlists and segments are fetched from the
session's Daphne through the signed playback URL. A few seconds of video per test.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.tests.factories import UserFactory
from streaming.models import LiveEvent
from streaming.video.models import LiveStream
from streaming.video.packaging.paths import event_dir
from streaming.video.selectors import playback_url
from streaming.video.tests.live_support import (
    LIVE_MEDIA_ROOT,
    SupervisorProcess,
    end_process,
    ffmpeg_processes_of,
    media_playlists,
    publisher,
    segments_of,
    wait_for,
)
from tests.mediainfo import media_info
from tests.support import free_port, http_session, live_db, subprocess_env

pytestmark = [pytest.mark.daphne, live_db]


@pytest.fixture(autouse=True)
def live_media_root(settings):
    settings.LIVE_MEDIA_ROOT = LIVE_MEDIA_ROOT


@pytest.fixture
def start_supervisor(live_database_url):
    started: list[SupervisorProcess] = []

    def start(**extra) -> SupervisorProcess:
        env = subprocess_env(DATABASE_URL=live_database_url, REDIS_URL=os.environ.get("REDIS_URL") or None)
        supervisor = SupervisorProcess(env, free_port()).start(**extra)
        started.append(supervisor)
        return supervisor

    yield start
    for supervisor in started:
        supervisor.stop()


def live_event(**fields) -> LiveEvent:
    now = timezone.now()
    return LiveEvent.objects.create(
        title=fields.pop("title", "主会场直播测试"),
        organiser=UserFactory(),
        scheduled_start=now - timedelta(minutes=5),
        scheduled_end=now + timedelta(hours=1),
        state=LiveEvent.State.LIVE,
        started_at=now,
        **fields,
    )


def stream_row(event: LiveEvent) -> LiveStream | None:
    return LiveStream.objects.filter(event=event).first()


def rtmp_url(supervisor: SupervisorProcess, key: str) -> str:
    return f"rtmp://127.0.0.1:{supervisor.rtmp_port}/live/{key}"


def test_rtmp_publish_is_packaged_served_and_becomes_a_replay(daphne, start_supervisor):
    event = live_event()
    supervisor = start_supervisor()
    wait_for(
        lambda: stream_row(event), 15, "the supervisor to pick up the live event", diagnostics=supervisor.diagnostics
    )

    # A wrong key is refused: the encoder fails and nothing is recorded.
    wrong = publisher(rtmp_url(supervisor, "not-the-key"), seconds=2)
    assert wrong.wait(timeout=30) != 0
    assert not event_dir(event.pk).exists()
    assert not stream_row(event).on_air

    # The right key: a 854x480 H.264 source is passed through as the top rendition, 360p is encoded.
    encoder = publisher(rtmp_url(supervisor, event.stream_key), seconds=6)
    try:
        session = http_session()
        master_url = f"{daphne.url}{playback_url(event)}"
        master = wait_for(
            lambda: (r := session.get(master_url, timeout=10)).status_code == 200 and r,
            30,
            "the master playlist",
            diagnostics=supervisor.diagnostics,
        )
        assert master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
        assert master.headers["Cache-Control"] == "no-cache"
        playlists = media_playlists(master.text)
        assert playlists == ["audio/index.m3u8", "480p/index.m3u8", "360p/index.m3u8"], master.text
        assert 'RESOLUTION=854x480,CODECS="avc1.' in master.text

        base = master_url.rsplit("/", 1)[0]
        for name, (width, height) in {"480p": (854, 480), "360p": (640, 360)}.items():
            playlist = wait_for(
                lambda n=name: (
                    (r := session.get(f"{base}/{n}/index.m3u8", timeout=10)).status_code == 200
                    and len(segments_of(r.text)) >= 2
                    and r
                ),
                30,
                f"two {name} segments",
                diagnostics=supervisor.diagnostics,
            )
            assert "#EXT-X-TARGETDURATION:1" in playlist.text
            segment = session.get(f"{base}/{name}/{segments_of(playlist.text)[0]}", timeout=10)
            assert segment.status_code == 200
            assert segment.headers["Content-Type"] == "video/mp2t"
            assert "immutable" in segment.headers["Cache-Control"]
            video = media_info(segment.content, fmt="mpegts").video
            assert (video.codec, video.width, video.height, video.pix_fmt) == ("h264", width, height, "yuv420p")
        audio = session.get(f"{base}/audio/index.m3u8", timeout=10)
        segment = session.get(f"{base}/audio/{segments_of(audio.text)[0]}", timeout=10)
        assert [s.codec for s in media_info(segment.content, fmt="mpegts").streams] == ["aac"]

        row = stream_row(event)
        assert row.on_air and row.source == LiveStream.Source.RTMP
        assert row.source_info["ladder"] == ["480p", "360p"]
        # A second encoder with the same key is refused while the first is on air.
        second = publisher(rtmp_url(supervisor, event.stream_key), seconds=2)
        assert second.wait(timeout=30) != 0

        # A token for another event, or a forged one, opens nothing.
        forged = master_url.replace(f"/live-media/{event.pk}/", f"/live-media/{event.pk + 1}/")
        assert session.get(forged, timeout=10).status_code == 404
        assert encoder.wait(timeout=60) == 0, encoder.stderr.read().decode(errors="replace")
    finally:
        end_process(encoder)

    wait_for(lambda: not stream_row(event).on_air, 15, "the source to go off air")
    LiveEvent.objects.filter(pk=event.pk).update(state=LiveEvent.State.ENDED, ended_at=timezone.now())
    wait_for(lambda: not ffmpeg_processes_of(event.pk), 20, "every ffmpeg of the event to end")
    published = wait_for(
        lambda: (
            stream_row(event).recording in (LiveStream.Recording.PUBLISHED, LiveStream.Recording.FAILED)
            and stream_row(event)
        ),
        90,
        "the replay",
        diagnostics=supervisor.diagnostics,
    )
    assert published.recording == LiveStream.Recording.PUBLISHED, published.last_error
    assert 4 <= published.recorded_seconds <= 8
    event.refresh_from_db()
    assert event.state == LiveEvent.State.REPLAY_READY
    from learning.models import LessonPage

    lesson = LessonPage.objects.get(pk=published.replay_page_id)
    assert lesson.title == event.title and lesson.media.status == "ready"
    assert not event_dir(event.pk).exists()  # the live copy is gone once the replay has its own
    assert playback_url(event) is None


def test_killed_or_hung_packager_comes_back_after_a_discontinuity(daphne, start_supervisor):
    event = live_event()
    supervisor = start_supervisor(stall_seconds=3)
    wait_for(lambda: stream_row(event), 15, "the supervisor to pick up the live event")
    encoder = publisher(rtmp_url(supervisor, event.stream_key), seconds=24, size="640x360")
    playlist = event_dir(event.pk) / "360p" / "index.m3u8"

    def segments() -> list[str]:
        return segments_of(playlist.read_text()) if playlist.exists() else []

    try:
        wait_for(lambda: len(segments()) >= 2, 30, "the first segments", diagnostics=supervisor.diagnostics)
        (first,) = ffmpeg_processes_of(event.pk)
        os.kill(first, signal.SIGKILL)
        count = len(segments())
        second = wait_for(
            lambda: [p for p in ffmpeg_processes_of(event.pk) if p != first],
            15,
            "a new packager",
            diagnostics=supervisor.diagnostics,
        )[0]
        wait_for(
            lambda: len(segments()) >= count + 2, 20, "segments after the restart", diagnostics=supervisor.diagnostics
        )
        assert "#EXT-X-DISCONTINUITY" in playlist.read_text().split(segments()[count - 1], 1)[1]

        # A hung packager (stopped, not dead): the watchdog sees the playlist stall and replaces it.
        os.kill(second, signal.SIGSTOP)
        count = len(segments())
        wait_for(
            lambda: [p for p in ffmpeg_processes_of(event.pk) if p not in (first, second)],
            20,
            "the watchdog to replace the hung packager",
            diagnostics=supervisor.diagnostics,
        )
        assert second not in ffmpeg_processes_of(event.pk)
        wait_for(
            lambda: len(segments()) >= count + 2,
            20,
            "segments after the watchdog restart",
            diagnostics=supervisor.diagnostics,
        )
        assert stream_row(event).restarts >= 2
        # The encoder never noticed: it is still connected and sending.
        assert encoder.poll() is None
    finally:
        LiveEvent.objects.filter(pk=event.pk).update(state=LiveEvent.State.ENDED, ended_at=timezone.now())
        wait_for(lambda: not ffmpeg_processes_of(event.pk), 20, "every ffmpeg of the event to end")
        end_process(encoder)
    # Ended means ended: nothing is started again while the supervisor keeps running.
    wait_for(lambda: "no longer live" in supervisor.log(), 10, "the supervisor to stop the event")
    time.sleep(2)
    assert not ffmpeg_processes_of(event.pk)


def test_supervisor_crash_leaves_no_orphans(daphne, start_supervisor):
    event = live_event()
    supervisor = start_supervisor()
    wait_for(lambda: stream_row(event), 15, "the supervisor to pick up the live event")
    encoder = publisher(rtmp_url(supervisor, event.stream_key), seconds=30, size="640x360")
    playlist = event_dir(event.pk) / "360p" / "index.m3u8"
    try:
        wait_for(
            lambda: playlist.exists() and len(segments_of(playlist.read_text())) >= 2,
            30,
            "segments",
            diagnostics=supervisor.diagnostics,
        )
        (packager,) = ffmpeg_processes_of(event.pk)
        # Stopped, it ignores the SIGTERM the kernel sends when its parent dies and never reads the
        # end of its input: only the next supervisor's reaping can end it.
        os.kill(packager, signal.SIGSTOP)
        supervisor.kill_hard()
        assert encoder.wait(timeout=20) != 0  # the front door died with the supervisor
        assert packager in ffmpeg_processes_of(event.pk)

        successor = start_supervisor()
        wait_for(
            lambda: packager not in ffmpeg_processes_of(event.pk),
            10,
            "the leftover ffmpeg to be reaped",
            diagnostics=successor.diagnostics,
        )
        assert "left by a previous run" in successor.log()

        # The encoder reconnects (as OBS does) and the same playlists go on.
        count = len(segments_of(playlist.read_text()))
        encoder = publisher(rtmp_url(successor, event.stream_key), seconds=5, size="640x360")
        wait_for(
            lambda: len(segments_of(playlist.read_text())) >= count + 2,
            30,
            "segments from the new supervisor",
            diagnostics=successor.diagnostics,
        )
        successor.stop()
        wait_for(lambda: not ffmpeg_processes_of(event.pk), 15, "the packager to end with its supervisor")
    finally:
        end_process(encoder)
