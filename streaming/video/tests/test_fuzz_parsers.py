"""Property-based fuzzing (hypothesis) of the parsers that read untrusted bytes: AMF0 (RTMP commands,
FLV script data), the H.264 decoder configuration, the FLV muxer and the WebM demuxer.

Each parser, fed anything, either answers or raises its own error (AmfError, AvcError, WebmError) —
never an IndexError or a hang — and keeps no more than its stated bound. Inputs are random bytes
and mutations of real ffmpeg output, so the fuzzing reaches past the first length check.
"""

from __future__ import annotations

import contextlib
import math

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from streaming.video.ingest import amf
from streaming.video.ingest.avc import AvcError, parse_decoder_config
from streaming.video.ingest.flv import AUDIO, MAX_KEPT, SCRIPT, VIDEO, FlvMuxer
from streaming.video.ingest.webm import MAX_ELEMENT, MAX_HEADER, WebmDemuxer, WebmError
from streaming.video.tests.media import flv_source, flv_tags, webm_source

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def real_flv_tags() -> list[tuple[int, int, bytes]]:
    return flv_tags(flv_source(seconds=1, size="320x240"))


def real_avc_record() -> bytes:
    return next(p for kind, _, p in real_flv_tags() if kind == VIDEO and p[1] == 0)[5:]


@st.composite
def mutated(draw, source: bytes) -> bytes:
    """The source with a few bytes overwritten, inserted or deleted, possibly cut short."""
    data = bytearray(source)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["set", "insert", "delete"]))
        if action == "set":
            data[pos] = draw(st.integers(0, 255))
        elif action == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[pos : pos + draw(st.integers(1, 8))]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False)]


# --- AMF0 -----------------------------------------------------------------------------------------

amf_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.dictionaries(st.text(max_size=20), children, max_size=6),
    max_leaves=30,
)
COMMAND = amf.encode_all(
    "connect", 1.0, {"app": "live", "tcUrl": "rtmp://example/live", "fpad": False, "audioCodecs": 3575.0}
)


@FUZZ
@given(st.lists(amf_values, max_size=5))
def test_amf0_round_trips(values):
    assert amf.decode_all(amf.encode_all(*values)) == values


@FUZZ
@given(st.binary(max_size=4096) | mutated(COMMAND))
@example(b"\x03" + b"\x00\x01a\x03" * 200)  # objects nested past the limit
@example(b"\x0a\xff\xff\xff\xff\x00")  # a strict array that claims 4 billion items
@example(b"\x0c\xff\xff\xff\xff")  # a long string longer than the data
@example(b"\x08\x00\x00\x00\x01" + b"\x00\x00\x05" * 20_000)  # an ECMA array of empty keys
def test_amf0_decodes_anything_or_says_why(data):
    try:
        values = amf.decode_all(data)
    except amf.AmfError:
        return
    assert len(values) <= len(data)  # every value costs at least one byte


# --- H.264 decoder configuration --------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=512) | st.builds(bytes, st.just(b"")) | st.data())
def test_avc_config_gives_a_picture_size_or_says_why(data):
    record = data if isinstance(data, bytes) else data.draw(mutated(real_avc_record()))
    try:
        codec, size = parse_decoder_config(record)
    except AvcError:
        return
    assert codec.startswith("avc1.") and len(codec) == 11
    if size is not None:
        width, height = size
        assert width > 0 and height > 0


# --- FLV muxer (RTMP media messages) ----------------------------------------------------------------

messages = st.lists(
    st.tuples(
        st.sampled_from([AUDIO, VIDEO, SCRIPT]) | st.integers(0, 255),
        st.integers(0, 2**32 - 1),
        st.binary(max_size=300),
    ),
    max_size=30,
)


def assert_muxer_bounded(muxer: FlvMuxer) -> None:
    for kept in (muxer.metadata_payload, muxer.video_header, muxer.audio_header):
        assert kept is None or len(kept) <= MAX_KEPT
    info = muxer.info(waited=True)
    if info is not None and info.width is not None:
        assert info.width > 0 and info.height > 0
    assert len(muxer.prefix(0)) <= 9 + 3 * (15 + MAX_KEPT)


@FUZZ
@given(messages)
def test_flv_muxer_takes_any_messages(sequence):
    muxer = FlvMuxer()
    for kind, timestamp, payload in sequence:
        muxer.message(kind, timestamp, payload)
    assert_muxer_bounded(muxer)


@FUZZ
@given(st.data())
def test_flv_muxer_takes_a_real_stream_with_damaged_messages(data):
    tags = real_flv_tags()[:40]
    damaged = set(data.draw(st.lists(st.integers(0, len(tags) - 1), min_size=1, max_size=6)))
    muxer = FlvMuxer()
    for i, (kind, timestamp, payload) in enumerate(tags):
        muxer.message(kind, timestamp, data.draw(mutated(payload)) if i in damaged else payload)
    assert_muxer_bounded(muxer)


def test_flv_muxer_does_not_keep_an_oversized_set_up():
    muxer = FlvMuxer()
    huge = amf.encode_all("onMetaData", {"padding": "x" * 60_000, "more": "y" * 10_000})
    assert muxer.message(SCRIPT, 0, huge) is not None  # passed on to the packager …
    assert muxer.metadata_payload is None and muxer.metadata == {}  # … but not kept for every keyframe
    muxer.message(VIDEO, 0, b"\x17\x00\x00\x00\x00" + b"\x01" * (MAX_KEPT + 1))
    assert muxer.video_header is None


# --- WebM demuxer (the browser's camera) ------------------------------------------------------------


def demux(pieces: list[bytes]) -> tuple[WebmDemuxer, list[tuple[bytes, object, bool]]]:
    demuxer = WebmDemuxer()
    units = []
    for piece in pieces:
        units += [(u.data, u.sync, u.media) for u in demuxer.feed(piece)]
        # At most one element is ever buffered (plus the piece that has just arrived).
        assert len(demuxer.buf) <= MAX_ELEMENT + 16 + len(piece)
        assert len(demuxer.header) <= MAX_HEADER
    return demuxer, units


@FUZZ
@given(st.data())
def test_webm_units_do_not_depend_on_how_the_stream_is_cut(data):
    source = webm_source(seconds=1)
    cuts = data.draw(st.lists(st.integers(0, len(source)), max_size=40))
    _, whole = demux([source])
    _, pieces = demux(split(source, cuts))
    assert pieces == whole
    assert b"".join(d for d, _, _ in whole) == source[-sum(len(d) for d, _, _ in whole) :]


@FUZZ
@given(st.binary(max_size=4096) | st.data())
@example(b"\x1a\x45\xdf\xa3\x80\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" + b"\xa3\x83\x81\x00\x00" * 4)
def test_webm_demuxer_takes_anything_or_says_why(data):
    if isinstance(data, bytes):
        source, cuts = data, []
    else:
        source = data.draw(mutated(webm_source(seconds=1)[:20_000]))
        cuts = data.draw(st.lists(st.integers(0, len(source)), max_size=20))
    with contextlib.suppress(WebmError):
        demux(split(source, cuts))


def vint(value: int, length: int) -> bytes:
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


@FUZZ
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.binary(max_size=6)), min_size=1, max_size=10))
def test_webm_takes_any_blocks_in_a_cluster(blocks):
    """Short and odd SimpleBlocks (track numbers written in 1–4 bytes, bodies of 0–6 bytes)
    after a real recorder's header, in a cluster of unknown size."""
    source = webm_source(seconds=1)
    start = source[: source.index(b"\x1f\x43\xb6\x75")] + b"\x1f\x43\xb6\x75\x01" + b"\xff" * 7 + b"\xe7\x81\x00"
    body = b""
    for width, track, rest in blocks:
        payload = vint(track, width) + rest
        body += b"\xa3" + vint(len(payload), 1) + payload
    try:
        demuxer, units = demux([start + body])
    except WebmError:
        return
    assert demuxer.info().video_codec == "vp8"
    assert all(u[0].startswith(b"\xa3") for u in units[-len(blocks) :])


def test_webm_refuses_a_header_that_never_ends():
    void = b"\xec" + (0x10000000 | 0x10000).to_bytes(4, "big") + b"\x00" * 0x10000  # 64 KiB Void elements
    start = webm_source(seconds=1)
    header = start[: start.index(b"\x1f\x43\xb6\x75")]  # everything before the first Cluster
    demuxer = WebmDemuxer()
    demuxer.feed(header)
    try:
        for _ in range(math.ceil(MAX_HEADER / len(void)) + 1):
            demuxer.feed(void)
    except WebmError as exc:
        assert "header" in str(exc)
    else:
        raise AssertionError("a header of unbounded size was kept")
    assert len(demuxer.header) <= MAX_HEADER
