"""The interfaces this app uses from its neighbours: the live video (streaming.video) and the Q&A
forum (forum).

The live video is an optional part, switched by the LIVE_VIDEO_ENABLED setting: off, `streaming.video`
is not installed (no URLs, sockets, media server or supervisor) and the pages say video is not enabled
on this platform. On, its modules are imported at start (StreamingConfig.ready → `load`), so a broken
video module stops the process with its ImportError instead of quietly showing "not enabled". Only
errors while the video side *runs* are logged and answered with "no video", so video trouble never
takes an event page down.

streaming.video provides:
- `streaming.video.selectors.playback_url(event) -> str | None`: the master playlist while on air;
- `streaming.video.selectors.ingest_status(event)`: what the video input is doing (a dict: on_air,
  source_label, last_segment_age, restarts, error …);
- `streaming.video.selectors.rtmp_server_url(host)`: where an encoder such as OBS pushes;
- the template `streaming_video/publish_widget.html`: camera publishing on the host console.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.template.loader import get_template

logger = logging.getLogger(__name__)

PUBLISH_WIDGET = "streaming_video/publish_widget.html"


def video_available() -> bool:
    return bool(settings.LIVE_VIDEO_ENABLED)


def _video() -> ModuleType | None:
    """streaming.video's selectors when the part is on; an ImportError is never swallowed."""
    if not video_available():
        return None
    from streaming.video import selectors

    return selectors


def load() -> None:
    """Import what the enabled optional parts provide, so that a broken one fails at start."""
    if video_available():
        _video()
        get_template(PUBLISH_WIDGET)


def playback_url(event) -> str | None:
    video = _video()
    if video is None:
        return None
    try:
        return video.playback_url(event) or None
    except Exception:  # video trouble must not take the page down
        logger.warning("playback_url failed for event %s", event.pk, exc_info=True)
        return None


def ingest_status(event) -> Any:
    video = _video()
    if video is None:
        return None
    try:
        return video.ingest_status(event)
    except Exception:
        logger.warning("ingest_status failed for event %s", event.pk, exc_info=True)
        return None


def replay_url(event) -> str | None:
    """The replay lesson's page once the video side has published it (ingest_status's replay_page_id)."""
    status = ingest_status(event) if event.state == event.State.REPLAY_READY else None
    page_id = status.get("replay_page_id") if isinstance(status, dict) else None
    if not page_id:
        return None
    from wagtail.models import Page

    page = Page.objects.live().filter(pk=page_id).first()
    return page.url if page is not None else None


def rtmp_server_url(host: str) -> str | None:
    """Where an encoder pushes, as the video side configures it (None without it)."""
    video = _video()
    if video is None:
        return None
    try:
        return video.rtmp_server_url(host)
    except Exception:
        logger.warning("rtmp_server_url failed", exc_info=True)
        return None


def publish_widget_template() -> str | None:
    return PUBLISH_WIDGET if video_available() else None


def forum_question_from_live_available() -> bool:
    return apps.is_installed("forum")


def postable_forums(user) -> list:
    """Forums where `user` may start a question."""
    from forum.access import PermissionHandler
    from forum.selectors import postable_forums as forums_for

    return forums_for(user, handler=PermissionHandler())
