"""The command screen's figures (一张图): today's figures, 30-day trends, what is live now and the
map's points — all from the rollups and the trees, plus the few rows that are live right now.

A screen shows the whole city (the operations centre's wall) or one town or community (its service
centre's wall): `area` None or that area. A scoped screen reads the area's own rollup rows and the
party organisations located in it, and lists only what happened there; the departments' table (a
ranking of departments) is the centre's alone, as on the dashboards."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Area, PartyOrg
from dashboards.models import Grain, Rollup, ScreenItem, Tree
from dashboards.sources import learning as learning_source
from dashboards.sources import live as live_source
from streaming.models import LiveEvent, VenueAttendance
from streaming.services.venues import OFFLINE_AFTER

TREND_DAYS = 30
ITEMS_KEPT = 200


def screen_group(area_id: int | None = None) -> str:
    """The channel-layer group of the screens of one area (or of the city's): a screen joins its
    own scope's group only, so a town's screen never receives another town's figures."""
    return "dashboards.screen" if area_id is None else f"dashboards.screen.area.{area_id}"


def _roots(tree: str, area: Area | None = None) -> list[int]:
    """The nodes whose rollup rows hold the scope's figures (each change is kept at every ancestor,
    so the highest nodes of the scope are summed, never their descendants too)."""
    if area is None:
        model = PartyOrg if tree == Tree.PARTY else Area
        return list(model.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    if tree == Tree.AREA:
        return [area.pk]
    located = PartyOrg.objects.filter(area__path__startswith=area.path).order_by("path").values_list("pk", "path")
    roots: list[tuple[int, str]] = []
    for pk, path in located:  # in path order, an ancestor comes before its descendants
        if not any(path.startswith(p) for _pk, p in roots):
            roots.append((pk, path))
    return [pk for pk, _path in roots]


def _daily(
    metrics: list[str], tree: str, since: datetime.date, area: Area | None = None
) -> dict[tuple[str, datetime.date], float]:
    rows = (
        Rollup.objects.filter(
            metric__in=metrics, tree=tree, grain=Grain.DAY, node_id__in=_roots(tree, area), day__gte=since
        )
        .values_list("metric", "day")
        .annotate(value=Sum("value"))
    )
    return {(metric, day): value for metric, day, value in rows}


def _point(area: Area | None) -> list[float] | None:
    if area is None or area.longitude is None or area.latitude is None:
        return None
    return [float(area.longitude), float(area.latitude)]


def _venue_in(area: Area, prefix: str = "") -> Q:
    """A venue in the area: placed there, or kept by a party organisation located there."""
    return Q(**{f"{prefix}area__path__startswith": area.path}) | Q(
        **{f"{prefix}party_org__area__path__startswith": area.path}
    )


def live_now(area: Area | None = None) -> list[dict]:
    since = timezone.now() - OFFLINE_AFTER
    events = LiveEvent.objects.filter(state=LiveEvent.State.LIVE)
    if area is not None:
        # Held there (its main venue) or followed there (one of its venues takes part).
        taking_part = VenueAttendance.objects.filter(_venue_in(area, "venue__"), event=OuterRef("pk"))
        events = events.filter(_venue_in(area, "main_venue__") | Q(Exists(taking_part)))
    events = (
        events.select_related("main_venue__area")
        .annotate(online=Count("venue_attendance", filter=Q(venue_attendance__last_heartbeat_at__gte=since)))
        .order_by("-started_at")[:20]
    )
    return [
        {
            "id": e.pk,
            "title": e.title,
            "venues_online": e.online,
            "point": _point(e.main_venue.area if e.main_venue else None),
        }
        for e in events
    ]


def venues_online(area: Area | None = None) -> int:
    since = timezone.now() - OFFLINE_AFTER
    qs = VenueAttendance.objects.filter(event__state=LiveEvent.State.LIVE, last_heartbeat_at__gte=since)
    if area is not None:
        qs = qs.filter(_venue_in(area, "venue__"))
    return qs.count()


def _areas(area: Area | None):
    return Area.objects.all() if area is None else Area.objects.filter(path__startswith=area.path)


def map_boundaries(area: Area | None = None) -> dict | None:
    """The grids' boundaries as one GeoJSON FeatureCollection (villages' where no grid has one), or
    None while no area has a boundary: the map then shows the areas' centre points only."""
    for level in (Area.Level.GRID, Area.Level.VILLAGE):
        rows = list(_areas(area).filter(level=level, boundary__isnull=False).values_list("pk", "name", "boundary"))
        if rows:
            return {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "id": pk, "properties": {"name": name}, "geometry": geometry}
                    for pk, name, geometry in rows
                    if isinstance(geometry, dict)
                ],
            }
    return None


def map_points(area: Area | None = None) -> list[dict]:
    """Villages/communities and grids with a centre point (boundaries, where known, come later)."""
    return [
        {"id": pk, "name": name, "level": level, "point": [float(lng), float(lat)]}
        for pk, name, level, lng, lat in _areas(area)
        .filter(level__gte=Area.Level.VILLAGE, longitude__isnull=False, latitude__isnull=False)
        .values_list("pk", "name", "level", "longitude", "latitude")
    ]


def _reports_today(
    today: datetime.date, since: datetime.date, area: Area | None = None
) -> tuple[list[dict], dict, list, list[dict] | None]:
    """Reports: today's figures, the trend, the open ones on the map and the departments' table
    (the centre's only: None for a town's or community's screen). From our rollups and
    governance.reports' ReviewRollup; the map's points are the open reports."""
    from django.apps import apps

    if not apps.is_installed("governance.reports"):
        return [], {}, [], []
    from core.models import Department
    from dashboards.sources import reports as reports_source
    from governance.reports.models import Report, ReviewRollup

    nodes = _roots(Tree.AREA, area)
    daily = _daily([reports_source.RECEIVED], Tree.AREA, since, area)
    open_now = (
        Rollup.objects.filter(
            metric=reports_source.OPEN, tree=Tree.AREA, grain=Grain.MONTH, node_id__in=nodes
        ).aggregate(n=Sum("value"))["n"]
        or 0
    )
    month = ReviewRollup.objects.filter(
        period=ReviewRollup.Period.MONTH, period_start=today.replace(day=1), area_id_key__in=nodes
    ).aggregate(received=Sum("received"), overdue=Sum("overdue"))
    figures = [
        {
            "key": "reports_today",
            "label": _("Reports filed today"),
            "value": round(daily.get((reports_source.RECEIVED, today), 0)),
        },
        {"key": "reports_open", "label": _("Reports open"), "value": round(open_now)},
        {"key": "dispatched_month", "label": _("Dispatched this month"), "value": month["received"] or 0},
        {"key": "overdue_month", "label": _("Overdue this month"), "value": month["overdue"] or 0},
    ]
    days = [since + datetime.timedelta(days=i) for i in range(TREND_DAYS)]
    trend = {"name": _("Reports filed"), "data": [round(daily.get((reports_source.RECEIVED, d), 0)) for d in days]}
    open_reports = Report.objects.filter(
        status__in=Report.OPEN_STATUSES, longitude__isnull=False, latitude__isnull=False
    )
    if area is not None:
        open_reports = open_reports.filter(area_path__startswith=area.path)
    points = [
        {"id": pk, "title": name, "point": [float(lng), float(lat)]}
        for pk, name, lng, lat in open_reports.order_by("-created_at").values_list(
            "pk", "category__name", "longitude", "latitude"
        )[:500]
    ]
    if area is not None:
        return figures, trend, points, None
    year = ReviewRollup.objects.filter(
        period=ReviewRollup.Period.YEAR, period_start=today.replace(month=1, day=1), department_id_key__gt=0
    ).values_list("department_id_key", "received", "returned", "resolved", "overdue", "rated", "satisfied")
    names = dict(Department.objects.values_list("pk", "name"))
    table = []
    for dept, received, returned, resolved, overdue, rated, satisfied in year:
        base = received - returned
        table.append(
            {
                "name": names.get(dept, "—"),
                "open": received,
                "overdue": overdue,
                "completion": f"{100 * resolved / base:.1f}%" if base else None,
                "satisfaction": f"{100 * satisfied / rated:.1f}%" if rated else None,
                "_rank": resolved / base if base else -1,
            }
        )
    # Departments ranked on their completion rate (the article's review); never people.
    table.sort(key=lambda r: -r.pop("_rank"))
    return figures, trend, points, table


def _visits_today(today: datetime.date, area: Area | None = None) -> list[dict]:
    """Visits recorded today and visits overdue now, in the scope, from the grids' rollups."""
    from dashboards.sources import grids

    roots = Rollup.objects.filter(tree=Tree.AREA, grain=Grain.DAY, node_id__in=_roots(Tree.AREA, area))
    done = roots.filter(metric=grids.VISITS_DONE, day=today).aggregate(n=Sum("value"))["n"] or 0
    overdue = roots.filter(metric=grids.VISITS_NEXT_DUE, day__lt=today).aggregate(n=Sum("value"))["n"] or 0
    return [
        {"key": "visits_today", "label": _("Visits recorded today"), "value": round(done)},
        {"key": "visits_overdue", "label": _("Visits overdue"), "value": round(overdue)},
    ]


def screen_snapshot(*, area: Area | None = None, with_map: bool = False) -> dict:
    today = timezone.localdate()
    since = today - datetime.timedelta(days=TREND_DAYS - 1)
    party = [
        learning_source.SECONDS,
        learning_source.COMPLETIONS,
        live_source.EVENTS,
        live_source.CHECKINS,
        live_source.HEADCOUNT,
        live_source.PERSONAL,
    ]
    daily = _daily(party, Tree.PARTY, since, area)
    days = [since + datetime.timedelta(days=i) for i in range(TREND_DAYS)]

    def today_of(metric: str) -> float:
        return daily.get((metric, today), 0.0)

    now_live = live_now(area)
    figures = [
        {"key": "live_events_now", "label": _("Live events on air"), "value": len(now_live)},
        {"key": "venues_online", "label": _("Venues online"), "value": venues_online(area)},
        {"key": "checkins_today", "label": _("Venue check-ins today"), "value": round(today_of(live_source.CHECKINS))},
        {
            "key": "participants_today",
            "label": _("Participant-times today"),
            "value": round(today_of(live_source.HEADCOUNT) + today_of(live_source.PERSONAL)),
        },
        {
            "key": "learning_hours_today",
            "label": _("Learning hours today"),
            "value": round(today_of(learning_source.SECONDS) / 3600, 1),
        },
        {
            "key": "lessons_completed_today",
            "label": _("Lessons completed today"),
            "value": round(today_of(learning_source.COMPLETIONS)),
        },
    ]
    trends = {
        "days": [d.strftime("%m-%d") for d in days],
        "series": [
            {
                "name": _("Participant-times"),
                "data": [
                    round(daily.get((live_source.HEADCOUNT, d), 0) + daily.get((live_source.PERSONAL, d), 0))
                    for d in days
                ],
            },
            {
                "name": _("Learning hours"),
                "data": [round(daily.get((learning_source.SECONDS, d), 0) / 3600, 1) for d in days],
            },
        ],
    }
    report_figures, report_trend, open_reports, departments = _reports_today(today, since, area)
    if report_trend:
        trends["series"].insert(0, report_trend)
    snapshot = {
        "as_of": timezone.now().isoformat(),
        "scope": None if area is None else {"id": area.pk, "name": area.name},
        "last_id": ScreenItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "figures": report_figures + _visits_today(today, area) + figures,
        "trends": trends,
        "live": now_live,
        "reports": open_reports,
        "departments": departments,
    }
    if with_map:
        snapshot["map"] = map_points(area)
        snapshot["boundaries"] = map_boundaries(area)
    return snapshot


def item_in(data: dict, area: Area | None) -> bool:
    """Whether an item concerns the scope: the city's screen shows every item, an area's screen
    those that happened in it (`paths`: the areas an item concerns, kept with it)."""
    return area is None or any(p.startswith(area.path) for p in data.get("paths", []))


def item_payload(item_id: int, kind: str, data: dict) -> dict:
    """What a screen receives of an item: never the list of places it concerns."""
    return {"id": item_id, "kind": kind, **{k: v for k, v in data.items() if k != "paths"}}


def screen_items_after(last: int, *, area: Area | None = None, limit: int = 50) -> list[dict] | None:
    """The scope's items after `last`, or None when the client is too far behind (it takes the
    snapshot): more than `limit` of them, or some already dropped from the kept feed."""
    kept = list(ScreenItem.objects.filter(pk__gt=last).order_by("pk")[:ITEMS_KEPT])
    # The feed keeps the items after (newest − ITEMS_KEPT) (screen_announce): anything older is gone.
    if kept and last < kept[-1].pk - ITEMS_KEPT:
        return None
    items = [i for i in kept if item_in(i.data, area)]
    if len(items) > limit:
        return None
    return [item_payload(i.pk, i.kind, i.data) for i in items]
