"""Import area boundaries from a GeoJSON FeatureCollection, all or nothing (or skipping the
features with errors when the person asks for it), with a report per feature.

Each feature names its area by `properties.code` (the area's statistical code). Features are
checked against the state the whole file would leave behind: a file that redraws a community's
grids is checked grid against grid as drawn in the file, not against the outlines it replaces.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.models import Area, User
from core.services.audit import audit_record
from governance.geo.crs import WGS84, convert_geojson
from governance.geo.geometry import BoundaryError, BoundaryGeometry, area_m2, geometry_from_geojson
from governance.geo.index import boundaries_changed
from governance.geo.services import area_boundary_store
from governance.geo.validation import BoundaryChecker

MAX_IMPORT_BYTES = 20 * 1024 * 1024


@dataclass
class FeatureReport:
    number: int  # 1-based position in the file
    code: str = ""
    name: str = ""
    area: Area | None = None
    geometry: BoundaryGeometry | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    features: list[FeatureReport] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    applied: bool = False
    dry_run: bool = False

    @property
    def saved(self) -> int:
        return sum(1 for f in self.features if f.saved)

    @property
    def failed(self) -> int:
        return sum(1 for f in self.features if f.errors)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.failed


def _load(data: bytes | str | dict) -> tuple[list[Any], list[str]]:
    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_IMPORT_BYTES:
            return [], [_("The file is larger than %(mb)d MB.") % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}]
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [_("The file is not UTF-8 text.")]
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            return [], [_("The file is not valid JSON (line %(line)d).") % {"line": getattr(exc, "lineno", 0)}]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        return [], [_("The file must be a GeoJSON FeatureCollection.")]
    if not data["features"]:
        return [], [_("The file holds no features.")]
    return data["features"], []


def boundaries_import(
    *,
    data: bytes | str | dict,
    by: User | None,
    may_edit: Callable[[Area], bool] | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    crs: str = WGS84,
    request: HttpRequest | None = None,
) -> ImportReport:
    """Check every feature, then save all of them (or, with `skip_invalid`, the valid ones).
    `may_edit` limits which areas the person may change; others are reported as unknown."""
    report = ImportReport(dry_run=dry_run)
    features, report.file_errors = _load(data)
    if report.file_errors:
        return report

    codes: list[str] = []
    for number, feature in enumerate(features, 1):
        item = FeatureReport(number=number)
        report.features.append(item)
        properties = feature.get("properties") if isinstance(feature, dict) else None
        code = (properties or {}).get("code") if isinstance(properties, dict) else None
        item.code = str(code).strip() if code not in (None, "") else ""
        if not item.code:
            item.errors.append(_("The feature has no properties.code naming its area."))
        codes.append(item.code)

    areas = {a.code: a for a in Area.objects.filter(code__in=[c for c in codes if c]).select_related("parent")}
    seen: set[str] = set()
    for item, feature in zip(report.features, features, strict=True):
        if not item.code:
            continue
        area = areas.get(item.code)
        if area is None or (may_edit is not None and not may_edit(area)):
            # One message for "no such area" and "not yours", as everywhere.
            item.errors.append(_("No area with code %(code)s that you may change.") % {"code": item.code})
            continue
        item.area, item.name = area, area.name
        if item.code in seen:
            item.errors.append(_("The file names this area more than once."))
            continue
        seen.add(item.code)
        try:
            geometry = convert_geojson(feature.get("geometry"), to_display=False, crs=crs)
            item.geometry = geometry_from_geojson(geometry)
        except BoundaryError as exc:
            item.errors.append(str(exc))
        except (TypeError, ValueError, IndexError, AttributeError):
            item.errors.append(_("The boundary must be a GeoJSON Polygon or MultiPolygon."))

    # Check against the state the file leaves behind; features that fail drop out of that state,
    # so check again until no further feature fails (each round removes at least one).
    candidates = [f for f in report.features if f.ok and f.area is not None and f.geometry is not None]
    candidates.sort(key=lambda f: f.area.depth)
    while True:
        checker = BoundaryChecker()
        checker.pending = {f.area.pk: f.geometry for f in candidates}
        failed = []
        for item in candidates:
            check = checker.check_geometry(area=item.area, geom=item.geometry)
            item.warnings = check.warnings
            if check.errors:
                item.errors = check.errors
                failed.append(item)
        if not failed:
            break
        candidates = [f for f in candidates if f not in failed]
        if not skip_invalid:
            break

    if dry_run or (report.failed and not skip_invalid) or not candidates:
        return report
    with transaction.atomic():
        for item in candidates:
            area_boundary_store(area=item.area, geometry=item.geometry)
            item.saved = True
            audit_record(
                actor=by,
                action="governance.area.boundary_set",
                obj=item.area,
                request=request,
                detail={"source": "import", "area_m2": round(area_m2(item.geometry))},
            )
        boundaries_changed()
    report.applied = True
    return report
