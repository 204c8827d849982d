"""The ladder, the packager's argv run by the real ffmpeg, playlists for viewers and for the replay."""

from __future__ import annotations

import subprocess

import pytest

from core.ffmpeg import ffmpeg_binary
from streaming.video.ingest.flv import FlvMuxer
from streaming.video.ingest.units import SourceInfo
from streaming.video.packaging.ladder import choose_ladder, master_playlist, packager_argv
from streaming.video.packaging.playlists import live_window, parse_media_playlist, vod_playlist
from streaming.video.tests.media import flv_source, flv_tags
from tests.mediainfo import media_info


def names(ladder):
    return [(r.name, r.width, r.height, r.copy) for r in ladder]


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        # An encoder's 720p H.264 is passed through; only 360p is encoded.
        (
            SourceInfo("flv", "h264", 1280, 720, codec_string="avc1.64001f"),
            [("720p", 1280, 720, True), ("360p", 640, 360, False)],
        ),
        (
            SourceInfo("flv", "h264", 1920, 1080),
            [("1080p", 1920, 1080, True), ("720p", 1280, 720, False), ("360p", 640, 360, False)],
        ),
        # 4K is not sent to phones as it is.
        (SourceInfo("flv", "h264", 3840, 2160), [("720p", 1280, 720, False), ("360p", 640, 360, False)]),
        # A browser's camera is always encoded, never upscaled; portrait stays portrait.
        (SourceInfo("webm", "vp8", 640, 480), [("480p", 640, 480, False), ("360p", 480, 360, False)]),
        (SourceInfo("webm", "vp8", 720, 1280), [("720p", 720, 1280, False), ("360p", 360, 640, False)]),
        (SourceInfo("webm", "vp8", 320, 240), [("240p", 320, 240, False)]),
    ],
)
def test_ladder(info, expected):
    assert names(choose_ladder(info)) == expected


def test_passthrough_can_be_switched_off():
    info = SourceInfo("flv", "h264", 1280, 720)
    assert names(choose_ladder(info, passthrough=False)) == [("720p", 1280, 720, False), ("360p", 640, 360, False)]


def test_master_playlist_states_codecs_bandwidth_and_audio_rendition():
    ladder = choose_ladder(SourceInfo("flv", "h264", 1280, 720, codec_string="avc1.4d401f", video_kbps=3000))
    text = master_playlist(ladder, has_audio=True)
    assert (
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,URI="audio/index.m3u8"' in text
    )
    assert 'BANDWIDTH=3728000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2",AUDIO="aud"\n720p/index.m3u8' in text
    assert 'RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"' in text
    assert text.rstrip().endswith('CODECS="mp4a.40.2",AUDIO="aud"\naudio/index.m3u8')


def run_packager(out_dir, data: bytes, *, start_number: int = 0) -> None:
    muxer = FlvMuxer()
    for kind, ts, payload in flv_tags(data):
        muxer.message(kind, ts, payload)
    info = muxer.info()
    argv = packager_argv(
        binary=ffmpeg_binary(), info=info, ladder=choose_ladder(info), out_dir=out_dir, start_number=start_number
    )
    done = subprocess.run(argv, input=data, check=True, timeout=120, capture_output=True)
    # The argv is an ffmpeg-python graph compiled: ffmpeg must have taken every option in it.
    warnings = done.stderr.decode("utf-8", "replace")
    assert not [line for line in warnings.splitlines() if "has not been used" in line or "may be ignored" in line]


def test_packager_writes_aligned_one_second_segments_and_continues_after_a_restart(tmp_path):
    data = flv_source(seconds=3)
    run_packager(tmp_path, data)
    run_packager(tmp_path, data)  # a restarted packager appends after a discontinuity
    top = parse_media_playlist((tmp_path / "480p" / "index.m3u8").read_text())
    low = parse_media_playlist((tmp_path / "360p" / "index.m3u8").read_text())
    assert [s.uri for s in top.segments] == [f"s{n:06d}.ts" for n in range(6)]  # no name used twice
    assert [round(s.duration, 1) for s in top.segments] == [1.0] * 6
    assert [round(s.duration, 1) for s in low.segments] == [1.0] * 6  # keyframes where the source has them
    assert [s.discontinuity for s in top.segments][3] is True
    assert not top.ended  # a source that leaves does not end the stream for viewers
    segment = (tmp_path / "360p" / "s000004.ts").read_bytes()
    video = media_info(segment, fmt="mpegts").video
    assert (video.codec, video.width, video.height, video.pix_fmt) == ("h264", 640, 360, "yuv420p")
    audio = (tmp_path / "audio" / "s000002.ts").read_bytes()
    assert [s.codec for s in media_info(audio, fmt="mpegts").streams] == ["aac"]


LIVE = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-DISCONTINUITY
#EXTINF:1.000000,
s000000.ts
#EXTINF:1.000000,
s000001.ts
#EXT-X-DISCONTINUITY
#EXTINF:1.000000,
s000002.ts
#EXTINF:1.000000,
s000003.ts
#EXTINF:0.966667,
s000004.ts
"""


def test_live_window_keeps_sequence_numbers_right():
    window = live_window(LIVE, window=2)
    playlist = parse_media_playlist(window)
    assert [s.uri for s in playlist.segments] == ["s000003.ts", "s000004.ts"]
    assert playlist.media_sequence == 3
    assert playlist.discontinuity_sequence == 2  # both removed discontinuities are counted
    assert "#EXT-X-TARGETDURATION:1" in window and not playlist.ended
    assert live_window(LIVE, window=10) == LIVE
    assert live_window(LIVE + "#EXT-X-ENDLIST\n", window=2).count("#EXTINF") == 5  # finished: all of it


def test_vod_playlist_closes_the_recording_and_marks_gaps(tmp_path):
    for name in ("s000000.ts", "s000001.ts", "s000003.ts", "s000004.ts"):  # s000002.ts went missing
        (tmp_path / name).write_bytes(b"x")
    body, duration, count = vod_playlist(LIVE, tmp_path)
    playlist = parse_media_playlist(body)
    assert count == 4 and duration == pytest.approx(3.966667)
    assert body.startswith("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:VOD\n") and playlist.ended
    assert [s.discontinuity for s in playlist.segments] == [False, False, True, False]
