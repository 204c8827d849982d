"""Reads of CMS content that span page types or apps: the portal's strips, announcements, live now."""

from __future__ import annotations

import datetime
import logging

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from cms.models import Announcement, NewsPage, UpdatePage, with_cover_renditions
from streaming.selectors import events_live_now

logger = logging.getLogger(__name__)


def announcements_current(*, now: datetime.datetime | None = None) -> list[Announcement]:
    now = now or timezone.now()
    return list(
        Announcement.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now), starts_at__lte=now).order_by(
            "-level", "-starts_at"
        )[:3]
    )


def next_announcement_boundary(*, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When the set of current announcements next changes (a start or an end), if ever."""
    now = now or timezone.now()
    found = Announcement.objects.aggregate(
        start=Min("starts_at", filter=Q(starts_at__gt=now)), end=Min("ends_at", filter=Q(ends_at__gt=now))
    )
    times = [t for t in found.values() if t is not None]
    return min(times) if times else None


def news_live() -> QuerySet[NewsPage]:
    return NewsPage.objects.live().public()


def news_latest(*, limit: int) -> list[NewsPage]:
    news = (
        news_live()
        .select_related("category")
        .order_by("-date", "-pk")
        .only("title", "url_path", "path", "depth", "date", "summary", "category", "cover_image")
    )
    return list(with_cover_renditions(news)[:limit])


def updates_latest(*, limit: int) -> list[UpdatePage]:
    return list(
        UpdatePage.objects.live()
        .public()
        .order_by("-date", "-pk")
        .only("title", "url_path", "path", "depth", "date", "department_name")[:limit]
    )


def live_events_for(user, *, limit: int = 5) -> list:
    """The portal's live-now strip: events on air now that `user` may watch.
    Imported plainly (a broken streaming app fails at start); only an error while it answers is
    logged and shown as no strip, so the portal itself stays up."""
    try:
        return list(events_live_now(user))[:limit]
    except Exception:
        logger.warning("events_live_now failed; the portal shows no live strip", exc_info=True)
        return []
