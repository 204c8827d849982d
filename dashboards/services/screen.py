"""The command screen's feed: an item saved first, then pushed with fresh figures to every screen
after the commit. A screen that missed pushes asks for the items after the last id it saw."""

from __future__ import annotations

from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from core.layers import layer_push
from dashboards.models import ScreenItem
from dashboards.screen import ITEMS_KEPT, screen_snapshot
from streaming.models import LiveEvent

SCREEN_GROUP = "dashboards.screen"


def _live_item(kind: str, event_id: int) -> dict | None:
    event = LiveEvent.objects.select_related("main_venue__area").filter(pk=event_id).first()
    if event is None:
        return None
    area = event.main_venue.area if event.main_venue else None
    point = [float(area.longitude), float(area.latitude)] if area and area.longitude is not None else None
    return {"title": event.title, "state": event.state, "point": point}


def screen_push(item: dict | None) -> None:
    """Best effort: the figures are in the database and screens resync when they reconnect."""
    if get_channel_layer() is None:
        return
    layer_push(
        SCREEN_GROUP, {"type": "screen.push", "item": item, "snapshot": screen_snapshot()}, what="command-screen push"
    )


def screen_announce(*, kind: str, record_id: int) -> ScreenItem | None:
    """Save what happened (`live.check_in`, `report.filed` …) and push it after the commit."""
    data = _live_item(kind, record_id) if kind.startswith("live.") else None
    if data is None:
        return None
    data["at"] = timezone.now().isoformat()
    data["record"] = record_id
    item = ScreenItem.objects.create(kind=kind, data=data)
    # Keep the feed short: a screen further behind than this takes the snapshot.
    ScreenItem.objects.filter(pk__lte=item.pk - ITEMS_KEPT).delete()
    payload = {"id": item.pk, "kind": kind, **data}
    transaction.on_commit(lambda: screen_push(payload))
    return item
