"""GeoJSON ⇄ shapely for area boundaries: strict parsing with reasons a person can act on.

Boundaries are stored as GeoJSON geometries in WGS-84, positions [longitude, latitude], six
decimals (≈ 0.1 m), exterior rings counter-clockwise (RFC 7946). Everything here is pure geometry;
what an area's boundary must satisfy relative to other areas lives in `validation.py`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon

STORE_DECIMALS = 6
# Metres per degree of latitude; a degree of longitude is this × cos(latitude).
METRES_PER_DEGREE = 111_320.0

BoundaryGeometry = Polygon | MultiPolygon


class BoundaryError(ValueError):
    """The GeoJSON is not a usable boundary; `str(error)` is the reason, translated."""


def _position(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise BoundaryError(_("%(where)s: a position must be [longitude, latitude].") % {"where": where})
    lon, lat = value[0], value[1]
    if (
        isinstance(lon, bool)
        or isinstance(lat, bool)
        or not isinstance(lon, (int, float))
        or not isinstance(lat, (int, float))
    ):
        raise BoundaryError(_("%(where)s: coordinates must be numbers.") % {"where": where})
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BoundaryError(
            _("%(where)s: [%(lon)s, %(lat)s] is not a WGS-84 longitude and latitude.")
            % {"where": where, "lon": lon, "lat": lat}
        )
    return float(lon), float(lat)


def _ring(value: Any, where: str) -> list[tuple[float, float]]:
    if not isinstance(value, (list, tuple)):
        raise BoundaryError(_("%(where)s: a ring must be a list of positions.") % {"where": where})
    points = [_position(p, where) for p in value]
    if len(points) < 4:
        raise BoundaryError(_("%(where)s: a ring needs at least 4 positions.") % {"where": where})
    if points[0] != points[-1]:
        raise BoundaryError(
            _("%(where)s: the ring is not closed (its last position must repeat the first).") % {"where": where}
        )
    return points


def _polygon(value: Any, where: str) -> Polygon:
    if not isinstance(value, (list, tuple)) or not value:
        raise BoundaryError(_("%(where)s: a polygon must be a list of rings.") % {"where": where})
    rings = [
        _ring(r, _("%(where)s, ring %(n)d") % {"where": where, "n": i} if len(value) > 1 else where)
        for i, r in enumerate(value, 1)
    ]
    return Polygon(rings[0], rings[1:])


def _invalid_reason(geom: BoundaryGeometry) -> str:
    reason = shapely.is_valid_reason(geom)
    # GEOS says e.g. "Self-intersection[124.1 39.8]": name the problem, keep the place.
    place = reason[reason.find("[") :] if "[" in reason else ""
    kinds = {
        "Self-intersection": _("the boundary crosses itself"),
        "Ring Self-intersection": _("a ring touches itself"),
        "Too few points": _("a ring has too few distinct points"),
        "Hole lies outside shell": _("a hole lies outside the outer ring"),
        "Nested holes": _("holes are nested"),
        "Interior is disconnected": _("the inside is cut into pieces"),
        "Nested shells": _("the parts of the area lie inside each other"),
        "Invalid Coordinate": _("a coordinate is not a number"),
    }
    text = next((v for k, v in sorted(kinds.items(), key=lambda kv: -len(kv[0])) if reason.startswith(k)), reason)
    return f"{text} {place}".strip()


def geometry_from_geojson(data: Any) -> BoundaryGeometry:
    """A valid Polygon or MultiPolygon from a GeoJSON geometry (or a Feature holding one)."""
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict):
        raise BoundaryError(_("The boundary must be a GeoJSON Polygon or MultiPolygon."))
    kind, coordinates = data.get("type"), data.get("coordinates")
    where = _("the boundary")
    if kind == "Polygon":
        geom: BoundaryGeometry = _polygon(coordinates, where)
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, (list, tuple)) or not coordinates:
            raise BoundaryError(_("A MultiPolygon must list its polygons."))
        geom = MultiPolygon([_polygon(p, _("part %(n)d") % {"n": i}) for i, p in enumerate(coordinates, 1)])
    else:
        raise BoundaryError(
            _("The boundary must be a GeoJSON Polygon or MultiPolygon, not %(type)s.") % {"type": kind or "—"}
        )
    if not geom.is_valid:
        raise BoundaryError(_("Invalid polygon: %(reason)s.") % {"reason": _invalid_reason(geom)})
    if geom.is_empty or geom.area == 0:
        raise BoundaryError(_("The boundary encloses no area."))
    return geom


def _rounded_coords(coords: np.ndarray, decimals: int) -> list:
    return np.round(coords[:, :2], decimals).tolist()


def geometry_to_geojson(geom: BoundaryGeometry, *, decimals: int = STORE_DECIMALS) -> dict:
    """GeoJSON for storage or display: positions rounded, exterior rings counter-clockwise."""
    geom = shapely.orient_polygons(geom)

    def polygon(p: Polygon) -> list:
        rings = [p.exterior, *p.interiors]
        return [_rounded_coords(shapely.get_coordinates(r), decimals) for r in rings]

    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": polygon(geom)}
    if isinstance(geom, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": [polygon(p) for p in geom.geoms]}
    raise BoundaryError(_("The boundary must be a GeoJSON Polygon or MultiPolygon."))


def area_m2(geom: BoundaryGeometry) -> float:
    """Approximate area in square metres (equirectangular at the geometry's latitude; fine for
    tolerances and reports, not for surveying)."""
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return geom.area * METRES_PER_DEGREE**2 * math.cos(math.radians(lat))


def metres_to_degrees(metres: float) -> float:
    return metres / METRES_PER_DEGREE
