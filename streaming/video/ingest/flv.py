"""RTMP media messages → an FLV byte stream for ffmpeg's stdin, resumable at any video keyframe.

RTMP audio (8), video (9) and data (18) messages carry exactly the payload of FLV tags of the same
type, so the front door writes FLV (a 9-byte header, then tags) into the packager. What a new
ffmpeg needs to decode from the middle of a broadcast — the FLV header, onMetaData and the
AVC/AAC sequence headers — is kept and prefixed to every keyframe unit.
"""

from __future__ import annotations

import logging
import struct

from streaming.video.ingest import amf
from streaming.video.ingest.avc import AvcError, parse_decoder_config
from streaming.video.ingest.units import SourceInfo, Unit

logger = logging.getLogger(__name__)

AUDIO, VIDEO, SCRIPT = 8, 9, 18
# The set-up kept for the life of a broadcast and prefixed to every keyframe unit: real ones are a
# few hundred bytes; a larger one is passed through but not kept.
MAX_KEPT = 64 * 1024
CODEC_AVC = 7
SOUND_AAC = 10
VIDEO_CODECS = {2: "h263", 3: "screen", 4: "vp6", 5: "vp6a", 6: "screen2", 7: "h264", 12: "hevc"}


def flv_header(*, audio: bool, video: bool) -> bytes:
    flags = (0x04 if audio else 0) | (0x01 if video else 0)
    return b"FLV\x01" + bytes([flags]) + struct.pack(">I", 9) + struct.pack(">I", 0)


def flv_tag(tag_type: int, timestamp: int, payload: bytes) -> bytes:
    ts = timestamp & 0xFFFFFFFF
    header = (
        bytes([tag_type])
        + len(payload).to_bytes(3, "big")
        + (ts & 0xFFFFFF).to_bytes(3, "big")
        + bytes([ts >> 24])
        + b"\x00\x00\x00"
    )
    return header + payload + struct.pack(">I", 11 + len(payload))


def normalise_script_data(payload: bytes) -> bytes:
    """RTMP's `@setDataFrame("onMetaData", {...})` is the FLV script tag `onMetaData {...}`."""
    prefix = amf.encode("@setDataFrame")
    return payload[len(prefix) :] if payload.startswith(prefix) else payload


class FlvMuxer:
    """Cuts one publisher's RTMP media messages into FLV units and learns its SourceInfo."""

    def __init__(self) -> None:
        self.metadata: dict = {}
        self.metadata_payload: bytes | None = None
        self.video_header: bytes | None = None
        self.audio_header: bytes | None = None
        self.video_codec_id: int | None = None
        self.enhanced_video = False
        self.audio_seen = False
        self.codec_string: str | None = None
        self.dimensions: tuple[int, int] | None = None

    # --- what the packager needs -------------------------------------------------------------

    def expects_audio(self) -> bool:
        if self.audio_seen:
            return True
        return bool(self.metadata.get("audiocodecid")) if self.metadata else True

    def info(self, *, waited: bool = False) -> SourceInfo | None:
        """None until the video set-up (and the audio's, if audio is announced) has arrived.

        An encoder may announce audio it never sends: after `waited` the video alone will do."""
        if self.enhanced_video:
            return SourceInfo(container="flv", video_codec="unsupported")
        if self.video_codec_id is None:
            return None
        codec = VIDEO_CODECS.get(self.video_codec_id, f"flv-{self.video_codec_id}")
        if self.video_codec_id == CODEC_AVC and self.video_header is None:
            return None
        if self.expects_audio() and not self.audio_seen and not waited:
            return None
        width, height = self.dimensions or (self._meta_int("width"), self._meta_int("height"))
        kbps = self._meta_int("videodatarate")
        return SourceInfo(
            container="flv",
            video_codec=codec,
            width=width,
            height=height,
            has_audio=self.audio_seen,
            codec_string=self.codec_string,
            video_kbps=kbps if kbps and kbps > 0 else None,
        )

    def _meta_int(self, key: str) -> int | None:
        value = self.metadata.get(key)
        return int(value) if isinstance(value, int | float) and 0 < value < 100_000 else None

    def prefix(self, timestamp: int) -> bytes:
        """The start of a new FLV stream whose first media tag (a keyframe) has this timestamp."""
        parts = [flv_header(audio=self.audio_seen, video=True)]
        if self.metadata_payload is not None:
            parts.append(flv_tag(SCRIPT, timestamp, self.metadata_payload))
        if self.video_header is not None:
            parts.append(flv_tag(VIDEO, timestamp, self.video_header))
        if self.audio_header is not None:
            parts.append(flv_tag(AUDIO, timestamp, self.audio_header))
        return b"".join(parts)

    # --- messages in, units out ----------------------------------------------------------------

    def message(self, msg_type: int, timestamp: int, payload: bytes) -> Unit | None:
        if msg_type == SCRIPT:
            return self._script(timestamp, payload)
        if msg_type == AUDIO and payload:
            self.audio_seen = True
            if len(payload) >= 2 and payload[0] >> 4 == SOUND_AAC and payload[1] == 0:
                if len(payload) <= MAX_KEPT:
                    self.audio_header = payload
                return Unit(flv_tag(AUDIO, timestamp, payload), media=False)
            return Unit(flv_tag(AUDIO, timestamp, payload))
        if msg_type == VIDEO and payload:
            return self._video(timestamp, payload)
        return None

    def _script(self, timestamp: int, payload: bytes) -> Unit | None:
        payload = normalise_script_data(payload)
        try:
            values = amf.decode_all(payload)
        except amf.AmfError:
            return None
        if len(values) >= 2 and values[0] == "onMetaData" and isinstance(values[1], dict) and len(payload) <= MAX_KEPT:
            self.metadata = values[1]
            self.metadata_payload = payload
        return Unit(flv_tag(SCRIPT, timestamp, payload), media=False)

    def _video(self, timestamp: int, payload: bytes) -> Unit:
        first = payload[0]
        if first & 0x80:  # "enhanced RTMP" (HEVC/AV1 by FourCC): not something we can package
            self.enhanced_video = True
            return Unit(b"", media=False)
        frame_type, codec_id = first >> 4, first & 0x0F
        self.video_codec_id = codec_id
        tag = flv_tag(VIDEO, timestamp, payload)
        if codec_id == CODEC_AVC and len(payload) >= 2:
            if payload[1] == 0:  # AVC sequence header
                if len(payload) > MAX_KEPT:
                    logger.warning("rtmp: AVC sequence header of %d bytes ignored", len(payload))
                    return Unit(tag, media=False)
                self.video_header = payload
                try:
                    self.codec_string, self.dimensions = parse_decoder_config(payload[5:])
                except AvcError as exc:
                    logger.warning("rtmp: unreadable AVC sequence header: %s", exc)
                return Unit(tag, media=False)
            if payload[1] != 1:  # end of sequence
                return Unit(tag)
        if frame_type == 1:
            return Unit(tag, sync=timestamp)
        return Unit(tag)
