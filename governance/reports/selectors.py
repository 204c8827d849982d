"""Reads for the report pages, the queues and the performance review."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import Area, Department, User
from governance.reports.access import can_see_reporter, report_buildings_for, reports_visible_to
from governance.reports.models import Report, ReportEvent, ReviewRollup
from governance.reports.services.rollups import period_starts

S = Report.Status


def reporter_label(user: User, report: Report) -> str:
    from django.utils.translation import gettext as _

    if not can_see_reporter(user, report):
        return _("Anonymous")
    return report.reporter.get_full_name()


def forum_topic_url(user: User, report: Report) -> str | None:
    """The forum question a report came from, if this person may read it."""
    if not report.forum_topic_id:
        return None
    from django.http import Http404

    from forum.access import access_topic_by_id
    from forum.selectors import topic_url

    try:
        return topic_url(access_topic_by_id(user, report.forum_topic_id))
    except Http404:
        return None


def timeline(report: Report) -> list[ReportEvent]:
    return list(report.events.select_related("actor", "department").order_by("seq"))


def my_reports(user: User) -> QuerySet[Report]:
    return (
        reports_visible_to(user)
        .filter(Q(reporter=user) | Q(followers__user=user))
        .distinct()
        .select_related("category", "department")
    )


def area_reports(user: User, paths: list[str]) -> QuerySet[Report]:
    condition = Q()
    for p in paths:
        condition |= Q(area_path__startswith=p)
    return (
        Report.objects.filter(condition).select_related("category", "department", "grid")
        if paths
        else Report.objects.none()
    )


def department_queue(department_ids: list[int], tab: str) -> QuerySet[Report]:
    qs = Report.objects.filter(department_id__in=department_ids).select_related("category", "department", "grid")
    if tab == "new":
        return qs.filter(status=S.DISPATCHED).order_by("-priority", "deadline")
    if tab == "handling":
        return qs.filter(status=S.SIGNED).order_by("deadline")
    if tab == "overdue":
        return qs.filter(status__in=(S.DISPATCHED, S.SIGNED), assignment__escalated_at__isnull=False).order_by(
            "deadline"
        )
    return qs.filter(status__in=(S.RESOLVED, S.CLOSED)).order_by("-updated_at")


def centre_queue(tab: str) -> QuerySet[Report]:
    qs = Report.objects.select_related("category", "department", "grid")
    if tab == "returned":
        return qs.filter(status=S.RETURNED).order_by("updated_at")
    if tab == "extensions":
        return qs.filter(status=S.SIGNED, pending_extension_hours__isnull=False).order_by("updated_at")
    if tab == "overdue":
        return qs.filter(status__in=(S.DISPATCHED, S.SIGNED), assignment__escalated_at__isnull=False).order_by(
            "deadline"
        )
    return qs.filter(status=S.PENDING).order_by("created_at")


def centre_counts() -> dict[str, int]:
    return {tab: centre_queue(tab).count() for tab in ("pending", "returned", "extensions", "overdue")}


# --- performance review -------------------------------------------------------------------------


@dataclass
class ReviewRow:
    name: str
    received: int
    signed_on_time: int
    resolved: int
    resolved_on_time: int
    returned: int
    extended: int
    overdue: int
    handling_seconds: int
    rated: int
    satisfied: int
    department_id: int = 0
    area_id: int = 0

    @property
    def base(self) -> int:
        return self.received - self.returned

    @staticmethod
    def _pct(num: int, den: int) -> float | None:
        return round(100 * num / den, 1) if den else None

    @property
    def resolution_rate(self) -> float | None:
        return self._pct(self.resolved, self.base)

    @property
    def on_time_rate(self) -> float | None:
        return self._pct(self.resolved_on_time, self.base)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._pct(self.satisfied, self.rated)

    @property
    def average_hours(self) -> float | None:
        return round(self.handling_seconds / self.resolved / 3600, 1) if self.resolved else None


def current_period_start(period: str, today: dt.date | None = None) -> dt.date:
    moment = (
        timezone.now()
        if today is None
        else dt.datetime.combine(today, dt.time(12), tzinfo=timezone.get_current_timezone())
    )
    return dict(period_starts(moment))[period]


def review_rows(
    *,
    period: str,
    period_start: dt.date,
    dimension: str,
    departments: list[Department] | None = None,
    areas: list[Area] | None = None,
) -> list[ReviewRow]:
    """One row per department (or area) from the rollups: a single indexed query, whatever the volume."""
    rollups = ReviewRollup.objects.filter(period=period, period_start=period_start)
    if dimension == "department":
        found = {
            r.department_id_key: r
            for r in rollups.filter(area_id_key=0, department_id_key__in=[d.pk for d in departments or []])
        }
        named = [(d.name, d.pk, 0) for d in departments or []]
    else:
        found = {
            r.area_id_key: r for r in rollups.filter(department_id_key=0, area_id_key__in=[a.pk for a in areas or []])
        }
        named = [(a.name, 0, a.pk) for a in areas or []]
    rows = []
    for name, dept_id, area_id in named:
        r = found.get(dept_id or area_id)
        figures = {f: getattr(r, f) if r else 0 for f in ReviewRollup.FIGURES}
        rows.append(ReviewRow(name=name, department_id=dept_id, area_id=area_id, **figures))
    return rows


def review_total(rows: list[ReviewRow], name: str) -> ReviewRow:
    figures = {f: sum(getattr(r, f) for r in rows) for f in ReviewRollup.FIGURES}
    return ReviewRow(name=name, **figures)


def _shift(period: str, start: dt.date, steps: int) -> dt.date:
    months = {"month": 1, "quarter": 3, "year": 12}[period] * steps
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def previous_start(period: str, start: dt.date) -> dt.date:
    return _shift(period, start, -1)


def next_start(period: str, start: dt.date) -> dt.date:
    return _shift(period, start, 1)


def reporter_home(user: User, report: Report):
    """The home an anonymous reporter picked, for those who may know who reported (not the departments)."""
    if not report.anonymous or not report.household_id or not can_see_reporter(user, report):
        return None
    return report.household


def report_buildings(user, *, q: str = ""):
    """The buildings a reporter may pick (access.report_buildings_for), by grid and address."""
    qs = report_buildings_for(user).select_related("grid")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return qs.order_by("grid__path", "address_key", "id")


def place_json(building) -> dict:
    return {
        "id": building.pk,
        "name": building.name,
        "address": building.address,
        "grid": building.grid.name,
        "latitude": str(building.latitude) if building.latitude is not None else "",
        "longitude": str(building.longitude) if building.longitude is not None else "",
    }
