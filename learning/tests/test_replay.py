"""replay_publish: a live recording packaged as HLS by ffmpeg becomes a replay lesson."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.test import Client

from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from learning.models import CoursePage, LessonKind, LessonVisibility, MediaAsset, Visibility
from learning.services.replay import REPLAY_COURSE_TITLE, replay_publish
from learning.tests.media import ffmpeg, make_clip
from tests.mediainfo import media_info

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def recording_template(tmp_path_factory) -> Path:
    return _package(tmp_path_factory.mktemp("live") / "event")


@pytest.fixture
def package_recording(recording_template):
    """A fresh copy of the packaged recording for each test (some tests damage theirs)."""

    def copy(folder: Path) -> Path:
        shutil.copytree(recording_template, folder)
        return folder

    return copy


def _package(folder: Path, *, seconds: int = 5) -> Path:
    """What a live packager leaves behind: two video variants sharing an audio rendition."""
    source = make_clip(folder.parent / "live.mp4", seconds=seconds, size="854x480")
    folder.mkdir()
    for name in ("hi", "lo", "aud"):
        (folder / name).mkdir()
    ffmpeg(
        "-i",
        str(source),
        "-filter_complex",
        "[0:v]split=2[a][b];[a]scale=854:480[hi];[b]scale=640:360[lo]",
        "-map",
        "[hi]",
        "-map",
        "[lo]",
        "-map",
        "0:a",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "50",
        "-c:a",
        "aac",
        "-f",
        "hls",
        "-hls_time",
        "2",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        str(folder / "%v" / "chunk_%03d.ts"),
        "-master_pl_name",
        "master.m3u8",
        "-var_stream_map",
        "a:0,agroup:a,name:aud v:0,agroup:a,name:hi v:1,agroup:a,name:lo",
        str(folder / "%v" / "index.m3u8"),
    )
    (folder / "notes.txt").write_text("not referenced: not copied")
    return folder


def test_a_packaged_recording_becomes_a_published_replay_lesson(world, tmp_path, package_recording):
    host = UserFactory(name="主会场主持人")
    recording = package_recording(tmp_path / "event-42")
    poster = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "smptebars=size=320x180", "-frames:v", "1", str(poster))

    lesson = replay_publish(
        title="七一专题党课直播回放",
        hls_dir=recording,
        duration=5.0,
        poster=poster,
        organiser=host,
        visibility=Visibility.MEMBERS,
        description="主会场七一专题党课",
    )
    lesson.refresh_from_db()
    course = CoursePage.objects.get(title=REPLAY_COURSE_TITLE)
    assert lesson.live and lesson.get_parent().specific == course and course.get_parent().specific == world.index
    assert lesson.kind == LessonKind.VIDEO and lesson.visibility == LessonVisibility.MEMBERS
    assert lesson.owner == host and lesson.latest_revision and lesson.latest_revision.user == host
    assert course.visibility == Visibility.PUBLIC

    asset = lesson.media
    assert (
        asset.status == MediaAsset.Status.READY and asset.duration == 5.0 and asset.audio_playlist == "aud/index.m3u8"
    )
    assert [(r["name"], r["width"], r["height"]) for r in asset.renditions] == [("hi", 854, 480), ("lo", 640, 360)]
    root = Path(default_storage.path(asset.storage_path()))
    copied = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert "master.m3u8" in copied and "hi/chunk_000.ts" in copied and "aud/index.m3u8" in copied
    assert "notes.txt" not in copied and "audio.m4a" in copied and "poster.jpg" in copied
    m4a = media_info(root / "audio.m4a")
    assert m4a.audio.codec == "aac" and m4a.duration == pytest.approx(5, abs=0.2)
    assert media_info(root / "poster.jpg").video.width == 320

    # The caller may remove its folder: the replay lives in storage now.
    shutil.rmtree(recording)
    member = Client()
    assert member.login(username=world.people["member_b"].username, password=DEFAULT_PASSWORD)
    config = member.get(lesson.url).context["player_config"]
    assert config["audio"].endswith("/aud/index.m3u8")
    assert member.get(config["master"].replace("master.m3u8", "hi/index.m3u8")).status_code == 200
    assert Client().get(lesson.url).status_code == 404  # members only


def test_a_replay_for_chosen_organisations_and_the_course_is_reused(world, tmp_path, package_recording):
    host = UserFactory()
    first = replay_publish(
        title="甲镇党委专题会回放",
        hls_dir=package_recording(tmp_path / "a"),
        duration=5,
        poster=None,
        organiser=host,
        visibility=Visibility.ORGS,
        orgs=[world.orgs["committee_a"]],
    )
    second = replay_publish(
        title="公开宣讲回放",
        hls_dir=package_recording(tmp_path / "b"),
        duration=5,
        poster=None,
        organiser=host,
        visibility=Visibility.PUBLIC,
    )
    assert CoursePage.objects.filter(title=REPLAY_COURSE_TITLE).count() == 1
    assert first.get_parent().pk == second.get_parent().pk
    assert first.media.has_poster  # a frame of the recording when no poster is given
    for who, sees_first in (("member_a2", True), ("member_b", False), ("town_a", True), ("town_b", False)):
        client = Client()
        assert client.login(username=world.people[who].username, password=DEFAULT_PASSWORD)
        assert client.get(first.url).status_code == (200 if sees_first else 404), who
        assert client.get(second.url).status_code == 200
    assert Client().get(second.url).status_code == 200


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "hi" / "chunk_001.ts").unlink(), "hi/chunk_001.ts"),
        (lambda d: (d / "master.m3u8").unlink(), "master.m3u8"),
        (
            lambda d: (d / "hi" / "index.m3u8").write_text(
                (d / "hi" / "index.m3u8").read_text().replace("chunk_000.ts", "../../../etc/passwd.ts")
            ),
            "../../../etc/passwd.ts",
        ),
        (lambda d: (d / "lo" / "index.m3u8").write_text("just text"), "lo/index.m3u8"),
    ],
)
def test_a_broken_package_is_refused_and_nothing_is_stored(world, tmp_path, package_recording, damage, message):
    recording = package_recording(tmp_path / "broken")
    damage(recording)
    before = (MediaAsset.objects.count(), CoursePage.objects.count())
    with pytest.raises(ValidationError) as refused:
        replay_publish(title="回放", hls_dir=recording, duration=5, poster=None, organiser=UserFactory())
    assert message in refused.value.messages[0]
    assert (MediaAsset.objects.count(), CoursePage.objects.count()) == before
    media_dir = Path(default_storage.path("learning/media"))
    assert not media_dir.exists() or {p.name for p in media_dir.iterdir()} == {world.asset.storage_key}


def test_replay_arguments_are_checked(world, tmp_path, package_recording):
    recording = package_recording(tmp_path / "ok")
    host = UserFactory()
    for kwargs in (
        {"title": ""},
        {"duration": 0},
        {"visibility": "secret"},
        {"visibility": Visibility.ORGS, "orgs": []},
    ):
        arguments = {"title": "回放", "hls_dir": recording, "duration": 5, "poster": None, "organiser": host, **kwargs}
        with pytest.raises(ValidationError):
            replay_publish(**arguments)
