"""What a boundary must satisfy among the other areas: inside its parent, no overlap with its
siblings; children outside it are reported. Used by the map editor and the GeoJSON import alike.

Tolerances are in metres: boundaries drawn on a map or exported from another system disagree by
centimetres along shared edges, which is not an overlap anyone means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from core.models import Area
from governance.geo.geometry import (
    BoundaryError,
    BoundaryGeometry,
    area_m2,
    geometry_from_geojson,
    metres_to_degrees,
)

EDGE_TOLERANCE_M = 1.0  # a boundary may stick out of its parent by this much
OVERLAP_TOLERANCE_M2 = 1.0  # overlaps with a sibling up to this are slivers, not overlaps


@dataclass
class BoundaryCheck:
    area: Area
    geometry: BoundaryGeometry | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.geometry is not None


class BoundaryChecker:
    """Checks boundaries against the others, reading each area's stored boundary once.

    `pending` holds boundaries decided earlier in the same run (an import checks features against
    the file's own other features, not only against what is stored)."""

    def __init__(self) -> None:
        self._stored: dict[int, BoundaryGeometry | None] = {}
        self.pending: dict[int, BoundaryGeometry] = {}
        self._children: dict[int | None, list[tuple[int, str]]] = {}

    def _load(self, areas: list[tuple[int, Any]]) -> None:
        for pk, boundary in areas:
            if pk in self._stored:
                continue
            try:
                self._stored[pk] = geometry_from_geojson(boundary) if boundary else None
            except BoundaryError:
                self._stored[pk] = None

    def geometry_of(self, area_id: int) -> BoundaryGeometry | None:
        if area_id in self.pending:
            return self.pending[area_id]
        if area_id not in self._stored:
            self._load(list(Area.objects.filter(pk=area_id).values_list("pk", "boundary")))
        return self._stored.get(area_id)

    def children_of(self, parent_id: int | None) -> list[tuple[int, str]]:
        if parent_id not in self._children:
            rows = list(Area.objects.filter(parent_id=parent_id).values_list("pk", "name", "boundary"))
            self._load([(pk, b) for pk, _, b in rows])
            self._children[parent_id] = [(pk, name) for pk, name, _ in rows]
        return self._children[parent_id]

    def check(self, *, area: Area, data: Any) -> BoundaryCheck:
        try:
            geom = geometry_from_geojson(data)
        except BoundaryError as exc:
            return BoundaryCheck(area=area, errors=[str(exc)])
        return self.check_geometry(area=area, geom=geom)

    def check_geometry(self, *, area: Area, geom: BoundaryGeometry) -> BoundaryCheck:
        result = BoundaryCheck(area=area, geometry=geom)
        tolerance = metres_to_degrees(EDGE_TOLERANCE_M)

        if area.parent_id is not None:
            parent = self.geometry_of(area.parent_id)
            if parent is not None and not geom.within(parent.buffer(tolerance)):
                outside = area_m2(geom.difference(parent))
                result.errors.append(
                    _("It lies outside its parent area %(parent)s (by about %(m2)s square metres).")
                    % {"parent": area.parent.name, "m2": f"{outside:,.0f}"}
                )

        for sibling_id, sibling_name in self.children_of(area.parent_id):
            if sibling_id == area.pk:
                continue
            other = self.geometry_of(sibling_id)
            if other is None or not geom.intersects(other):
                continue
            shared = geom.intersection(other)
            # A long shared edge a few centimetres off overlaps by many m² yet by nothing anyone
            # means: count an overlap only where it is wider than the edge tolerance.
            if shared.buffer(-tolerance / 2).is_empty:
                continue
            overlap = area_m2(shared)
            if overlap > OVERLAP_TOLERANCE_M2:
                result.errors.append(
                    _("It overlaps %(other)s by about %(m2)s square metres.")
                    % {"other": sibling_name, "m2": f"{overlap:,.0f}"}
                )

        grown = geom.buffer(tolerance)
        outside_children = [
            name
            for child_id, name in self.children_of(area.pk)
            if (child := self.geometry_of(child_id)) is not None and not child.within(grown)
        ]
        if outside_children:
            result.warnings.append(
                _("Areas inside it now reach beyond it: %(names)s.") % {"names": "、".join(outside_children[:10])}
            )
        return result
