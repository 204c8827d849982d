"""After the broadcast: the recording becomes a replay lesson in the learning module's "直播回放" course.

The live directory already holds every segment and full media playlists (streaming.video.packaging.ladder).
`recording_package` turns them into a VOD package — ENDLIST, PLAYLIST-TYPE VOD, the discontinuities
of packager restarts kept, segments hard-linked rather than copied — and
learning.services.replay.replay_publish imports it as a lesson. The event then becomes
"replay ready" and the live directory is removed.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from learning.services.replay import replay_publish
from streaming.models import LiveEvent
from streaming.services.events import event_mark_replay_ready
from streaming.video.models import LiveStream
from streaming.video.packaging.paths import event_dir, live_root
from streaming.video.packaging.playlists import parse_media_playlist, vod_playlist

logger = logging.getLogger(__name__)

_URI = re.compile(r'URI="([^"]+)"')
_PLAYLIST = re.compile(r"^[a-z0-9]{1,16}/index\.m3u8$")


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another filesystem
        shutil.copyfile(source, target)


def recording_package(*, source_dir: Path, target: Path) -> tuple[float, int]:
    """Write the VOD package of the live directory into `target`; (duration, segments of the top rendition)."""
    master = source_dir / "master.m3u8"
    if not master.is_file():
        return 0.0, 0
    lines = master.read_text(encoding="utf-8").splitlines()
    written: dict[str, tuple[float, int]] = {}
    for line in lines:
        uri = None
        if line.startswith("#EXT-X-MEDIA:"):
            found = _URI.search(line)
            uri = found.group(1) if found else None
        elif line and not line.startswith("#"):
            uri = line.strip()
        if not uri or uri in written or not _PLAYLIST.match(uri) or not (source_dir / uri).is_file():
            continue
        folder = (source_dir / uri).parent
        body, duration, count = vod_playlist((source_dir / uri).read_text(encoding="utf-8"), folder)
        if not count:
            continue
        for segment in parse_media_playlist(body).segments:
            _link_or_copy(folder / segment.uri, target / Path(uri).parent / segment.uri)
        (target / uri).write_text(body, encoding="utf-8")
        written[uri] = (duration, count)
    # The master, without the renditions that recorded nothing.
    out: list[str] = []
    pending: str | None = None
    for line in lines:
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = line
            continue
        if line.startswith("#EXT-X-MEDIA:"):
            found = _URI.search(line)
            if found and found.group(1) not in written:
                continue
        elif line and not line.startswith("#"):
            if line.strip() in written and pending:
                out += [pending, line.strip()]
            pending = None
            continue
        out.append(line)
    if not written:
        return 0.0, 0
    (target / "master.m3u8").write_text("\n".join(out) + "\n", encoding="utf-8")
    video = [v for uri, v in written.items() if not uri.startswith("audio/")]
    return max(v[0] for v in (video or written.values())), max(v[1] for v in (video or written.values()))


def _visibility(event: LiveEvent) -> tuple[str, list]:
    if event.audience == LiveEvent.Audience.PUBLIC:
        return "public", []
    if event.audience == LiveEvent.Audience.INVITED:
        orgs = {v.party_org for v in event.invited_venues.select_related("party_org") if v.party_org_id}
        if event.organiser_org_id:
            orgs.add(event.organiser_org)
        if orgs:
            return "orgs", sorted(orgs, key=lambda o: o.pk)
    return "members", []


def _finish(event_id: int, **fields) -> None:
    LiveStream.objects.filter(event_id=event_id).update(**fields)


def replay_make(*, event_id: int) -> str:
    """Publish the recording of an ended event as a replay lesson. Idempotent: a second call does nothing."""
    claimed = LiveStream.objects.filter(
        event_id=event_id, recording__in=[LiveStream.Recording.RECORDING, LiveStream.Recording.FAILED]
    ).update(recording=LiveStream.Recording.PUBLISHING)
    if not claimed:
        return "nothing to publish"
    event = LiveEvent.objects.select_related("organiser", "organiser_org").get(pk=event_id)
    source = event_dir(event_id)
    if event.state == LiveEvent.State.CANCELLED:
        shutil.rmtree(source, ignore_errors=True)
        _finish(event_id, recording=LiveStream.Recording.DISCARDED)
        return "cancelled: recording discarded"
    work = live_root() / f".replay-{event_id}-{secrets.token_hex(4)}"
    try:
        duration, segments = recording_package(source_dir=source, target=work)
        if not segments or duration <= 0:
            _finish(event_id, recording=LiveStream.Recording.NONE, recorded_seconds=0)
            return "nothing was recorded"
        visibility, orgs = _visibility(event)
        try:
            lesson = replay_publish(
                title=event.title,
                hls_dir=work,
                duration=duration,
                poster=None,
                organiser=event.organiser,
                visibility=visibility,
                orgs=orgs,
                description=event.description,
            )
        except ValidationError as exc:
            message = "; ".join(exc.messages)[:300]
            logger.warning("replay of event %s failed: %s", event_id, message)
            _finish(event_id, recording=LiveStream.Recording.FAILED, last_error=message)
            return f"failed: {message}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # The lesson has its own copy now. Removed before the row says "published", so that whoever
    # sees the replay published never finds the live copy still there.
    shutil.rmtree(source, ignore_errors=True)
    with transaction.atomic():
        _finish(
            event_id,
            recording=LiveStream.Recording.PUBLISHED,
            recorded_seconds=duration,
            replay_page_id=lesson.pk,
            last_error="",
        )
        event_mark_replay_ready(event_id=event_id, replay_url=lesson.url)
    return f"published lesson {lesson.pk} ({duration:.1f} s)"
