"""Grassroots governance (基层治理): problem reports by category, area, department and month; 办结率,
按时办结率, 满意率 and overdue.

Two kinds of figures, each kept by its owner:
- reports filed and open now, by category, on the area tree (the report's grid) and for the
  department handling them: our rollups, one source per report, refreshed when governance.reports
  announces a change;
- the performance review (assignments dispatched, resolved, on time, returned, rated, satisfied,
  overdue): governance.reports' own ReviewRollup, per month, per area and per department, with its
  definitions (办结率 = resolved / (received − returned), 按时办结率 = resolved on time / (received −
  returned), 满意率 = satisfied and basically satisfied / rated). We read those rows; we do not keep
  a copy. The live computation uses that app's own `live_figures` over the assignments.
"""

from __future__ import annotations

from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from core.models import Area, Department
from dashboards.models import Tree
from dashboards.registry import STOCK_DAY, Chart, Dashboard, Metric, register
from dashboards.sources import grids
from governance.reports.models import Category, Report, ReviewRollup

RECEIVED = "reports.received"
OPEN = "reports.open"
RECEIVED_DEPT = "reports.received_department"
OPEN_DEPT = "reports.open_department"

ASSIGNED = "reports.assigned"
RESOLVED = "reports.resolved"
ON_TIME = "reports.resolved_on_time"
RETURNED = "reports.returned"
OVERDUE = "reports.overdue"
RATED = "reports.rated"
SATISFIED = "reports.satisfied"
COMPLETION = "reports.completion_rate"
ON_TIME_RATE = "reports.on_time_rate"
SATISFACTION = "reports.satisfaction_rate"

REVIEW_FIELDS = {
    ASSIGNED: "received",
    RESOLVED: "resolved",
    ON_TIME: "resolved_on_time",
    RETURNED: "returned",
    OVERDUE: "overdue",
    RATED: "rated",
    SATISFIED: "satisfied",
}
PREFIX = "reports.report"
DEPT_PREFIX = "reports.department"


def _categories() -> dict[str, str]:
    return {str(pk): name for pk, name in Category.objects.order_by("sort_order", "pk").values_list("pk", "name")}


def _departments() -> dict[str, str]:
    return {str(pk): name for pk, name in Department.objects.order_by("code").values_list("pk", "name")}


def _reports(only, under, node_field):
    qs = Report.objects.exclude(status=Report.Status.MERGED).filter(**{f"{node_field}__isnull": False})
    if only is not None:
        qs = qs.filter(pk=only)
    if under and node_field == "grid":
        qs = qs.filter(area_path__startswith=under)
    return qs


def _received(node_field):
    def rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
        qs = _reports(only, under, node_field).annotate(day=TruncDate("created_at"))
        if start:
            qs = qs.filter(day__gte=start)
        if end:
            qs = qs.filter(day__lte=end)
        if not source:
            fields = [f"{node_field}_id", "day", "category_id"]
            out = qs.values(*fields).annotate(n=Count("pk")).values_list(*fields, "n")
            return [(node, day, str(category), float(n)) for node, day, category, n in out]
        fields = ["pk", f"{node_field}_id", "day", "category_id"]
        return [(pk, node, day, str(category), 1.0) for pk, node, day, category in qs.values_list(*fields)]

    return rows


def _open(node_field):
    def rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
        qs = _reports(only, under, node_field).filter(status__in=Report.OPEN_STATUSES)
        fields = ["pk", f"{node_field}_id", "category_id"]
        if not source:
            out = qs.values(*fields[1:]).annotate(n=Count("pk")).values_list(*fields[1:], "n")
            return [(node, STOCK_DAY, str(category), float(n)) for node, category, n in out]
        return [(pk, node, STOCK_DAY, str(category), 1.0) for pk, node, category in qs.values_list(*fields)]

    return rows


# --- The performance review, read from governance.reports' rollups ---------------------------------


def _review_rows(*, area_ids=None, department_ids=None, months, group):
    """ReviewRollup month rows summed by `group` ("period_start", "area_id_key", "department_id_key")."""
    qs = ReviewRollup.objects.filter(period=ReviewRollup.Period.MONTH, period_start__in=months)
    if area_ids is not None:
        qs = qs.filter(area_id_key__in=area_ids)
    if department_ids is not None:
        qs = qs.filter(department_id_key__in=department_ids)
    return qs.values(group).annotate(**{f: Sum(f) for f in REVIEW_FIELDS.values()}).order_by()


def _months_with_assignments(months) -> set:
    """Those of `months` within the span of the assignments' dispatch times: the others sum to zero, so
    the live computation need not ask (a decade of empty months cost a test thousands of queries)."""
    from governance.reports.models import Assignment
    from governance.reports.services.rollups import period_bounds

    span = Assignment.objects.aggregate(first=Min("dispatched_at"), last=Max("dispatched_at"))
    if span["first"] is None:
        return set()
    out = set()
    for month in months:
        start, end = period_bounds(ReviewRollup.Period.MONTH, month)
        if start <= span["last"] and end > span["first"]:
            out.add(month)
    return out


def _live_review(*, area=None, department_id=None, months):
    """The same sums computed from the assignments (governance.reports.services.rollups.live_figures)."""
    from governance.reports.services.rollups import live_figures

    busy = _months_with_assignments(months)
    out = {}
    for month in months:
        out[month] = (
            live_figures(
                period=ReviewRollup.Period.MONTH,
                period_start=month,
                area_id=area.pk if area is not None else 0,
                department_id=department_id or 0,
            )
            if month in busy
            else dict.fromkeys(ReviewRollup.FIGURES, 0)
        )
    return out


def _rate(num: float, den: float) -> float:
    return round(100 * num / den, 1) if den else 0.0


def derive_review(*, dashboard, node, period, figures, live=False):
    """The review's figures for the node and the period: by month, by child area, and (for the
    city) by department; then the three rates from them."""
    from dashboards.selectors import MetricFigures

    months = period.months
    review = {k: MetricFigures() for k in REVIEW_FIELDS}

    def add(where: str, key, row: dict) -> None:
        for metric, field in REVIEW_FIELDS.items():
            value = float(row.get(field) or 0)
            f = review[metric]
            if where == "month":
                f.month[key] += value
                f.total += value
            else:
                getattr(f, where)[key] += value

    if dashboard.tree == Tree.DEPARTMENT:
        by_month = (
            _live_review(department_id=node.pk, months=months)
            if live
            else {
                r["period_start"]: r
                for r in _review_rows(department_ids=[node.pk], months=months, group="period_start")
            }
        )
        for month, row in by_month.items():
            add("month", month, row)
    else:
        children = list(Area.objects.filter(parent_id=node.pk).only("pk", "path"))
        if live:
            for month, row in _live_review(area=node, months=months).items():
                add("month", month, row)
            for child in children:
                for row in _live_review(area=child, months=months).values():
                    add("child", child.pk, row)
        else:
            for row in _review_rows(area_ids=[node.pk], months=months, group="period_start"):
                add("month", row["period_start"], row)
            for row in _review_rows(area_ids=[c.pk for c in children], months=months, group="area_id_key"):
                add("child", row["area_id_key"], row)
        if node.parent_id is None:  # the centre: every department, for their ranking
            if live:
                from governance.reports.services.rollups import live_by_department

                for month in sorted(_months_with_assignments(months)):
                    for dept, row in live_by_department(period=ReviewRollup.Period.MONTH, period_start=month).items():
                        add("key", str(dept), row)
            else:
                for row in _review_rows(department_ids=None, months=months, group="department_id_key"):
                    if row["department_id_key"]:
                        add("key", str(row["department_id_key"]), row)
    figures.update(review)
    base = {k: review[k] for k in REVIEW_FIELDS}
    for metric, num, den in (
        (COMPLETION, RESOLVED, None),
        (ON_TIME_RATE, ON_TIME, None),
        (SATISFACTION, SATISFIED, RATED),
    ):
        rate = MetricFigures()

        def denominator(get, den=den):
            return get(RATED) if den == RATED else get(ASSIGNED) - get(RETURNED)

        rate.total = _rate(base[num].total, denominator(lambda m: base[m].total))
        for attr in ("month", "child", "key"):
            keys = set().union(*(getattr(base[m], attr).keys() for m in base))
            for k in keys:
                value = _rate(
                    getattr(base[num], attr).get(k, 0.0),
                    denominator(lambda m, k=k, a=attr: getattr(base[m], a).get(k, 0.0)),
                )
                if value:
                    getattr(rate, attr)[k] = value
        figures[metric] = rate
    return figures


def derive_governance(*, dashboard, node, period, figures, live=False):
    """The review's figures, then the grids' visits due and overdue."""
    figures = derive_review(dashboard=dashboard, node=node, period=period, figures=figures, live=live)
    return grids.derive_visits(dashboard=dashboard, node=node, period=period, figures=figures, live=live)


def report_records(*, user, node, start, end) -> list:
    from django.urls import reverse

    from governance.reports.access import reports_visible_to

    qs = reports_visible_to(user).filter(created_at__date__gte=start, created_at__date__lte=end)
    qs = qs.filter(area_path__startswith=node.path) if isinstance(node, Area) else qs.filter(department_id=node.pk)
    return [
        {
            "title": f"{r.number} {r.category.name}",
            "detail": r.get_status_display(),
            "url": reverse("governance:reports:detail", args=[r.pk]),
            "date": r.created_at,
        }
        for r in qs.select_related("category").order_by("-created_at", "-pk")[:500]
    ]


def _review_metrics(tree: str) -> tuple[Metric, ...]:
    review_records = _("Assignments to departments, from governance's performance-review rollups.")
    labels = _departments if tree == Tree.AREA else None
    return tuple(
        Metric(m.key, m.tree, m.label, m.counts, m.records, unit=m.unit, decimals=m.decimals, key_labels=labels)
        for m in _review_metric_list(tree, review_records)
    )


def _review_metric_list(tree: str, review_records) -> tuple[Metric, ...]:
    return (
        Metric(
            ASSIGNED,
            tree,
            _("Dispatched"),
            _("Assignments dispatched to a department, by the month of dispatch."),
            review_records,
            unit=_("reports"),
        ),
        Metric(
            RESOLVED,
            tree,
            _("Resolved"),
            _("Assignments whose result the department submitted (办结)."),
            review_records,
            unit=_("reports"),
        ),
        Metric(
            ON_TIME,
            tree,
            _("Resolved on time"),
            _("Resolved before the deadline (an approved extension included)."),
            review_records,
            unit=_("reports"),
        ),
        Metric(
            RETURNED,
            tree,
            _("Returned"),
            _("Sent back to the centre: not the department's, so outside the rates."),
            review_records,
            unit=_("reports"),
        ),
        Metric(
            OVERDUE,
            tree,
            _("Overdue"),
            _("Assignments whose deadline passed before the result."),
            review_records,
            unit=_("reports"),
        ),
        Metric(
            RATED,
            tree,
            _("Rated"),
            _("Results the reporter rated (“not rated” never counts)."),
            review_records,
            unit=_("reports"),
        ),
        Metric(
            SATISFIED,
            tree,
            _("Satisfied"),
            _("Rated satisfied or basically satisfied."),
            review_records,
            unit=_("reports"),
        ),
        Metric(
            COMPLETION,
            tree,
            _("Completion rate (办结率)"),
            _("Resolved ÷ (dispatched − returned)."),
            review_records,
            decimals=1,
            unit="%",
        ),
        Metric(
            ON_TIME_RATE,
            tree,
            _("On-time rate (按时办结率)"),
            _("Resolved on time ÷ (dispatched − returned)."),
            review_records,
            decimals=1,
            unit="%",
        ),
        Metric(
            SATISFACTION,
            tree,
            _("Satisfaction (满意率)"),
            _("(Satisfied + basically satisfied) ÷ rated."),
            review_records,
            decimals=1,
            unit="%",
        ),
    )


_FILED = _("Problem reports filed by residents, grid workers and riders (merged duplicates are not counted).")

DASHBOARD = register(
    Dashboard(
        key="governance",
        order=10,
        title=_("Grassroots governance"),
        description=_(
            "Problem reports by category, area and month; 办结率, 按时办结率 and 满意率; departments; "
            "visits, households and care tags by area."
        ),
        tree=Tree.AREA,
        metrics=(
            Metric(
                RECEIVED,
                Tree.AREA,
                _("Reports filed"),
                _("Reports filed, by the day they were filed, under the report's grid."),
                _FILED,
                rows=_received("grid"),
                unit=_("reports"),
                key_labels=_categories,
                source_prefix=PREFIX,
            ),
            Metric(
                OPEN,
                Tree.AREA,
                _("Open now"),
                _("Reports not yet resolved now: awaiting dispatch, signing or handling, or returned."),
                _FILED,
                rows=_open("grid"),
                unit=_("reports"),
                key_labels=_categories,
                stock=True,
                source_prefix=PREFIX,
            ),
            *_review_metrics(Tree.AREA),
            *grids.METRICS,
        ),
        charts=(
            Chart("filed_trend", _("Reports filed by month"), "line", (RECEIVED,), "month"),
            Chart(
                "review_trend",
                _("Dispatched, resolved and overdue by month"),
                "column",
                (ASSIGNED, RESOLVED, OVERDUE),
                "month",
            ),
            Chart(
                "rates_trend",
                _("Completion, on-time and satisfaction rates by month"),
                "line",
                (COMPLETION, ON_TIME_RATE, SATISFACTION),
                "month",
            ),
            Chart("filed_by_area", _("Reports filed and open by area"), "bar", (RECEIVED, OPEN), "child"),
            Chart("rates_by_area", _("Rates by area"), "bar", (COMPLETION, SATISFACTION), "child"),
            Chart("by_category", _("Reports filed by category"), "pie", (RECEIVED,), "key"),
            Chart("open_by_category", _("Open reports by category"), "pie", (OPEN,), "key"),
            Chart(
                "departments",
                _("Departments: completion, on-time and satisfaction rates"),
                "bar",
                (COMPLETION, ON_TIME_RATE, SATISFACTION),
                "key",
                ranked=True,
            ),
            *grids.CHARTS,
        ),
        derive=derive_governance,
        records=report_records,
    )
)

DEPARTMENT_DASHBOARD = register(
    Dashboard(
        key="department",
        order=15,
        title=_("Department's reports"),
        description=_("The reports dispatched to your department: by month and category, 办结率, 按时办结率, 满意率."),
        tree=Tree.DEPARTMENT,
        metrics=(
            Metric(
                RECEIVED_DEPT,
                Tree.DEPARTMENT,
                _("Reports handled"),
                _("Reports now with the department, by the day they were filed."),
                _FILED,
                rows=_received("department"),
                unit=_("reports"),
                key_labels=_categories,
                source_prefix=DEPT_PREFIX,
            ),
            Metric(
                OPEN_DEPT,
                Tree.DEPARTMENT,
                _("Open now"),
                _("The department's reports not yet resolved now."),
                _FILED,
                rows=_open("department"),
                unit=_("reports"),
                key_labels=_categories,
                stock=True,
                source_prefix=DEPT_PREFIX,
            ),
            *_review_metrics(Tree.DEPARTMENT),
        ),
        charts=(
            Chart(
                "review_trend",
                _("Dispatched, resolved and overdue by month"),
                "column",
                (ASSIGNED, RESOLVED, OVERDUE),
                "month",
            ),
            Chart(
                "rates_trend",
                _("Completion, on-time and satisfaction rates by month"),
                "line",
                (COMPLETION, ON_TIME_RATE, SATISFACTION),
                "month",
            ),
            Chart("by_category", _("Reports by category"), "pie", (RECEIVED_DEPT,), "key"),
            Chart("open_by_category", _("Open reports by category"), "pie", (OPEN_DEPT,), "key"),
        ),
        derive=derive_review,
        records=report_records,
    )
)
