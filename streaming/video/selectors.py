"""Reads of the live video for other pages (viewer, venue big screen, host console).

`playback_url` needs no query at all: the URL is signed (streaming.video.packaging.paths). `ingest_status`
reads the supervisor's LiveStream row (one query).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from streaming.models import LiveEvent
from streaming.video.models import LiveStream
from streaming.video.packaging import paths


def playback_url(event: LiveEvent) -> str | None:
    """The master playlist of an event on air (the player retries until its first segment exists)."""
    if event.state != LiveEvent.State.LIVE:
        return None
    return paths.playback_path(event.pk)


def ingest_status(event: LiveEvent) -> dict:
    """What the video input of an event is doing, for the host console and the venue pages.

    on_air: a source is connected; source: "rtmp", "browser" or ""; source_label: the same, to
    show; last_segment_age: seconds since the last new segment (None before the first);
    restarts: packager restarts so far; error: the last problem, if any; recording: the
    recording's state (LiveStream.Recording); replay_page_id: the replay lesson once published.
    """
    stream = LiveStream.objects.filter(event_id=event.pk).first()
    if stream is None:
        return {
            "on_air": False,
            "source": "",
            "source_label": _("No source"),
            "last_segment_age": None,
            "restarts": 0,
            "error": "",
            "recording": LiveStream.Recording.NONE,
            "replay_page_id": None,
            "width": None,
            "height": None,
        }
    age = (timezone.now() - stream.last_segment_at).total_seconds() if stream.last_segment_at else None
    return {
        "on_air": stream.on_air,
        "source": stream.source,
        "source_label": stream.get_source_display(),
        "last_segment_age": round(age, 1) if age is not None else None,
        "restarts": stream.restarts,
        "error": stream.last_error,
        "recording": stream.recording,
        "replay_page_id": stream.replay_page_id,
        "width": stream.source_info.get("width"),
        "height": stream.source_info.get("height"),
    }


def rtmp_server_url(host: str) -> str:
    """Where an encoder such as OBS pushes (its "server"; the stream key is the event's key)."""
    if settings.LIVE_RTMP_URL:
        return settings.LIVE_RTMP_URL
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    port = settings.LIVE_RTMP_PORT
    return f"rtmp://{name}{'' if port == 1935 else f':{port}'}/live"
