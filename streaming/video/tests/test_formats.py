"""The ingest's format code on real ffmpeg output: AMF0, H.264 set-up, FLV and WebM resumable at keyframes."""

from __future__ import annotations

import pytest

from streaming.video.ingest import amf
from streaming.video.ingest.avc import parse_decoder_config
from streaming.video.ingest.flv import AUDIO, SCRIPT, VIDEO, FlvMuxer, normalise_script_data
from streaming.video.ingest.units import GopCache, Unit
from streaming.video.ingest.webm import WebmDemuxer, WebmError
from streaming.video.tests.media import decode_errors, flv_source, flv_tags, webm_source
from tests.mediainfo import video_frames


def test_amf0_round_trip_and_malformed_input():
    values = ["connect", 1.0, {"app": "live", "tcUrl": "rtmp://host/live", "fpad": False}, None]
    assert amf.decode_all(amf.encode_all(*values)) == values
    with pytest.raises(amf.AmfError):
        amf.decode_all(amf.encode("publish")[:-2])  # truncated string
    with pytest.raises(amf.AmfError):
        amf.decode_all(b"\x11")  # AMF3 marker, not AMF0


def test_metadata_from_rtmp_becomes_an_flv_script_tag():
    payload = amf.encode_all("@setDataFrame", "onMetaData", {"width": 1280.0})
    assert amf.decode_all(normalise_script_data(payload)) == ["onMetaData", {"width": 1280.0}]


@pytest.mark.parametrize(
    ("size", "preset", "codec"),
    [
        ("854x480", "veryfast", "avc1.64001f"),
        ("1280x720", "veryfast", "avc1.64001f"),
        ("640x360", "ultrafast", "avc1.42c01e"),
    ],
)
def test_h264_setup_gives_codec_string_and_cropped_size(size, preset, codec):
    tags = flv_tags(flv_source(seconds=1, size=size, preset=preset))
    header = next(p for kind, _, p in tags if kind == VIDEO and p[1] == 0)
    width, height = map(int, size.split("x"))
    assert parse_decoder_config(header[5:]) == (codec, (width, height))  # 854 is coded as 864 wide, then cropped


def _muxed(data: bytes) -> tuple[FlvMuxer, list[Unit]]:
    muxer = FlvMuxer()
    units = [u for kind, ts, p in flv_tags(data) if (u := muxer.message(kind, ts, p)) is not None]
    return muxer, units


def test_flv_units_resume_at_any_keyframe():
    muxer, units = _muxed(flv_source(seconds=3))
    info = muxer.info()
    assert (info.video_codec, info.width, info.height, info.has_audio) == ("h264", 854, 480, True)
    keyframes = [i for i, u in enumerate(units) if u.is_sync]
    assert len(keyframes) == 3  # one per second
    start = keyframes[1]
    resumed = muxer.prefix(units[start].sync) + b"".join(u.data for u in units[start:])
    assert decode_errors(resumed, "flv") == ""
    frames = video_frames(resumed, fmt="flv")
    assert frames[0].key and 55 <= len(frames) <= 62  # starts on a keyframe, two seconds of picture
    assert [k for k, *_ in flv_tags(resumed)[:4]] == [SCRIPT, VIDEO, AUDIO, VIDEO]


def test_flv_waits_for_announced_audio():
    muxer = FlvMuxer()
    muxer.message(SCRIPT, 0, amf.encode_all("onMetaData", {"width": 640.0, "height": 360.0, "audiocodecid": 10.0}))
    video_header = next(p for kind, _, p in flv_tags(flv_source(seconds=1)) if kind == VIDEO and p[1] == 0)
    muxer.message(VIDEO, 0, video_header)
    assert muxer.info() is None  # audio announced, not arrived
    assert muxer.info(waited=True).has_audio is False  # an encoder that never sends it: video alone


def test_webm_units_resume_at_any_keyframe():
    data = webm_source(seconds=3)
    demuxer = WebmDemuxer()
    units: list[Unit] = []
    for offset in range(0, len(data), 1000):  # the way MediaRecorder chunks arrive: anywhere
        units += demuxer.feed(data[offset : offset + 1000])
    info = demuxer.info()
    assert (info.container, info.video_codec, info.width, info.height, info.has_audio) == (
        "webm",
        "vp8",
        640,
        360,
        True,
    )
    keyframes = [i for i, u in enumerate(units) if u.is_sync]
    assert len(keyframes) == 3
    start = keyframes[2]
    resumed = demuxer.prefix(units[start].sync) + b"".join(u.data for u in units[start:])
    assert decode_errors(resumed, "matroska") == ""
    first = video_frames(resumed, fmt="matroska")[0]
    assert first.key and 1.9 < first.time < 2.1


def test_webm_rejects_what_is_not_webm():
    with pytest.raises(WebmError):
        WebmDemuxer().feed(b"\x1f\x43\xb6\x75" + b"\x00" * 20)


def test_gop_cache_replays_from_the_last_keyframe():
    cache = GopCache(limit_bytes=10)
    cache.add(Unit(b"a"))  # before any keyframe: nothing to resume from
    assert cache.replay(lambda sync: b"") == []
    cache.add(Unit(b"K1", sync=1))
    cache.add(Unit(b"p"))
    cache.add(Unit(b"K2", sync=2))
    cache.add(Unit(b"q"))
    assert cache.replay(lambda sync: f"<{sync}>".encode()) == [b"<2>K2", b"q"]
    cache.add(Unit(b"x" * 20))  # a GOP larger than the limit is dropped
    assert cache.replay(lambda sync: b"") == []
