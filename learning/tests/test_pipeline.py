"""The media pipeline with the real ffmpeg: a few seconds of test pattern in, an HLS ladder out,
read back with PyAV (tests.mediainfo); broken files fail with a clear message on that file only."""

from __future__ import annotations

import math
import os
import re
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from django.utils import translation

from core.tests.factories import UserFactory
from learning.models import MediaAsset
from learning.services.media import media_asset_cancel, media_asset_create, media_asset_replace, media_asset_retry
from learning.tests.media import make_clip, make_rotated_clip
from tests.mediainfo import media_info, video_frames

pytestmark = pytest.mark.django_db


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="application/octet-stream")


def process(path: Path, django_capture_on_commit_callbacks, *, name: str | None = None, by=None) -> MediaAsset:
    """Upload the way the admin does; the ImmediateBackend runs the task when the row commits."""
    with django_capture_on_commit_callbacks(execute=True):
        asset = media_asset_create(title=name or path.stem, upload=upload(path, name), by=by)
    asset.refresh_from_db()
    return asset


def stored(asset: MediaAsset, name: str) -> Path:
    return Path(default_storage.path(asset.storage_path(name)))


def playlist_entries(path: Path) -> list[tuple[float, str]]:
    lines = path.read_text().splitlines()
    entries = []
    for i, line in enumerate(lines):
        if line.startswith("#EXTINF:"):
            entries.append((float(line[8:].split(",")[0]), lines[i + 1]))
    return entries


def test_a_720p_clip_becomes_a_three_rung_ladder_with_audio_only_rendition_m4a_and_poster(
    media_root, tmp_path, django_capture_on_commit_callbacks
):
    source = make_clip(tmp_path / "lecture.mp4", seconds=6, size="1280x720", rate=30)
    asset = process(source, django_capture_on_commit_callbacks)

    assert asset.status == MediaAsset.Status.READY, asset.error_detail
    assert asset.kind == "video" and asset.progress == 1.0
    assert asset.duration == pytest.approx(6.0, abs=0.1)
    assert [r["name"] for r in asset.renditions] == ["720p", "480p", "360p"]

    master = stored(asset, "master.m3u8").read_text()
    variants = re.findall(r"#EXT-X-STREAM-INF:(.*)\n(.*)", master)
    assert [uri for _, uri in variants] == ["720p/index.m3u8", "480p/index.m3u8", "360p/index.m3u8"]
    assert [re.search(r"RESOLUTION=(\d+x\d+)", attrs).group(1) for attrs, _ in variants] == [
        "1280x720",
        "854x480",
        "640x360",
    ]
    assert all(re.search(r'CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"', attrs) for attrs, _ in variants), master
    assert "#EXT-X-MEDIA:TYPE=AUDIO" in master and 'URI="audio/index.m3u8"' in master

    for rendition, (width, height) in zip(asset.renditions, [(1280, 720), (854, 480), (640, 360)], strict=True):
        entries = playlist_entries(stored(asset, rendition["playlist"]))
        # 4-second segments: 4 + 2 for six seconds.
        assert len(entries) == math.ceil(6 / 4) == 2
        assert sum(d for d, _ in entries) == pytest.approx(6.0, abs=0.15)
        assert all(d <= 4.1 for d, _ in entries)
        segment = stored(asset, f"{rendition['name']}/{entries[0][1]}")
        info = media_info(segment)
        assert (info.video.codec, info.video.pix_fmt) == ("h264", "yuv420p")
        assert (info.video.width, info.video.height) == (width, height)
        assert not info.of_kind("audio")  # the sound is the audio group

    audio_entries = playlist_entries(stored(asset, "audio/index.m3u8"))
    assert sum(d for d, _ in audio_entries) == pytest.approx(6.0, abs=0.15)
    audio_info = media_info(stored(asset, f"audio/{audio_entries[0][1]}"))
    assert [s.codec for s in audio_info.streams] == ["aac"]

    m4a = media_info(stored(asset, "audio.m4a"))
    assert [s.codec_tag for s in m4a.streams] == ["mp4a"]
    assert m4a.duration == pytest.approx(6.0, abs=0.15)
    assert asset.audio_file_size == stored(asset, "audio.m4a").stat().st_size > 0

    poster = media_info(stored(asset, "poster.jpg")).video
    assert (poster.codec, poster.width) == ("mjpeg", 1280)
    # Nothing of the conversion is left in the temp directory or beside the upload.
    assert not list(Path(default_storage.path("learning/sources")).glob("*.m3u8"))


def test_a_small_source_is_never_upscaled(media_root, tmp_path, django_capture_on_commit_callbacks):
    asset = process(make_clip(tmp_path / "small.mp4", seconds=3, size="320x240"), django_capture_on_commit_callbacks)
    assert asset.status == MediaAsset.Status.READY, asset.error_detail
    assert [(r["name"], r["width"], r["height"]) for r in asset.renditions] == [("240p", 320, 240)]


def test_a_phone_video_with_rotation_metadata_comes_out_upright(
    media_root, tmp_path, django_capture_on_commit_callbacks
):
    source = make_rotated_clip(tmp_path / "phone.mp4")
    assert media_info(source).video.rotation in (90, -90, 270)
    asset = process(source, django_capture_on_commit_callbacks)
    assert asset.status == MediaAsset.Status.READY, asset.error_detail
    # Portrait: the short side (360) picks the rung; width and height are swapped.
    assert [(r["width"], r["height"]) for r in asset.renditions] == [(360, 640)]
    (first,) = playlist_entries(stored(asset, "360p/index.m3u8"))[:1]
    video = media_info(stored(asset, f"360p/{first[1]}")).video
    assert (video.width, video.height) == (360, 640)
    assert video.rotation == 0  # upright pixels, no flag
    poster = media_info(stored(asset, "poster.jpg")).video
    assert (poster.width, poster.height) == (360, 640)


def test_variable_frame_rate_comes_out_constant_and_in_sync(media_root, tmp_path, django_capture_on_commit_callbacks):
    # Drop 4 of every 10 frames and keep the timestamps: irregular frame intervals, as phones write.
    source = make_clip(
        tmp_path / "vfr.mkv",
        seconds=5,
        size="640x360",
        rate=30,
        extra=["-vf", "select='lt(mod(n\\,10)\\,6)'", "-fps_mode", "vfr"],
    )
    assert len(video_frames(source)) < 5 * 30 * 0.7  # really variable: frames are missing
    asset = process(source, django_capture_on_commit_callbacks)
    assert asset.status == MediaAsset.Status.READY, asset.error_detail
    video_duration = sum(d for d, _ in playlist_entries(stored(asset, "360p/index.m3u8")))
    audio_duration = sum(d for d, _ in playlist_entries(stored(asset, "audio/index.m3u8")))
    # The last kept frame sits at 4.83 s; the sound runs to 5 s.
    assert video_duration == pytest.approx(4.9, abs=0.15) and audio_duration == pytest.approx(5.0, abs=0.15)
    frames = 0
    for _, name in playlist_entries(stored(asset, "360p/index.m3u8")):
        frames += len(video_frames(stored(asset, f"360p/{name}")))
    assert frames == pytest.approx(video_duration * 30, abs=2)  # constant 30 fps: the gaps were filled


def test_an_audio_file_becomes_an_audio_only_package(media_root, tmp_path, django_capture_on_commit_callbacks):
    source = make_clip(tmp_path / "talk.m4a", seconds=5, video=False)
    asset = process(source, django_capture_on_commit_callbacks)
    assert asset.status == MediaAsset.Status.READY, asset.error_detail
    assert asset.kind == "audio" and asset.renditions == [] and asset.audio_playlist == "audio/index.m3u8"
    assert asset.has_audio_file and not asset.has_poster
    master = stored(asset, "master.m3u8").read_text()
    assert "audio/index.m3u8" in master


def test_the_wheel_ffmpeg_alone_without_ffprobe_does_the_whole_job(
    media_root, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """What `make run` on a fresh machine has: the wheel's ffmpeg and no ffprobe on the PATH."""
    import imageio_ffmpeg  # a dependency: its binary is what a fresh machine runs

    settings.FFMPEG_BINARY = imageio_ffmpeg.get_ffmpeg_exe()
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    from learning.services.probe import ffprobe_binary

    assert ffprobe_binary() is None
    asset = process(make_rotated_clip(tmp_path / "phone.mp4"), django_capture_on_commit_callbacks)
    monkeypatch.undo()
    assert asset.status == MediaAsset.Status.READY, asset.error_detail
    assert asset.probe["probed_with"] == "ffmpeg"
    assert asset.duration == pytest.approx(3.0, abs=0.1) and (asset.width, asset.height) == (360, 640)
    assert [(r["width"], r["height"]) for r in asset.renditions] == [(360, 640)]
    assert asset.has_audio_file and asset.has_poster


def test_broken_files_fail_with_a_clear_message_and_affect_nothing_else(
    media_root, tmp_path, django_capture_on_commit_callbacks
):
    good = process(make_clip(tmp_path / "good.mp4", seconds=3), django_capture_on_commit_callbacks)

    text = tmp_path / "notes.mp4"
    text.write_text("会议纪要：这不是视频文件。\n" * 50, encoding="utf-8")
    renamed = process(text, django_capture_on_commit_callbacks)

    whole = make_clip(tmp_path / "whole.mp4", seconds=4)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # moov atom at the end: cut off
    truncated = process(cut, django_capture_on_commit_callbacks)

    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    empty_asset = process(empty, django_capture_on_commit_callbacks)

    for asset, code in ((renamed, "unreadable"), (truncated, "truncated"), (empty_asset, "empty")):
        assert asset.status == MediaAsset.Status.FAILED and asset.error_code == code
        assert asset.storage_key == "" and asset.renditions == []
    with translation.override("zh-hans"):
        assert "不是可以读取的视频或音频文件" in renamed.error_message
        assert "不完整" in truncated.error_message
        assert "空" in empty_asset.error_message
    with translation.override("en"):
        assert "not a video or audio file" in renamed.error_message
        assert "incomplete" in truncated.error_message
    assert "moov atom not found" in truncated.error_detail  # ffmpeg's words, for the administrator
    good.refresh_from_db()
    assert good.status == MediaAsset.Status.READY and stored(good, "master.m3u8").is_file()


def test_a_file_cut_after_its_header_fails_as_ending_early(media_root, tmp_path, django_capture_on_commit_callbacks):
    whole = make_clip(tmp_path / "fast.mp4", seconds=8, extra=["-movflags", "+faststart"])
    cut = tmp_path / "fast-cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.4)])
    asset = process(cut, django_capture_on_commit_callbacks)
    assert asset.status == MediaAsset.Status.FAILED and asset.error_code == "ended_early"
    assert asset.error_params["total"] == pytest.approx(8.0, abs=0.1) and asset.error_params["at"] < 6
    with translation.override("en"):
        assert "stops playing at 0:0" in asset.error_message and "of 0:08" in asset.error_message


def test_retry_and_replacing_the_file(media_root, tmp_path, django_capture_on_commit_callbacks):
    editor = UserFactory()
    text = tmp_path / "wrong.mp4"
    text.write_text("not a video")
    asset = process(text, django_capture_on_commit_callbacks, by=editor)
    assert asset.status == MediaAsset.Status.FAILED and asset.attempt == 1
    with django_capture_on_commit_callbacks(execute=True):
        media_asset_retry(asset=asset, by=editor)
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.FAILED and asset.attempt == 2  # the same file fails the same way
    old_source = asset.source.name
    with django_capture_on_commit_callbacks(execute=True):
        media_asset_replace(
            asset=asset, title="换了文件", upload=upload(make_clip(tmp_path / "right.mp4", seconds=2)), by=editor
        )
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY and asset.attempt == 3 and asset.title == "换了文件"
    assert not default_storage.exists(old_source)
    first_key = asset.storage_key
    with django_capture_on_commit_callbacks(execute=True):
        media_asset_retry(asset=asset, by=editor)  # rebuild: a new package, the old one removed
    asset.refresh_from_db()
    assert asset.is_ready and asset.storage_key != first_key
    assert not default_storage.exists(f"learning/media/{first_key}/master.m3u8")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# Transactional so that a worker thread sees the rows; serialized rollback so that the flush after it
# does not re-run post_migrate handlers, whose new rows would collide with the next live-server test's.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cancel_kills_the_running_ffmpeg_process_group(media_root, tmp_path, monkeypatch):
    """A worker runs the job (another thread, its own connection); the editor cancels meanwhile."""
    from learning.services.media import media_asset_process

    # The job's work folder goes to a temporary directory of this test's own: other test processes
    # (xdist workers, their own databases) have assets numbered 1 too, with work folders of that name.
    work_tmp = tmp_path / "tmp"
    work_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work_tmp))

    source = make_clip(tmp_path / "long.mp4", seconds=20, size="1280x720", source="testsrc")
    editor = UserFactory()
    # A job as the queue hands it to a worker (the upload service would run it at once here).
    name = default_storage.save("learning/sources/long.mp4", upload(source))
    asset = MediaAsset.objects.create(title="长视频", source=name, status=MediaAsset.Status.QUEUED, attempt=1)
    result: dict = {}

    def worker() -> None:
        try:
            result["status"] = media_asset_process(asset_id=asset.pk, attempt=asset.attempt)
        finally:
            close_old_connections()

    thread = threading.Thread(target=worker)
    thread.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        asset.refresh_from_db()
        if asset.status == MediaAsset.Status.TRANSCODING and asset.worker_pid and asset.progress > 0:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the job never got going: {asset.status} {asset.error_detail}")
    pid = asset.worker_pid
    assert _alive(pid)
    media_asset_cancel(asset=asset, by=editor)
    thread.join(timeout=30)
    assert not thread.is_alive()
    asset.refresh_from_db()
    assert result["status"] == MediaAsset.Status.CANCELLED == asset.status
    assert asset.error_code == "cancelled" and asset.storage_key == "" and asset.progress < 0.9
    assert not _alive(pid)  # the ffmpeg process (its whole group) is gone
    assert not list(work_tmp.glob(f"learning-media-{asset.pk}-*"))
