"""Writes of the live supervisor's view of each event (LiveStream rows). Only the supervisor calls these."""

from __future__ import annotations

import logging

from django.db import DatabaseError, IntegrityError

from streaming.models import LiveEvent
from streaming.video.models import LiveStream

logger = logging.getLogger(__name__)


def stream_update(*, event_id: int, **fields) -> None:
    """Set fields of the event's LiveStream row (made on first use); a vanished event is skipped."""
    try:
        updated = LiveStream.objects.filter(event_id=event_id).update(**fields)
        if not updated:
            LiveStream.objects.create(event_id=event_id, **fields)
    except IntegrityError:  # the event was deleted meanwhile, or a racing create won
        if LiveEvent.objects.filter(pk=event_id).exists():
            LiveStream.objects.filter(event_id=event_id).update(**fields)


def stream_restart_count(*, event_id: int) -> None:
    from django.db.models import F

    LiveStream.objects.filter(event_id=event_id).update(restarts=F("restarts") + 1)


def streams_off_air() -> None:
    """At supervisor start nothing is on air yet, whatever a previous supervisor left written."""
    LiveStream.objects.filter(on_air=True).update(on_air=False, source="")


def live_events() -> dict[int, str]:
    """{event id: stream key} of every event that should be on air now."""
    return dict(LiveEvent.objects.filter(state=LiveEvent.State.LIVE).values_list("id", "stream_key"))


def event_states(event_ids: list[int]) -> dict[int, str]:
    return dict(LiveEvent.objects.filter(pk__in=event_ids).values_list("id", "state"))


def recordings_to_finish() -> list[int]:
    """Events whose recording a previous supervisor left unfinished (it stopped before the replay)."""
    return list(
        LiveStream.objects.filter(recording=LiveStream.Recording.RECORDING)
        .exclude(event__state=LiveEvent.State.LIVE)
        .values_list("event_id", flat=True)
    )


__all__ = [
    "DatabaseError",
    "event_states",
    "live_events",
    "recordings_to_finish",
    "stream_restart_count",
    "stream_update",
    "streams_off_air",
]
