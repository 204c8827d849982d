"""Reads for the map: areas with their outlines, a grid's card, search. Compact by design: 515
grids' outlines travel in one response, so positions are rounded to 5 decimals (≈ 1 m) and
converted to the tile server's coordinate system here, not in the browser."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.masking import mask_phone
from core.models import Area, Membership, Role
from governance.geo.access import MapScope
from governance.geo.crs import GCJ02, wgs84_to_gcj02_array
from governance.models import Building
from governance.selectors import visit_counts_for_areas

DISPLAY_DECIMALS = 5
SEARCH_LIMIT = 20
# A grid holds a few dozen buildings; the cap only guards the response against a data error.
BUILDING_MARKER_LIMIT = 2000


def tile_crs() -> str:
    return settings.MAP_TILE_CRS


def _display_positions(positions: list, crs: str) -> list:
    array = np.asarray(positions, dtype=float)[:, :2]
    if crs == GCJ02:
        array = wgs84_to_gcj02_array(array)
    return np.round(array, DISPLAY_DECIMALS).tolist()


def display_boundary(boundary: dict[str, Any] | None, crs: str) -> dict[str, Any] | None:
    """A stored boundary as the map draws it: in the tile CRS, rounded."""
    if not boundary:
        return None
    kind, coordinates = boundary.get("type"), boundary.get("coordinates") or []
    if kind == "Polygon":
        return {"type": kind, "coordinates": [_display_positions(r, crs) for r in coordinates]}
    if kind == "MultiPolygon":
        return {"type": kind, "coordinates": [[_display_positions(r, crs) for r in p] for p in coordinates]}
    return None


def display_centre(area: Area, crs: str) -> list[float] | None:
    """[latitude, longitude] in the tile CRS (Leaflet's order)."""
    if area.latitude is None or area.longitude is None:
        return None
    lon, lat = _display_positions([[float(area.longitude), float(area.latitude)]], crs)[0]
    return [lat, lon]


def _feature(area: Area, crs: str) -> dict[str, Any]:
    return {
        "id": area.pk,
        "name": area.name,
        "level": area.level,
        "centre": display_centre(area, crs),
        "boundary": display_boundary(area.boundary, crs),
        "children": getattr(area, "n_children", 0),
    }


def _trail(scope: MapScope, area: Area) -> list[dict[str, Any]]:
    """The area's ancestors the person may see, top first, and the area itself."""
    parts = [p for p in area.path.strip("/").split("/") if p]
    prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    ancestors = Area.objects.filter(path__in=prefixes).order_by("depth").only("pk", "name", "level", "path")
    return [{"id": a.pk, "name": a.name, "level": a.level} for a in ancestors if scope.covers(a)]


def _with_child_counts(qs: QuerySet[Area]) -> QuerySet[Area]:
    return qs.annotate(n_children=Count("children")).only(
        "pk", "name", "level", "path", "latitude", "longitude", "boundary"
    )


def map_areas(*, scope: MapScope, parent: Area | None, level: int | None = None) -> dict[str, Any]:
    """The areas to draw: the person's top areas (no parent), a parent's children, or every
    descendant of the parent at one level (e.g. all grids of a town)."""
    crs = tile_crs()
    if parent is None:
        if scope.paths is None:
            qs = Area.objects.filter(level=Area.Level.CITY)
        else:
            qs = Area.objects.filter(path__in=scope.paths)
        trail: list[dict[str, Any]] = []
    else:
        if level is not None and level > parent.level:
            qs = Area.objects.filter(path__startswith=parent.path, level=level)
        else:
            qs = Area.objects.filter(parent=parent)
        trail = _trail(scope, parent)
    areas = [_feature(a, crs) for a in _with_child_counts(qs).order_by("path")]
    payload: dict[str, Any] = {"crs": crs, "trail": trail, "areas": areas}
    if parent is not None:
        payload["parent"] = {
            "id": parent.pk,
            "name": parent.name,
            "level": parent.level,
            "boundary": display_boundary(parent.boundary, crs),
        }
    return payload


def grid_workers(grid: Area) -> list[dict[str, str]]:
    kinds = dict(Membership.WorkerKind.choices)
    rows = (
        Membership.objects.filter(role=Role.GRID_WORKER, area=grid)
        .select_related("user")
        .order_by("worker_kind", "user__name")
    )
    return [
        {
            "name": m.user.get_full_name(),
            "kind": str(kinds.get(m.worker_kind, _("Grid worker"))),
            "phone": mask_phone(m.user.mobile or ""),
        }
        for m in rows
    ]


def area_card(*, scope: MapScope, area: Area, can_edit: bool) -> dict[str, Any]:
    """What the card beside the map shows for one area."""
    crs = tile_crs()
    card: dict[str, Any] = {
        "id": area.pk,
        "name": area.name,
        "level": area.level,
        "level_label": str(Area.Level(area.level).label),
        "trail": _trail(scope, area),
        "boundary": display_boundary(area.boundary, crs),
        "centre": display_centre(area, crs),
        "children": area.children.count(),
        "can_edit": can_edit,
        "residents_data": scope.residents_data,
    }
    if scope.residents_data:
        card["households"] = area.households
        card["population"] = area.population
    card["buildings"] = Building.objects.filter(grid__path__startswith=area.path).count()
    if scope.residents_data:
        # Open visits: tagged residents whose visit is overdue or due this week (the kept plan, an
        # index read), with the list behind them. Departments see no residents, so no visits either.
        counts = visit_counts_for_areas([area], today=timezone.localdate())[area.pk]
        card["open_visits"] = {
            "overdue": counts.overdue,
            "due": counts.due,
            "url": reverse("governance:visits_area", args=[area.pk]),
        }
    if area.level == Area.Level.GRID:
        card["workers"] = grid_workers(area)
    return card


def _display_point(latitude, longitude, crs: str) -> list[float] | None:
    if latitude is None or longitude is None:
        return None
    lon, lat = _display_positions([[float(longitude), float(latitude)]], crs)[0]
    return [lat, lon]


def _building_row(building: Building, crs: str, *, residents_data: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": building.pk,
        "name": building.name,
        "address": building.address,
        "grid": building.grid_id,
        "at": _display_point(building.latitude, building.longitude, crs),
    }
    if residents_data:
        # The plan view holds households: only for those who see residents' data.
        row["households"] = getattr(building, "n_households", None)
        row["url"] = reverse("governance:building_detail", args=[building.pk])
    return row


def grid_buildings(*, scope: MapScope, grid: Area) -> dict[str, Any]:
    """The markers of one grid's buildings: name, address, position (tile CRS), and for those who
    see residents' data the household count and the plan view's address."""
    crs = tile_crs()
    qs = Building.objects.filter(grid=grid).order_by("address_key", "pk")
    if scope.residents_data:
        qs = qs.annotate(n_households=Count("households"))
    rows = qs.only("pk", "name", "address", "grid_id", "latitude", "longitude")[:BUILDING_MARKER_LIMIT]
    return {"grid": grid.pk, "buildings": [_building_row(b, crs, residents_data=scope.residents_data) for b in rows]}


def map_search(*, scope: MapScope, query: str) -> list[dict[str, Any]]:
    """Areas whose name contains the words (grids first), then buildings by address or name."""
    query = query.strip()[:50]
    if not query:
        return []
    areas = (
        scope.areas()
        .filter(name__icontains=query)
        .order_by("-level", "path")
        .only("pk", "name", "level", "path", "parent__name")
        .select_related("parent")[:SEARCH_LIMIT]
    )
    results: list[dict[str, Any]] = [
        {
            "kind": "area",
            "id": a.pk,
            "name": a.name,
            "level": a.level,
            "context": a.parent.name if a.parent_id else "",
        }
        for a in areas
    ]
    room = SEARCH_LIMIT - len(results)
    if room > 0:
        buildings = Building.objects.filter(Q(address__icontains=query) | Q(name__icontains=query))
        if scope.paths is not None:
            condition = Q()
            for path in scope.paths:
                condition |= Q(grid__path__startswith=path)
            buildings = buildings.filter(condition)
        crs = tile_crs()
        rows = (
            buildings.select_related("grid")
            .only("pk", "name", "address", "grid_id", "latitude", "longitude", "grid__name")
            .order_by("grid__path", "address_key", "pk")[:room]
        )
        for b in rows:
            row = _building_row(b, crs, residents_data=False)
            row.update(kind="building", context=f"{b.address} · {b.grid.name}")
            results.append(row)
    return results
