"""The media pipeline's ffmpeg commands are ffmpeg-python graphs compiled to argv. What matters is
what ffmpeg does with them: it takes every option (none unused or trailing, which ffmpeg reports as
a warning) and writes what the pipeline expects. The pipeline tests read the packages back in
detail; these run each compiled command on its own, louder than the pipeline does."""

from __future__ import annotations

import subprocess

from core.ffmpeg import ffmpeg_binary
from learning.services.probe import probe_media
from learning.services.transcode import audio_file_argv, choose_ladder, hls_argv, poster_argv
from learning.tests.media import make_clip
from tests.mediainfo import media_info

IGNORED_OPTION = ("has not been used", "Trailing option", "may be ignored", "Unrecognized option")


def run_loud(argv: list[str]) -> str:
    """Run a compiled command with warnings on; its stderr."""
    level = argv.index("-v") + 1
    assert argv[level] == "error"
    argv = [*argv[:level], "warning", *argv[level + 1 :]]
    done = subprocess.run(argv, capture_output=True, timeout=120, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def assert_every_option_taken(stderr: str) -> None:
    ignored = [line for line in stderr.splitlines() if any(marker in line for marker in IGNORED_OPTION)]
    assert not ignored, ignored


def test_ladder_audio_file_and_poster_commands_take_every_option(tmp_path):
    source = make_clip(tmp_path / "talk.mp4", seconds=3, size="1280x720")
    probe = probe_media(source)
    renditions = choose_ladder(probe)
    out = tmp_path / "package"
    out.mkdir()
    binary = ffmpeg_binary()

    ladder = hls_argv(binary=binary, source=source, out_dir=out, probe=probe, renditions=renditions)
    assert_every_option_taken(run_loud(ladder))
    assert (out / "master.m3u8").is_file()
    for rendition in renditions:
        info = media_info(next((out / rendition.name).glob("seg*.ts")))
        assert (info.video.width, info.video.height) == (rendition.width, rendition.height)

    assert_every_option_taken(
        run_loud(audio_file_argv(binary=binary, audio_playlist=out / "audio" / "index.m3u8", target=out / "audio.m4a"))
    )
    audio = media_info(out / "audio.m4a")
    assert [s.kind for s in audio.streams] == ["audio"] and audio.audio.codec == "aac" and audio.duration > 2.5

    poster = out / "poster.jpg"
    argv = poster_argv(
        binary=binary,
        source=out / "360p" / "index.m3u8",
        input_options={"allowed_extensions": "ALL", "ss": 1},
        target=poster,
        width="min(1280,iw)",
        height=-2,
    )
    assert_every_option_taken(run_loud(argv))
    picture = media_info(poster).video
    assert (picture.width, picture.height) == (640, 360)  # min(1280, 640) wide, the height kept in proportion
