"""Submitting a report: once per idempotency key, located in its grid, dispatched by rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from core.models import User
from governance.models import Building, Household
from governance.reports.models import Category, Report, ReporterKind, ReportEvent, ReportFollower, Source
from governance.reports.services.locate import bbox, distance_m, grid_for_point
from governance.reports.services.photos import ProcessedPhoto, photos_attach
from governance.reports.services.workflow import TransitionRefusedError, now, report_auto_dispatch, report_merge
from governance.reports.signals import announce_report_changed

SAME_PROBLEM_METRES = 50
SAME_PROBLEM_DAYS = 7


@dataclass(frozen=True)
class Submitted:
    report: Report
    created: bool


def report_by_key(*, reporter: User, idempotency_key: str) -> Report | None:
    if not idempotency_key:
        return None
    return Report.objects.filter(reporter=reporter, idempotency_key=idempotency_key).first()


def report_submit(
    *,
    reporter: User,
    category: Category,
    description: str,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    accuracy_m: int | None = None,
    address: str = "",
    grid=None,
    building: Building | None = None,
    household: Household | None = None,
    reporter_kind: str = ReporterKind.RESIDENT,
    anonymous: bool = False,
    idempotency_key: str = "",
    photos: list[ProcessedPhoto] | None = None,
    same_as: Report | None = None,
    source: str = Source.WEB,
    forum_topic_id: int | None = None,
    visit_id: int | None = None,
) -> Submitted:
    """File a report. A retry with the same key returns the first report untouched (created=False).

    A building (and household) picked from the grid data places it: its grid is the building's, and
    without a point from the phone or the map the building's own point is used.
    """
    existing = report_by_key(reporter=reporter, idempotency_key=idempotency_key)
    if existing is not None:
        return Submitted(existing, False)
    if household is not None:
        building = household.building
    if building is not None:
        grid = building.grid
        if latitude is None and building.latitude is not None:
            latitude, longitude = building.latitude, building.longitude
        if not address.strip():
            # Anonymous towards the departments: the home would name the reporter, so only the
            # building goes into the address they see (the home is kept for those who see the reporter).
            show_home = household is not None and not anonymous
            address = f"{building.address} {household.label}" if show_home else building.address
    if grid is None and latitude is not None and longitude is not None:
        grid = grid_for_point(latitude=float(latitude), longitude=float(longitude))
    at = now()
    try:
        with transaction.atomic():
            report = Report.objects.create(
                category=category,
                description=description.strip(),
                latitude=latitude,
                longitude=longitude,
                accuracy_m=accuracy_m,
                address=address.strip(),
                grid=grid,
                building=building,
                household=household,
                area_path=grid.path if grid is not None else "",
                reporter=reporter,
                reporter_kind=reporter_kind,
                anonymous=anonymous,
                idempotency_key=idempotency_key,
                source=source,
                forum_topic_id=forum_topic_id,
                visit_id=visit_id,
                status=Report.Status.PENDING,
                version=1,
                created_at=at,
                updated_at=at,
            )
            ReportEvent.objects.create(
                report=report,
                seq=1,
                action=ReportEvent.Action.SUBMIT,
                to_status=Report.Status.PENDING,
                actor=reporter,
                created_at=at,
                data={"source": source},
            )
            ReportFollower.objects.create(report=report, user=reporter)
            announce_report_changed(report.pk, Report.Status.PENDING, ReportEvent.Action.SUBMIT)
            if photos:
                photos_attach(report=report, photos=photos, kind="report", by=reporter)
            if same_as is not None:
                report_merge(report=report, into=same_as, by=reporter)
            else:
                report_auto_dispatch(report=report, at=at)
    except IntegrityError:
        # The same key raced us from another request (a double tap on a flaky connection): theirs won.
        existing = report_by_key(reporter=reporter, idempotency_key=idempotency_key)
        if existing is None:
            raise
        return Submitted(existing, False)
    except TransitionRefusedError:
        raise
    report.refresh_from_db()
    return Submitted(report, True)


def reports_nearby(
    *, category: Category, latitude: float, longitude: float, at: dt.datetime | None = None
) -> list[tuple[Report, int]]:
    """Open reports of the category within 50 m reported in the last 7 days, nearest first."""
    at = at or now()
    lat_min, lat_max, lng_min, lng_max = bbox(latitude, longitude, SAME_PROBLEM_METRES)
    candidates = Report.objects.filter(
        category=category,
        status__in=Report.OPEN_STATUSES,
        merged_into__isnull=True,
        created_at__gte=at - dt.timedelta(days=SAME_PROBLEM_DAYS),
        latitude__gte=lat_min,
        latitude__lte=lat_max,
        longitude__gte=lng_min,
        longitude__lte=lng_max,
    ).select_related("category")[:50]
    found = []
    for r in candidates:
        d = distance_m(latitude, longitude, float(r.latitude), float(r.longitude))
        if d <= SAME_PROBLEM_METRES:
            found.append((r, round(d)))
    return sorted(found, key=lambda x: x[1])
