"""Writes of area boundaries. Every boundary change goes through here: validated, stored,
the point → grid index told (same transaction), audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from core.models import Area, User
from core.services.audit import audit_record
from governance.geo.geometry import BoundaryGeometry, area_m2, geometry_to_geojson
from governance.geo.index import boundaries_changed
from governance.geo.validation import BoundaryChecker


def _centre_inside(area: Area, geom: BoundaryGeometry) -> None:
    """Keep the stored centre when it lies inside the boundary, else move it to a point that does."""
    if (
        area.latitude is not None
        and area.longitude is not None
        and geom.covers(shapely.Point(float(area.longitude), float(area.latitude)))
    ):
        return
    point = geom.representative_point()
    area.latitude = Decimal(f"{point.y:.6f}")
    area.longitude = Decimal(f"{point.x:.6f}")


def area_boundary_store(*, area: Area, geometry: BoundaryGeometry) -> None:
    """Store an already checked geometry (no audit, no counter: callers do both once)."""
    area.boundary = geometry_to_geojson(geometry)
    _centre_inside(area, geometry)
    area.save(update_fields=["boundary", "latitude", "longitude"])


@transaction.atomic
def area_boundary_set(
    *,
    area: Area,
    boundary: dict[str, Any] | None,
    by: User | None,
    source: str = "map",
    request: HttpRequest | None = None,
) -> list[str]:
    """Validate and save an area's boundary (None removes it). Raises ValidationError with the
    reasons; returns warnings (e.g. areas inside it that now reach beyond it)."""
    given, area = area, Area.objects.select_for_update(of=("self",)).select_related("parent").get(pk=area.pk)
    if boundary is None:
        area.boundary = None
        area.save(update_fields=["boundary"])
        warnings: list[str] = []
        detail: dict[str, Any] = {"source": source, "removed": True}
    else:
        check = BoundaryChecker().check(area=area, data=boundary)
        if check.errors:
            raise ValidationError(check.errors)
        assert check.geometry is not None
        area_boundary_store(area=area, geometry=check.geometry)
        warnings = check.warnings
        detail = {"source": source, "area_m2": round(area_m2(check.geometry))}
    boundaries_changed()
    audit_record(actor=by, action="governance.area.boundary_set", obj=area, request=request, detail=detail)
    given.boundary, given.latitude, given.longitude = area.boundary, area.latitude, area.longitude
    return warnings
