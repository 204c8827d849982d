"""Reads that are more than one line: the plan view, a grid's card, lists."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, FilteredRelation, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.masking import mask_phone
from core.models import Area, Membership, Role
from governance.models import (
    VISIT_DUE_DAYS,
    Building,
    CareTag,
    Household,
    Resident,
    Visit,
    shown_name,
    visit_state_of,
)
from governance.reports.models import Report

VISIT_DUE_WINDOW = datetime.timedelta(days=VISIT_DUE_DAYS)


@dataclass
class PlanCell:
    household_id: int
    label: str
    room_number: str
    status: str
    tags: list[CareTag] = field(default_factory=list)
    url: str = ""


@dataclass
class PlanSegment:
    """One unit's part of a floor row: its rooms, or a filler ("shop", "none") spanning `width` columns."""

    kind: str
    width: int
    cells: list[PlanCell] = field(default_factory=list)


@dataclass
class PlanFloor:
    label: int
    units: list[PlanSegment]


@dataclass
class Plan:
    building: Building
    unit_widths: list[int]
    floors: list[PlanFloor]
    conflicts: list[PlanCell]
    legend: list[CareTag]
    counts: dict[str, int]


def active_care_tags() -> list[CareTag]:
    return list(CareTag.objects.filter(is_active=True))


def building_plan(building: Building) -> Plan:
    """Floors top to bottom × units × rooms, in two queries whatever the building's size."""
    layout = building.layout
    rows = (
        Household.objects.filter(building=building)
        .annotate(current=FilteredRelation("residents", condition=Q(residents__moved_out_on__isnull=True)))
        .values_list("pk", "unit", "floor", "room", "label", "status", "outside_model", "current__care_tags")
        .order_by("pk")
    )
    legend = active_care_tags()
    tags_by_id = {t.pk: t for t in legend}
    cells: dict[tuple[int, int, int], PlanCell] = {}
    conflicts: dict[int, PlanCell] = {}
    # One reverse() for the building, not one per room: a 33-floor tower has hundreds of cells.
    url_pattern = reverse("governance:household_detail", args=[0]).replace("/0/", "/{}/")
    counts: dict[str, int] = defaultdict(int)
    for pk, unit, floor, room, label, status, outside, tag_id in rows:
        key = (unit, floor, room)
        cell = cells.get(key)
        if cell is None:
            cell = PlanCell(pk, label, f"{floor}{room:02d}", status, url=url_pattern.format(pk))
            cells[key] = cell
            counts[status] += 1
            if outside:
                conflicts[pk] = cell
        tag = tags_by_id.get(tag_id)
        if tag is not None and tag not in cell.tags:
            cell.tags.append(tag)
    shapes = [layout.shape(u) for u in range(1, layout.unit_count + 1)]
    shop_labels = set(layout.shop_floor_labels())
    unit_floors = {u: set(layout.floor_labels(s.floor_count)) for u, s in enumerate(shapes, 1)}
    floors: list[PlanFloor] = []
    for floor_label in reversed(layout.all_floor_labels()):
        units: list[PlanSegment] = []
        for unit, shape in enumerate(shapes, 1):
            width = shape.households_per_floor
            if floor_label not in unit_floors[unit]:
                units.append(PlanSegment("none", width))
            elif floor_label in shop_labels:
                units.append(PlanSegment("shop", width))
            else:
                row = [cells.get((unit, floor_label, r)) for r in range(1, width + 1)]
                units.append(PlanSegment("cells", width, [c for c in row if c is not None]))
        floors.append(PlanFloor(floor_label, units))
    return Plan(
        building=building,
        unit_widths=[s.households_per_floor for s in shapes],
        floors=floors,
        conflicts=list(conflicts.values()),
        legend=[t for t in legend if any(t in c.tags for c in cells.values())],
        counts=dict(counts),
    )


@dataclass
class ResidentRow:
    """One line of a grid's resident list: only what the list shows, already masked."""

    pk: int
    name: str
    url: str
    household_label: str
    household_url: str
    visit: str
    masked_phone: str
    tags: list[str]


RESIDENT_PAGE_SIZE = 50


def grid_resident_page(*, grid: Area, number: str | int | None, total: int, today: datetime.date) -> Page:
    """A page of the grid's current residents as `ResidentRow`s, in two queries (rows, care tags).

    The rows are read as columns, never as whole residents: the ID number is not shown, so it is never
    read nor decrypted here (a list that decrypted it, and built a model per row, cost twice the page).
    `total` is the grid card's count of current residents (the paginator would count them again)."""
    rows = (
        Resident.objects.current()
        .filter(grid=grid)
        .order_by("household__label", "pk")
        .values_list("pk", "name", "birth_year", "phone", "next_visit_due", "household_id", "household__label")
    )
    paginator = Paginator(rows, RESIDENT_PAGE_SIZE)
    paginator.count = total  # a cached_property: the card counted the same residents already
    page = paginator.get_page(number)
    resident_ids = [r[0] for r in page.object_list]
    tags: dict[int, list[str]] = defaultdict(list)
    tag_rows = (
        Resident.care_tags.through.objects.filter(resident_id__in=resident_ids, caretag__is_active=True)
        .order_by("caretag__sort_order", "caretag_id")
        .values_list("resident_id", "caretag__name")
    )
    for resident_id, tag_name in tag_rows:
        tags[resident_id].append(tag_name)
    # Links built from one reverse() each, not two per row (a page of 50 rows spent a third of its time there).
    resident_url = reverse("governance:resident_detail", args=[0]).replace("/0/", "/{}/")
    household_url = reverse("governance:household_detail", args=[0]).replace("/0/", "/{}/")
    page.object_list = [
        ResidentRow(
            pk=pk,
            name=shown_name(name, birth_year=birth_year, today=today),
            url=resident_url.format(pk),
            household_label=label or "",
            household_url=household_url.format(household_id) if household_id else "",
            visit=visit_state_of(next_due, today),
            masked_phone=mask_phone(phone),
            tags=tags.get(pk, []),
        )
        for pk, name, birth_year, phone, next_due, household_id, label in page.object_list
    ]
    return page


@dataclass
class GridCard:
    grid: Area
    buildings: list[Building]
    households: int
    by_status: dict[str, int]
    residents: int
    tagged: int
    due: int
    overdue: int
    workers: list[Membership]


def grid_card(grid: Area, *, today: datetime.date | None = None) -> GridCard:
    today = today or timezone.localdate()
    buildings = list(grid.buildings.annotate(n=Count("households")).order_by("address_key", "pk"))
    status_rows = (
        Household.objects.filter(building__grid=grid).values("status").annotate(n=Count("pk")).order_by("status")
    )
    by_status = {r["status"]: r["n"] for r in status_rows}
    # One pass over the grid's current residents (index resident_grid_current) for all four counts.
    plans = (
        Resident.objects.current()
        .filter(grid=grid)
        .aggregate(
            residents=Count("pk"),
            overdue=Count("pk", filter=Q(next_visit_due__lt=today)),
            due=Count("pk", filter=Q(next_visit_due__gte=today, next_visit_due__lt=today + VISIT_DUE_WINDOW)),
            tagged=Count("pk", filter=Q(next_visit_due__isnull=False)),
        )
    )
    workers = list(Membership.objects.filter(role=Role.GRID_WORKER, area=grid).select_related("user").order_by("pk"))
    return GridCard(
        grid=grid,
        buildings=buildings,
        households=sum(by_status.values()),
        by_status=by_status,
        residents=plans["residents"],
        tagged=plans["tagged"],
        due=plans["due"],
        overdue=plans["overdue"],
        workers=workers,
    )


# --- Visits -------------------------------------------------------------------------------------
# "Due" means due this week (VISIT_DUE_DAYS, as Resident.visit_state); "overdue" means the date passed.
# Every read below filters on the residents' kept plan through the partial index resident_visit_due,
# so it costs the same with one year of visits or ten.


@dataclass
class VisitCounts:
    overdue: int = 0
    due: int = 0
    planned: int = 0

    def add(self, overdue: int, due: int, planned: int) -> None:
        self.overdue += overdue
        self.due += due
        self.planned += planned

    @classmethod
    def total(cls, counts: Iterable[VisitCounts]) -> VisitCounts:
        result = cls()
        for c in counts:
            result.add(c.overdue, c.due, c.planned)
        return result


def _planned_residents() -> QuerySet[Resident]:
    # Both conditions of the partial index, spelled out so that the database can use it.
    return Resident.objects.filter(moved_out_on__isnull=True, next_visit_due__isnull=False)


def _count_columns(today: datetime.date) -> dict:
    return {
        "overdue": Count("pk", filter=Q(next_visit_due__lt=today)),
        "due": Count("pk", filter=Q(next_visit_due__gte=today, next_visit_due__lt=today + VISIT_DUE_WINDOW)),
        "planned": Count("pk"),
    }


def visit_counts_by_grid(*, grid_ids: set[int] | list[int], today: datetime.date) -> dict[int, VisitCounts]:
    """Overdue, due this week and planned residents per grid, in one grouped query."""
    rows = (
        _planned_residents()
        .filter(grid_id__in=list(grid_ids))
        .values("grid_id")
        .annotate(**_count_columns(today))
        .order_by()
    )
    return {r["grid_id"]: VisitCounts(r["overdue"], r["due"], r["planned"]) for r in rows}


def visit_counts_for_areas(areas: list[Area], *, today: datetime.date) -> dict[int, VisitCounts]:
    """The same counts rolled up to each of `areas` (towns, communities, grids …) in one query.

    Grouped by grid in the database (a city has hundreds of grids, not millions), then added up to
    the areas by their paths, so areas at any level and irregular trees come out right.
    """
    result = {a.pk: VisitCounts() for a in areas}
    if not areas:
        return result
    condition = Q()
    for area in areas:
        condition |= Q(grid__path__startswith=area.path)
    rows = _planned_residents().filter(condition).values("grid__path").annotate(**_count_columns(today)).order_by()
    for row in rows:
        for area in areas:
            if row["grid__path"].startswith(area.path):
                result[area.pk].add(row["overdue"], row["due"], row["planned"])
    return result


@dataclass
class AreaVisitRow:
    area: Area
    counts: VisitCounts


def area_visit_rows(areas: list[Area], *, today: datetime.date) -> list[AreaVisitRow]:
    """Rows for the staff's overdue lists, in the tree's order: never sorted by a count, so that a
    list of grids cannot read as a league table of the people who keep them."""
    counts = visit_counts_for_areas(areas, today=today)
    return [AreaVisitRow(a, counts[a.pk]) for a in sorted(areas, key=lambda a: a.path)]


def residents_to_visit(grid_ids: list[int], *, today: datetime.date, overdue_only: bool = False) -> QuerySet[Resident]:
    """Residents of these grids overdue or due within the week, most overdue first."""
    qs = _planned_residents().filter(grid_id__in=grid_ids)
    qs = qs.filter(next_visit_due__lt=today if overdue_only else today + VISIT_DUE_WINDOW)
    return (
        qs.select_related("household__building", "grid")
        .prefetch_related(Prefetch("care_tags", queryset=CareTag.objects.filter(is_active=True)))
        .order_by("next_visit_due", "pk")
    )


def resident_visit_history(resident: Resident, *, limit: int = 20) -> list[Visit]:
    """The resident's latest visits, each with `raised_report_id`: the problem report raised from it."""
    visits = list(resident.visits.select_related("visitor").order_by("-visited_on", "-pk")[:limit])
    raisable = [v.pk for v in visits if v.needs_action]
    reports = dict(Report.objects.filter(visit_id__in=raisable).values_list("visit_id", "pk")) if raisable else {}
    for v in visits:
        v.raised_report_id = reports.get(v.pk)
    return visits


def household_visits(household: Household, *, limit: int = 20) -> list[Visit]:
    """The latest visits to the household's current residents: what a resident reads on 我的住户
    (the record held about them), newest first, through the visit_resident_date index."""
    current = household.residents.current().values("pk")
    return list(
        Visit.objects.filter(resident__in=current)
        .select_related("resident", "visitor")
        .order_by("-visited_on", "-pk")[:limit]
    )
