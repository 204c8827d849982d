"""Media playlists: the live window viewers get, and the VOD playlist the replay is made from.

ffmpeg keeps every segment of the broadcast in `%v/index.m3u8` (streaming.video.packaging.ladder). Viewers
get only the last LIVE_WINDOW segments — a playlist that stays small for hours — with the
MEDIA-SEQUENCE and DISCONTINUITY-SEQUENCE the HLS spec requires when segments are removed from the
front (RFC 8216 §6.2.2). The full list, closed with ENDLIST, is the recording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

LIVE_WINDOW = 6
SEGMENT_NAME = re.compile(r"^[A-Za-z0-9_-]+\.(ts|m4s|aac)$")


@dataclass
class Segment:
    uri: str
    duration: float
    tags: list[str] = field(default_factory=list)  # the lines before the URI (EXTINF, DISCONTINUITY …)

    @property
    def discontinuity(self) -> bool:
        return "#EXT-X-DISCONTINUITY" in self.tags


@dataclass
class MediaPlaylist:
    header: list[str]
    segments: list[Segment]
    media_sequence: int = 0
    discontinuity_sequence: int = 0
    ended: bool = False

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)


def parse_media_playlist(text: str) -> MediaPlaylist:
    header: list[str] = []
    segments: list[Segment] = []
    pending: list[str] = []
    duration = 0.0
    media_sequence = discontinuity_sequence = 0
    ended = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            media_sequence = int(line.split(":", 1)[1] or 0)
        elif line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
            discontinuity_sequence = int(line.split(":", 1)[1] or 0)
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",", 1)[0] or 0)
            pending.append(line)
        elif line in ("#EXT-X-DISCONTINUITY",) or line.startswith(("#EXT-X-PROGRAM-DATE-TIME", "#EXT-X-BYTERANGE")):
            pending.append(line)
        elif line.startswith("#"):
            if not segments and not pending:
                header.append(line)
        else:
            segments.append(Segment(uri=line, duration=duration, tags=pending))
            pending, duration = [], 0.0
    return MediaPlaylist(header, segments, media_sequence, discontinuity_sequence, ended)


def _render(
    playlist: MediaPlaylist,
    segments: list[Segment],
    *,
    media_sequence: int,
    discontinuity_sequence: int,
    extra_header: tuple[str, ...] = (),
    ended: bool = False,
) -> str:
    lines = []
    for line in playlist.header:
        if line.startswith(("#EXT-X-MEDIA-SEQUENCE", "#EXT-X-DISCONTINUITY-SEQUENCE", "#EXT-X-PLAYLIST-TYPE")):
            continue
        lines.append(line)
        if line == "#EXTM3U":
            lines += list(extra_header)
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{media_sequence}")
    if discontinuity_sequence:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
    for segment in segments:
        lines += segment.tags
        lines.append(segment.uri)
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def live_window(text: str, window: int = LIVE_WINDOW) -> str:
    """The last `window` segments of a growing playlist; a finished one is returned whole."""
    playlist = parse_media_playlist(text)
    if playlist.ended or len(playlist.segments) <= window:
        return text
    dropped = playlist.segments[:-window]
    kept = playlist.segments[-window:]
    return _render(
        playlist,
        kept,
        media_sequence=playlist.media_sequence + len(dropped),
        discontinuity_sequence=playlist.discontinuity_sequence + sum(s.discontinuity for s in dropped),
    )


def vod_playlist(text: str, directory: Path) -> tuple[str, float, int]:
    """(VOD playlist, duration, segments) of a recording: ENDLIST, only segments present on disk.

    A segment listed but missing (ffmpeg killed while renaming) is dropped with a discontinuity in
    its place, so timestamps on either side are never joined as if continuous."""
    playlist = parse_media_playlist(text)
    kept: list[Segment] = []
    gap = False
    for segment in playlist.segments:
        if not SEGMENT_NAME.match(segment.uri) or not (directory / segment.uri).is_file():
            gap = True
            continue
        tags = [t for t in segment.tags if t != "#EXT-X-DISCONTINUITY"]
        # A discontinuity before the very first segment means nothing; between two it matters.
        if kept and (gap or segment.discontinuity):
            tags.insert(0, "#EXT-X-DISCONTINUITY")
        kept.append(Segment(segment.uri, segment.duration, tags))
        gap = False
    body = _render(
        playlist,
        kept,
        media_sequence=0,
        discontinuity_sequence=0,
        extra_header=("#EXT-X-PLAYLIST-TYPE:VOD",),
        ended=True,
    )
    return body, sum(s.duration for s in kept), len(kept)
