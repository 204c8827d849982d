"""The command screens' feed: an item saved first, then pushed with fresh figures to every screen
after the commit. A screen that missed pushes asks for the items after the last id it saw.

Screens are the city's (the operations centre's) and a town's or community's (its service centre's).
Each scope has its own group: a change is pushed, with that scope's own snapshot, to the city's
group and to the groups of the towns and communities it happened in — never to another's.
"""

from __future__ import annotations

from collections.abc import Iterable

from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.layers import layer_push
from core.models import Area
from dashboards.models import ScreenItem
from dashboards.screen import ITEMS_KEPT, item_in, item_payload, screen_group, screen_snapshot
from dashboards.trees import prefixes
from streaming.models import LiveEvent, VenueAttendance

# The levels whose service centres have a screen of their own (the city's is the centre's).
SCREEN_LEVELS = (Area.Level.TOWN, Area.Level.VILLAGE)

# Kept for the callers that name the centre's group.
SCREEN_GROUP = screen_group(None)

# A scoped screen says it is open (at connect and with every ping, every 25 s) for this long, so a
# change computes snapshots only for the towns and communities with a screen open: a lesson followed
# in twenty villages would otherwise cost a snapshot for each at every check-in. The cache reaches
# exactly the processes the channel layer reaches (Redis for both, or one process's memory for both).
SCREEN_OPEN_SECONDS = 90


def _open_key(area_id: int) -> str:
    return f"dashboards.screen.open.{area_id}"


def screen_open_mark(*, area_id: int) -> None:
    cache.set(_open_key(area_id), 1, timeout=SCREEN_OPEN_SECONDS)


def screen_areas_open(areas: list[Area]) -> list[Area]:
    """Those of `areas` with a screen open now."""
    if not areas:
        return []
    open_now = cache.get_many([_open_key(a.pk) for a in areas])
    return [a for a in areas if _open_key(a.pk) in open_now]


def _point(area: Area | None) -> list[float] | None:
    if area is None or area.longitude is None or area.latitude is None:
        return None
    return [float(area.longitude), float(area.latitude)]


def live_event_paths(event_id: int) -> list[str]:
    """The places a live event concerns: its main venue's and every taking-part venue's area (or
    their party organisation's area)."""
    paths: set[str] = set()
    main = LiveEvent.objects.filter(pk=event_id).values_list(
        "main_venue__area__path", "main_venue__party_org__area__path"
    )
    venues = VenueAttendance.objects.filter(event_id=event_id).values_list(
        "venue__area__path", "venue__party_org__area__path"
    )
    for row in [*main, *venues]:
        paths.update(p for p in row if p)
    return sorted(paths)


def _live_item(event_id: int) -> dict | None:
    event = LiveEvent.objects.select_related("main_venue__area").filter(pk=event_id).first()
    if event is None:
        return None
    area = event.main_venue.area if event.main_venue else None
    return {"title": event.title, "state": event.state, "point": _point(area), "paths": live_event_paths(event_id)}


def _report_item(report_id: int) -> dict | None:
    from django.apps import apps

    if not apps.is_installed("governance.reports"):
        return None
    from governance.reports.models import Report

    row = (
        Report.objects.filter(pk=report_id).values_list("category__name", "area_path", "longitude", "latitude").first()
    )
    if row is None:
        return None
    name, path, lng, lat = row
    point = [float(lng), float(lat)] if lng is not None and lat is not None else None
    return {"title": name or "", "point": point, "paths": [path] if path else []}


def screen_areas(paths: Iterable[str]) -> list[Area]:
    """The towns and communities these places lie in: the scoped screens a change concerns."""
    wanted: set[str] = set()
    for path in paths:
        if path:
            wanted.update(prefixes(path))
    if not wanted:
        return []
    return list(Area.objects.filter(path__in=wanted, level__in=SCREEN_LEVELS).order_by("path"))


def screen_push(item: dict | None, *, paths: Iterable[str] = ()) -> None:
    """Best effort: the figures are in the database and screens resync when they reconnect. The
    city's screens get every item; a town's or community's only the items that happened in it."""
    if get_channel_layer() is None:
        return
    layer_push(
        SCREEN_GROUP,
        {"type": "screen.push", "item": _sendable(item), "snapshot": screen_snapshot()},
        what="command-screen push",
    )
    for area in screen_areas_open(screen_areas(paths)):
        scoped = _sendable(item) if item is not None and item_in(item, area) else None
        layer_push(
            screen_group(area.pk),
            {"type": "screen.push", "item": scoped, "snapshot": screen_snapshot(area=area)},
            what=f"command-screen push to area {area.pk}",
        )


def _sendable(item: dict | None) -> dict | None:
    if item is None:
        return None
    return item_payload(item["id"], item["kind"], {k: v for k, v in item.items() if k not in ("id", "kind")})


def screen_announce(*, kind: str, record_id: int) -> ScreenItem | None:
    """Save what happened (`live.check_in`, `report.filed` …) and push it after the commit."""
    if kind.startswith("live."):
        data = _live_item(record_id)
    elif kind == "report.filed":
        data = _report_item(record_id)
    else:
        data = None
    if data is None:
        return None
    data["at"] = timezone.now().isoformat()
    data["record"] = record_id
    item = ScreenItem.objects.create(kind=kind, data=data)
    # Keep the feed short: a screen further behind than this takes the snapshot.
    ScreenItem.objects.filter(pk__lte=item.pk - ITEMS_KEPT).delete()
    payload = {"id": item.pk, "kind": kind, **data}
    paths = list(data["paths"])
    transaction.on_commit(lambda: screen_push(payload, paths=paths))
    return item


def screen_refresh(*, paths: Iterable[str]) -> None:
    """Fresh figures (no item) to the city's screens and to those of the places named."""
    paths = list(paths)
    transaction.on_commit(lambda: screen_push(None, paths=paths))
