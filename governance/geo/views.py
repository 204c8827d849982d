"""The one map (一张图): the page, its JSON data, boundary saving and the GeoJSON import page."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from core.models import Area
from governance.geo.access import (
    access_boundary_area_by_id,
    access_map_area_by_id,
    access_map_scope,
    can_edit_boundary,
    may_edit_boundaries,
)
from governance.geo.crs import convert_geojson
from governance.geo.forms import BoundaryImportForm
from governance.geo.imports import boundaries_import
from governance.geo.selectors import (
    area_card,
    display_boundary,
    grid_buildings,
    map_areas,
    map_search,
    tile_crs,
)
from governance.geo.services import area_boundary_set

LEVEL_COLOURS = {
    Area.Level.CITY: "#b71c1c",
    Area.Level.TOWN: "#e65100",
    Area.Level.VILLAGE: "#1565c0",
    Area.Level.GRID: "#2e7d32",
}
MAX_BOUNDARY_BYTES = 2_000_000


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"separators": (",", ":"), "ensure_ascii": False})


def _int_or_404(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


@login_required
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    access_map_scope(request.user)
    config = {
        "urls": {
            "areas": reverse("governance:map_areas"),
            "area": reverse("governance:map_area", args=[0]),
            "boundary": reverse("governance:map_boundary", args=[0]),
            "search": reverse("governance:map_search"),
            "buildings": reverse("governance:map_buildings", args=[0]),
        },
        "tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
        "crs": tile_crs(),
        "colours": {str(k): v for k, v in LEVEL_COLOURS.items()},
        "levels": {str(value): str(label) for value, label in Area.Level.choices},
        "gridLevel": Area.Level.GRID,
        "canEdit": may_edit_boundaries(request.user),
        "text": {
            "households": _("Households"),
            "population": _("Population"),
            "buildings": _("Buildings"),
            "workers": _("Grid workers"),
            "noWorkers": _("No grid worker assigned"),
            "children": _("Areas below"),
            "openVisits": _("Open visits"),
            # Context: other catalogues translate the bare words differently (超期 for reports).
            "overdue": pgettext("map card, visits", "overdue"),
            "dueThisWeek": pgettext("map card, visits", "due this week"),
            "visitList": _("List of visits to make"),
            "building": pgettext("map search result", "Building"),
            "planView": _("Open the plan view"),
            "noPosition": _("Buildings without a position on the map"),
            "noBoundary": _("No boundary drawn yet"),
            "edit": _("Edit boundary"),
            "draw": _("Draw boundary"),
            "save": _("Save boundary"),
            "cancel": _("Cancel"),
            "saved": _("Boundary saved."),
            "notFound": _("Nothing found."),
            "drill": _("Show areas below"),
            "failed": _("Could not load the map data. Please try again."),
            "hint": _("Click an area on the map to see its details."),
            # Leaflet names its zoom buttons in English otherwise.
            "zoomIn": _("Zoom in"),
            "zoomOut": _("Zoom out"),
        },
    }
    return render(request, "governance/map.html", {"map_config": config, "legend": Area.Level.choices})


@login_required
@require_GET
@gzip_page
def map_areas_json(request: HttpRequest) -> JsonResponse:
    scope = access_map_scope(request.user)
    parent_id = _int_or_404(request.GET.get("parent"))
    parent = access_map_area_by_id(request.user, parent_id)[0] if parent_id is not None else None
    level = _int_or_404(request.GET.get("level"))
    if level is not None and level not in Area.Level.values:
        raise Http404
    return _json(map_areas(scope=scope, parent=parent, level=level))


@login_required
@require_GET
@gzip_page
def map_area_json(request: HttpRequest, area_id: int) -> JsonResponse:
    area, scope = access_map_area_by_id(request.user, area_id)
    return _json(area_card(scope=scope, area=area, can_edit=can_edit_boundary(request.user, area)))


@login_required
@require_GET
@gzip_page
def map_buildings_json(request: HttpRequest, area_id: int) -> JsonResponse:
    """A grid's buildings as markers; 404 for an area that is not a grid or not the person's."""
    area, scope = access_map_area_by_id(request.user, area_id)
    if area.level != Area.Level.GRID:
        raise Http404
    return _json(grid_buildings(scope=scope, grid=area))


@login_required
@require_GET
def map_search_json(request: HttpRequest) -> JsonResponse:
    scope = access_map_scope(request.user)
    return _json({"results": map_search(scope=scope, query=request.GET.get("q", ""))})


@login_required
@require_POST
def map_boundary_save(request: HttpRequest, area_id: int) -> JsonResponse:
    area = access_boundary_area_by_id(request.user, area_id)
    if len(request.body) > MAX_BOUNDARY_BYTES:
        return _json({"errors": [_("The boundary is too large.")]}, status=400)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _json({"errors": [_("The boundary must be a GeoJSON Polygon or MultiPolygon.")]}, status=400)
    drawn = body.get("boundary") if isinstance(body, dict) else None
    if not isinstance(drawn, dict):
        return _json({"errors": [_("The boundary must be a GeoJSON Polygon or MultiPolygon.")]}, status=400)
    crs = tile_crs()
    try:
        # The person drew on the tiles' coordinate system; we store WGS-84.
        warnings = area_boundary_set(
            area=area, boundary=convert_geojson(drawn, to_display=False, crs=crs), by=request.user, request=request
        )
    except (ValidationError, TypeError, ValueError, IndexError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [_("The boundary is not valid GeoJSON.")]
        return _json({"errors": messages}, status=400)
    return _json({"ok": True, "warnings": warnings, "boundary": display_boundary(area.boundary, crs)})


@login_required
def map_import(request: HttpRequest) -> HttpResponse:
    if not may_edit_boundaries(request.user):
        raise Http404
    form = BoundaryImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = boundaries_import(
            data=form.cleaned_data["file"].read(),
            by=request.user,
            may_edit=lambda area: can_edit_boundary(request.user, area),
            skip_invalid=form.cleaned_data["skip_invalid"],
            dry_run=form.cleaned_data["dry_run"],
            crs=form.cleaned_data["crs"],
            request=request,
        )
    return render(request, "governance/map_import.html", {"form": form, "report": report})
