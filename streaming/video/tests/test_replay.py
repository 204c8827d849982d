"""After the event: the recording becomes a VOD package and a replay lesson in the "直播回放" course."""

from __future__ import annotations

import json

import pytest

from core.tests.factories import make_party_org
from streaming.models import Invitation, LiveEvent, Venue
from streaming.video.ingest.units import SourceInfo
from streaming.video.models import LiveStream
from streaming.video.packaging.ladder import choose_ladder, master_playlist, write_atomically
from streaming.video.packaging.paths import event_dir
from streaming.video.packaging.playlists import parse_media_playlist
from streaming.video.services.recording import recording_package, replay_make
from streaming.video.tests.conftest import make_event
from streaming.video.tests.media import flv_source
from streaming.video.tests.test_packaging import run_packager

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path, live_dirs):
    settings.MEDIA_ROOT = tmp_path / "media"


def recorded_event(**fields) -> LiveEvent:
    event = make_event(state=LiveEvent.State.ENDED, **fields)
    out = event_dir(event.pk)
    info = SourceInfo("flv", "h264", 854, 480, codec_string="avc1.64001f")
    write_atomically(out / "master.m3u8", master_playlist(choose_ladder(info), has_audio=True))  # the supervisor's
    run_packager(out, flv_source(seconds=3))
    run_packager(out, flv_source(seconds=3), start_number=3)  # after a packager restart
    LiveStream.objects.create(event=event, recording=LiveStream.Recording.RECORDING)
    return event


def test_vod_package_keeps_every_rendition_and_the_restart(media, tmp_path):
    event = recorded_event()
    (event_dir(event.pk) / "360p" / "s000001.ts").unlink()  # lost when ffmpeg was killed
    duration, segments = recording_package(source_dir=event_dir(event.pk), target=tmp_path / "vod")
    assert segments == 6 and duration == pytest.approx(6.0, abs=0.1)
    master = (tmp_path / "vod" / "master.m3u8").read_text()
    assert "480p/index.m3u8" in master and "360p/index.m3u8" in master and 'URI="audio/index.m3u8"' in master
    top = parse_media_playlist((tmp_path / "vod" / "480p" / "index.m3u8").read_text())
    assert top.ended and [s.discontinuity for s in top.segments] == [False, False, False, True, False, False]
    low = parse_media_playlist((tmp_path / "vod" / "360p" / "index.m3u8").read_text())
    assert [s.uri for s in low.segments][:2] == ["s000000.ts", "s000002.ts"] and low.segments[1].discontinuity
    # Hard links, not copies: the live directory is not read twice for a two-hour event.
    assert (tmp_path / "vod" / "480p" / "s000000.ts").stat().st_ino == (
        event_dir(event.pk) / "480p" / "s000000.ts"
    ).stat().st_ino


def test_replay_is_published_for_the_invited_venues(media):
    org = make_party_org(name="甲村党支部")
    event = recorded_event(audience=LiveEvent.Audience.INVITED, description="主会场专题党课")
    Invitation.objects.create(event=event, venue=Venue.objects.create(name="甲村分会场", party_org=org))

    assert replay_make(event_id=event.pk).startswith("published lesson")
    stream = LiveStream.objects.get(event=event)
    assert stream.recording == LiveStream.Recording.PUBLISHED and stream.recorded_seconds == pytest.approx(6, abs=0.2)
    event.refresh_from_db()
    assert event.state == LiveEvent.State.REPLAY_READY
    from learning.models import LessonPage

    lesson = LessonPage.objects.get(pk=stream.replay_page_id)
    assert lesson.title == event.title and lesson.get_parent().title == "直播回放"
    # Every open screen of the event hears of it, with the way to the replay.
    from streaming.services.stream import items_after

    (_seq, data), *_ = items_after(event.pk, 0)[-1:]
    pushed = json.loads(data)
    assert pushed["type"] == "state" and pushed["state"] == LiveEvent.State.REPLAY_READY
    assert pushed["replay_url"] == lesson.url
    assert lesson.visibility == "orgs" and list(lesson.orgs.all()) == [org]
    assert [r["name"] for r in lesson.media.renditions] == ["480p", "360p"] and lesson.media.audio_playlist
    assert not event_dir(event.pk).exists()
    assert replay_make(event_id=event.pk) == "nothing to publish"  # a second run changes nothing


def test_cancelled_or_empty_recordings_make_no_replay(media):
    cancelled = recorded_event()
    LiveEvent.objects.filter(pk=cancelled.pk).update(state=LiveEvent.State.CANCELLED)
    assert replay_make(event_id=cancelled.pk).startswith("cancelled")
    assert LiveStream.objects.get(event=cancelled).recording == LiveStream.Recording.DISCARDED
    assert not event_dir(cancelled.pk).exists()

    empty = make_event(state=LiveEvent.State.ENDED)
    LiveStream.objects.create(event=empty, recording=LiveStream.Recording.RECORDING)
    assert replay_make(event_id=empty.pk) == "nothing was recorded"
    empty.refresh_from_db()
    assert empty.state == LiveEvent.State.ENDED
