"""The interfaces this app uses from its neighbours, each answering sensibly when the other side is
missing or failing: the live video (streaming.video) and the Q&A forum (forum).

streaming.video provides:
- `streaming.video.selectors.playback_url(event) -> str | None`: the master playlist while on air;
- `streaming.video.selectors.ingest_status(event)`: what the video input is doing (a dict: on_air,
  source_label, last_segment_age, restarts, error …);
- `streaming.video.selectors.rtmp_server_url(host)`: where an encoder such as OBS pushes;
- the template `streaming_video/publish_widget.html`: camera publishing on the host console.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.template import TemplateDoesNotExist
from django.template.loader import get_template

logger = logging.getLogger(__name__)

PUBLISH_WIDGET = "streaming_video/publish_widget.html"


def _video_selector(name: str):
    try:
        module = importlib.import_module("streaming.video.selectors")
    except ImportError:
        return None
    return getattr(module, name, None)


def video_available() -> bool:
    return _video_selector("playback_url") is not None


def playback_url(event) -> str | None:
    selector = _video_selector("playback_url")
    if selector is None:
        return None
    try:
        return selector(event) or None
    except Exception:  # video trouble must not take the page down
        logger.warning("playback_url failed for event %s", event.pk, exc_info=True)
        return None


def ingest_status(event) -> Any:
    selector = _video_selector("ingest_status")
    if selector is None:
        return None
    try:
        return selector(event)
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
    selector = _video_selector("rtmp_server_url")
    if selector is None:
        return None
    try:
        return selector(host)
    except Exception:
        logger.warning("rtmp_server_url failed", exc_info=True)
        return None


def publish_widget_template() -> str | None:
    try:
        get_template(PUBLISH_WIDGET)
    except TemplateDoesNotExist:
        return None
    return PUBLISH_WIDGET


def forum_question_from_live_available() -> bool:
    try:
        module = importlib.import_module("forum.services.live")
    except ImportError:
        return False
    return hasattr(module, "question_from_live")


def postable_forums(user) -> list:
    """Forums where `user` may start a question (empty when the forum app is not there)."""
    try:
        from forum.access import PermissionHandler
        from forum.selectors import postable_forums as forums_for
    except ImportError:
        return []
    return forums_for(user, handler=PermissionHandler())
