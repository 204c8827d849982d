"""Grids (网格): visits recorded, due and overdue; households by status; residents with care tags —
per area, down the tree city → town → community → grid. Part of the governance dashboard.

Figures per area only, in the tree's order: never per grid worker, never sorted by a count (no
league tables of the people who keep the grids).

Kept in our rollups, two ways:
- visits recorded: a delta per visit (`governance.signals.visit_recorded` → rollup_increment), on
  the visit's day and grid, split by outcome;
- what each grid holds now (households by status, residents with care tags, the residents' next
  visit dates): one source per grid ("grids.grid:<id>"), recomputed from that grid's records when
  `governance.signals.grids_changed` names it — a few grouped queries over one grid.
Due and overdue follow from the kept next-visit dates at read time (rows dated before today are
overdue, the next seven days are due), so the figures move with the calendar without a daily job;
the live comparison is governance's own `visit_counts_for_areas`.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from dashboards.models import Grain, Rollup, Tree
from dashboards.registry import STOCK_DAY, Chart, Metric
from dashboards.sources.common import date_range, period_of
from governance.models import VISIT_DUE_DAYS, CareTag, Household, Resident, Visit

VISITS_DONE = "visits.done"
VISITS_NEXT_DUE = "visits.next_due"
VISITS_OVERDUE = "visits.overdue"
VISITS_DUE = "visits.due_week"
HOUSEHOLDS = "grids.households"
HOUSEHOLDS_VACANT = "grids.households_vacant"
HOUSEHOLDS_OWNER = "grids.households_owner"
HOUSEHOLDS_RENTED = "grids.households_rented"
TAGGED = "grids.residents_tagged"
CARE_TAGS = "grids.care_tags"

PREFIX = "grids.grid"


def _current_residents(under, only):
    qs = Resident.objects.filter(moved_out_on__isnull=True)
    if only is not None:
        qs = qs.filter(grid_id=only)
    if under:
        qs = qs.filter(grid__path__startswith=under)
    return qs


def _grouped(qs, node_field: str, *, day=None, key: str | None = None, count="pk", distinct=False, source=False):
    """Rows (node, day, key, n) — or (grid, node, day, key, n) with `source` — from one GROUP BY."""
    if day is not None:
        qs = qs.annotate(day=day)
    fields = [node_field] + (["day"] if day is not None else []) + ([key] if key else [])
    out = []
    for row in qs.values(*fields).annotate(n=Count(count, distinct=distinct)).values_list(*fields, "n").order_by():
        node, *rest = row
        n = rest.pop()
        when = rest.pop(0) if day is not None else STOCK_DAY
        k = str(rest[0]) if key else ""
        out.append((node, node, when, k, float(n)) if source else (node, when, k, float(n)))
    return out


def visits_done_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    qs = date_range(Visit.objects.all(), "visited_on", start, end, is_datetime=False)
    if under:
        qs = qs.filter(grid__path__startswith=under)
    return _grouped(qs, "grid_id", day=period_of("visited_on", by_month=by_month, is_datetime=False), key="outcome")


def next_due_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    qs = _current_residents(under, only).filter(next_visit_due__isnull=False)
    qs = date_range(qs, "next_visit_due", start, end, is_datetime=False)
    day = period_of("next_visit_due", by_month=by_month, is_datetime=False)
    return _grouped(qs, "grid_id", day=day, source=source)


def _households_rows(status: str):
    def rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
        qs = Household.objects.filter(status=status)
        if only is not None:
            qs = qs.filter(building__grid_id=only)
        if under:
            qs = qs.filter(building__grid__path__startswith=under)
        return _grouped(qs, "building__grid_id", source=source)

    return rows


def tagged_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    qs = _current_residents(under, only).filter(care_tags__isnull=False)
    return _grouped(qs, "grid_id", distinct=True, source=source)


def care_tag_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    qs = Resident.care_tags.through.objects.filter(resident__in=_current_residents(under, only))
    return _grouped(qs, "resident__grid_id", key="caretag_id", source=source)


def _care_tags() -> dict[str, str]:
    return {str(pk): name for pk, name in CareTag.objects.order_by("sort_order", "pk").values_list("pk", "name")}


def _outcomes() -> dict[str, str]:
    return {value: str(label) for value, label in Visit.Outcome.choices}


def derive_visits(*, dashboard, node, period, figures, live=False):
    """Overdue and due this week, now, for the node and each child: from the kept next-visit dates,
    or (live) from governance's own counts over the residents."""
    from core.models import Area
    from dashboards.selectors import MetricFigures

    today = timezone.localdate()
    overdue, due = MetricFigures(), MetricFigures()
    if live:
        from governance.selectors import visit_counts_for_areas

        children = list(Area.objects.filter(parent_id=node.pk).only("pk", "path"))
        counts = visit_counts_for_areas([node, *children], today=today)
        found = [(area_id, c.overdue, c.due) for area_id, c in counts.items()]
    else:
        rows = (
            Rollup.objects.filter(
                Q(node_id=node.pk) | Q(parent_node_id=node.pk),
                metric=VISITS_NEXT_DUE,
                tree=Tree.AREA,
                grain=Grain.DAY,
                day__lt=today + datetime.timedelta(days=VISIT_DUE_DAYS),
            )
            .values("node_id")
            .annotate(overdue=Sum("value", filter=Q(day__lt=today)), due=Sum("value", filter=Q(day__gte=today)))
            .values_list("node_id", "overdue", "due")
            .order_by()
        )
        found = list(rows)
    for area_id, late, soon in found:
        for f, value in ((overdue, late), (due, soon)):
            if not value:
                continue
            if area_id == node.pk:
                f.total = float(value)
            else:
                f.child[area_id] = float(value)
    figures[VISITS_OVERDUE], figures[VISITS_DUE] = overdue, due
    return figures


def visit_records(*, user, node, metric: str, period, key: str = "") -> tuple:
    """The records behind a visit figure that `user` may see: the visits recorded in the period
    (of one outcome, with `key`), or the residents whose visit is overdue or due this week now, or
    whose plan falls due in the period — under `node`, in the grids the person may see (the same
    funnels as governance's lists). Names are masked and nothing else about the resident is
    listed; each row opens the resident's record, where governance checks access and audits."""
    from django.urls import reverse

    from core.masking import mask_name
    from governance.access import grids_visible_to, residents_visible_to

    today = timezone.localdate()
    resident_url = reverse("governance:resident_detail", args=[0]).replace("/0/", "/{}/")
    if metric == VISITS_DONE:
        visits = Visit.objects.filter(
            grid__in=grids_visible_to(user),
            grid__path__startswith=node.path,
            visited_on__gte=period.start,
            visited_on__lte=period.end,
        )
        if key:
            visits = visits.filter(outcome=key)

        def visit_row(v: Visit) -> dict:
            return {
                "title": mask_name(v.resident.name),
                "date": v.visited_on,
                "detail": f"{v.grid.name} · {v.get_outcome_display()}",
                "url": resident_url.format(v.resident_id),
            }

        return visits.select_related("resident", "grid").order_by("-visited_on", "-pk"), visit_row
    residents = residents_visible_to(user).filter(
        moved_out_on__isnull=True, next_visit_due__isnull=False, grid__path__startswith=node.path
    )
    if metric == VISITS_OVERDUE:
        residents = residents.filter(next_visit_due__lt=today)
    elif metric == VISITS_DUE:
        residents = residents.filter(
            next_visit_due__gte=today, next_visit_due__lt=today + datetime.timedelta(days=VISIT_DUE_DAYS)
        )
    else:  # VISITS_NEXT_DUE: plans falling due in the period
        residents = residents.filter(next_visit_due__gte=period.start, next_visit_due__lte=period.end)

    def resident_row(r: Resident) -> dict:
        state = pgettext("visit state", "overdue") if r.next_visit_due < today else pgettext("visit state", "due")
        return {
            "title": mask_name(r.name),
            "date": r.next_visit_due,
            "detail": f"{r.grid.name} · {state}",
            "url": resident_url.format(r.pk),
        }

    return residents.select_related("grid").order_by("next_visit_due", "pk"), resident_row


def register_records(*, user, node, metric: str, period, key: str = "") -> tuple:
    """The records behind the grid register's figures that `user` may see, under `node`, now: the
    households of one status, the residents with a care tag (each once), or each resident's tag
    (one row per resident and tag, as CARE_TAGS counts them; of one tag with `key`). Names masked;
    each row opens the record, where governance checks access and audits."""
    from django.urls import reverse

    from core.masking import mask_name
    from governance.access import buildings_visible_to, residents_visible_to

    resident_url = reverse("governance:resident_detail", args=[0]).replace("/0/", "/{}/")
    statuses = {
        HOUSEHOLDS_VACANT: Household.Status.VACANT,
        HOUSEHOLDS_OWNER: Household.Status.OWNER,
        HOUSEHOLDS_RENTED: Household.Status.RENTED,
    }
    if metric in statuses:
        household_url = reverse("governance:household_detail", args=[0]).replace("/0/", "/{}/")
        homes = Household.objects.filter(
            status=statuses[metric],
            building__in=buildings_visible_to(user),
            building__grid__path__startswith=node.path,
        )

        def home_row(h: Household) -> dict:
            return {
                "title": f"{h.building.address} {h.label}",
                "date": None,
                "detail": f"{h.building.grid.name} · {h.get_status_display()}",
                "url": household_url.format(h.pk),
            }

        return homes.select_related("building__grid").order_by("building__grid__path", "building_id", "pk"), home_row
    current = residents_visible_to(user).filter(moved_out_on__isnull=True, grid__path__startswith=node.path)
    if metric == TAGGED:

        def tagged_row(r: Resident) -> dict:
            return {"title": mask_name(r.name), "date": None, "detail": r.grid.name, "url": resident_url.format(r.pk)}

        tagged = current.filter(pk__in=Resident.care_tags.through.objects.values("resident_id"))
        return tagged.select_related("grid").order_by("grid__path", "pk"), tagged_row
    pairs = Resident.care_tags.through.objects.filter(resident__in=current)
    if key:
        pairs = pairs.filter(caretag_id=key if key.isdigit() else 0)

    def tag_row(t) -> dict:
        return {
            "title": mask_name(t.resident.name),
            "date": None,
            "detail": f"{t.resident.grid.name} · {t.caretag.name}",
            "url": resident_url.format(t.resident_id),
        }

    pairs = pairs.select_related("resident__grid", "caretag").order_by("resident__grid__path", "resident_id", "pk")
    return pairs, tag_row


_VISITS = _("Visits (走访) recorded by grid workers and staff, in the resident's grid at the time.")
_RESIDENTS = _("The grid register: residents living there now, their care tags and visit plans.")
_HOUSEHOLDS = _("The grid register: the households (rooms) of each grid's buildings and their status.")

METRICS = (
    Metric(
        VISITS_DONE,
        Tree.AREA,
        _("Visits recorded"),
        _("Visits, by the day of the visit, under the grid of the resident visited."),
        _VISITS,
        rows=visits_done_rows,
        unit=_("visits"),
        key_labels=_outcomes,
        records_of=lambda **kw: visit_records(metric=VISITS_DONE, **kw),
    ),
    Metric(
        VISITS_NEXT_DUE,
        Tree.AREA,
        _("Visits planned"),
        _("Residents living here whose visit plan falls due, by the date it falls due."),
        _RESIDENTS,
        rows=next_due_rows,
        unit=_("residents"),
        source_prefix=PREFIX,
        records_of=lambda **kw: visit_records(metric=VISITS_NEXT_DUE, **kw),
    ),
    Metric(
        VISITS_OVERDUE,
        Tree.AREA,
        _("Visits overdue"),
        _("Residents living here now whose next visit date has passed (whatever the period)."),
        _RESIDENTS,
        unit=_("residents"),
        records_of=lambda **kw: visit_records(metric=VISITS_OVERDUE, **kw),
    ),
    Metric(
        VISITS_DUE,
        Tree.AREA,
        _("Visits due this week"),
        _("Residents living here now whose next visit falls due today or in the six days after."),
        _RESIDENTS,
        unit=_("residents"),
        records_of=lambda **kw: visit_records(metric=VISITS_DUE, **kw),
    ),
    Metric(
        HOUSEHOLDS,
        Tree.AREA,
        _("Households"),
        _("Households now, by status (whatever the period)."),
        _HOUSEHOLDS,
        parts=(HOUSEHOLDS_VACANT, HOUSEHOLDS_OWNER, HOUSEHOLDS_RENTED),
        unit=_("households"),
    ),
    *(
        Metric(
            key,
            Tree.AREA,
            label,
            _("Households now with this status (whatever the period)."),
            _HOUSEHOLDS,
            rows=_households_rows(status),
            unit=_("households"),
            stock=True,
            source_prefix=PREFIX,
            records_of=lambda key_=key, **kw: register_records(metric=key_, **kw),
        )
        for key, status, label in (
            (HOUSEHOLDS_VACANT, Household.Status.VACANT, _("Vacant (空房)")),
            (HOUSEHOLDS_OWNER, Household.Status.OWNER, _("Owner-occupied (自住)")),
            (HOUSEHOLDS_RENTED, Household.Status.RENTED, _("Rented (出租)")),
        )
    ),
    Metric(
        TAGGED,
        Tree.AREA,
        _("Residents with care tags"),
        _("Residents living here now with at least one care tag, each counted once."),
        _RESIDENTS,
        rows=tagged_rows,
        unit=_("residents"),
        stock=True,
        source_prefix=PREFIX,
        records_of=lambda **kw: register_records(metric=TAGGED, **kw),
    ),
    Metric(
        CARE_TAGS,
        Tree.AREA,
        _("Care tags"),
        _("Residents living here now with each care tag (someone with two tags counts under both)."),
        _RESIDENTS,
        rows=care_tag_rows,
        unit=_("residents"),
        key_labels=_care_tags,
        stock=True,
        source_prefix=PREFIX,
        records_of=lambda **kw: register_records(metric=CARE_TAGS, **kw),
    ),
)

CHARTS = (
    Chart("visits_trend", _("Visits recorded by month"), "column", (VISITS_DONE,), "month"),
    # In the tree's order, never sorted by a count: areas, not the people who keep them.
    Chart(
        "visits_by_area",
        _("Visits overdue and due this week (now), recorded (in the period), by area"),
        "bar",
        (VISITS_OVERDUE, VISITS_DUE, VISITS_DONE),
        "child",
    ),
    Chart("visit_outcomes", _("Visits recorded by outcome"), "pie", (VISITS_DONE,), "key"),
    Chart("households", _("Households by status"), "pie", (HOUSEHOLDS,), "parts"),
    Chart(
        "households_by_area",
        _("Households by status, by area"),
        "bar",
        (HOUSEHOLDS_VACANT, HOUSEHOLDS_OWNER, HOUSEHOLDS_RENTED),
        "child",
        stacked=True,
    ),
    Chart("care_tags", _("Residents by care tag"), "pie", (CARE_TAGS,), "key"),
    Chart("care_by_area", _("Residents with care tags, by area"), "bar", (TAGGED,), "child"),
)
