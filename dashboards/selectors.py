"""Reading the figures: from the rollups (what pages use) or live from the records (what the tests
and the benchmark compare them with). Both return the same shape, `Figures`."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards.models import Grain, Rollup, RollupRun, Tree
from dashboards.registry import Dashboard, Metric
from dashboards.sources.common import as_date
from dashboards.trees import TREE_MODELS, TreeIndex

MAX_MONTHS = 120


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    @property
    def months(self) -> list[datetime.date]:
        out, day = [], self.start.replace(day=1)
        while day <= self.end:
            out.append(day)
            day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return out

    @property
    def years(self) -> list[int]:
        return list(range(self.start.year, self.end.year + 1))

    @property
    def label(self) -> str:
        first, last = self.start.strftime("%Y-%m"), self.end.strftime("%Y-%m")
        return first if first == last else f"{first} — {last}"

    def query(self) -> str:
        return f"from={self.start:%Y-%m}&to={self.end:%Y-%m}"


def _month(value: str | None) -> datetime.date | None:
    try:
        year, month = (int(p) for p in str(value or "").split("-")[:2])
        return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        return None


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def parse_period(params, *, today: datetime.date | None = None, default_months: int = 12) -> Period:
    """`from`/`to` as YYYY-MM (inclusive); by default the last `default_months` months up to this one."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    end = _month(params.get("to")) or this_month
    start = _month(params.get("from"))
    if start is None:
        back = end.year * 12 + end.month - 1 - (default_months - 1)
        start = datetime.date(back // 12, back % 12 + 1, 1)
    if start > end:
        start, end = end, start
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        start = datetime.date(end.year - MAX_MONTHS // 12, end.month, 1)
    return Period(start=start, end=month_end(end))


@dataclass
class MetricFigures:
    total: float = 0.0
    month: dict[datetime.date, float] = field(default_factory=lambda: defaultdict(float))
    child: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    key: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def as_plain(self, digits: int = 6) -> dict:
        """Rounded and without zeros, for comparing two computations."""

        def clean(d):
            return {k: round(v, digits) for k, v in sorted(d.items()) if round(v, digits)}

        return {
            "total": round(self.total, digits),
            "month": clean(self.month),
            "child": clean(self.child),
            "key": clean(self.key),
        }


Figures = dict[str, MetricFigures]


def _derive(dashboard: Dashboard, figures: Figures) -> Figures:
    for metric in dashboard.metrics:
        if not metric.parts:
            continue
        out = MetricFigures()
        for part in metric.parts:
            f = figures[part]
            out.total += f.total
            for attr in ("month", "child", "key"):
                for k, v in getattr(f, attr).items():
                    getattr(out, attr)[k] += v
        figures[metric.key] = out
    return figures


def _last_day(metric: Metric, period: Period, today: datetime.date) -> datetime.date:
    return min(period.end, today - datetime.timedelta(days=1)) if metric.ended_only else period.end


def figures_from_rollups(dashboard: Dashboard, node, period: Period) -> Figures:
    """Two queries on the rollups: the node's own rows by month and key, its children's totals."""
    today = timezone.localdate()
    figures: Figures = {m.key: MetricFigures() for m in dashboard.stored_metrics}
    condition = Q()
    for m in dashboard.stored_metrics:
        if m.stock:
            condition |= Q(metric=m.key, grain=Grain.MONTH)
        elif m.ended_only:  # day rows: each sits on the last day of its period
            condition |= Q(metric=m.key, grain=Grain.DAY, day__gte=period.start, day__lte=_last_day(m, period, today))
        else:
            condition |= Q(metric=m.key, grain=Grain.MONTH, day__gte=period.start, day__lte=period.end)
    base = Rollup.objects.filter(condition, tree=dashboard.tree)
    own = base.filter(node_id=node.pk).values_list("metric", "day", "key", "value")
    for metric, day, key, value in own:
        f = figures[metric]
        f.total += value
        f.month[as_date(day).replace(day=1)] += value
        f.key[key] += value
    children = base.filter(parent_node_id=node.pk).values_list("metric", "node_id").annotate(value=Sum("value"))
    for metric, child, value in children:
        figures[metric].child[child] += value
    return _finish(dashboard, node, period, figures, live=False)


def _finish(dashboard: Dashboard, node, period: Period, figures: Figures, *, live: bool) -> Figures:
    figures = _derive(dashboard, figures)
    if dashboard.derive is not None:
        figures = dashboard.derive(dashboard=dashboard, node=node, period=period, figures=figures, live=live)
    return figures


def figures_live(dashboard: Dashboard, node, period: Period, *, index: TreeIndex | None = None) -> Figures:
    """The same figures computed with GROUP BY over the records (for tests and the benchmark)."""
    index = index or TreeIndex.load(dashboard.tree)
    today = timezone.localdate()
    figures: Figures = {m.key: MetricFigures() for m in dashboard.stored_metrics}
    for metric in dashboard.stored_metrics:
        f = figures[metric.key]
        for leaf, month, key, value in metric.rows(
            under=node.path if dashboard.tree != Tree.DEPARTMENT else None,
            start=None if metric.stock else period.start,
            end=None if metric.stock else _last_day(metric, period, today),
            by_month=True,
        ):
            if not value or node.pk not in index.ancestors(leaf):
                continue
            f.total += value
            f.month[as_date(month).replace(day=1)] += value
            f.key[key or ""] += value
            child = index.child_towards(node.pk, leaf)
            if child is not None:
                f.child[child] += value
    return _finish(dashboard, node, period, figures, live=True)


# --- What a page shows --------------------------------------------------------------------------


def children_of(dashboard: Dashboard, node) -> list:
    model = TREE_MODELS[dashboard.tree]
    if dashboard.tree == Tree.DEPARTMENT:
        return []
    return list(model.objects.filter(parent_id=node.pk).order_by("path").only("pk", "name", "path"))


def ancestors_of(dashboard: Dashboard, node, roots: list) -> list:
    """The breadcrumb from the person's own root down to the node (never above their scope)."""
    if dashboard.tree == Tree.DEPARTMENT:
        return [node]
    model = TREE_MODELS[dashboard.tree]
    root_paths = [r.path for r in roots]
    chain = list(model.objects.filter(path__in=_prefixes(node.path)).order_by("depth"))
    return [n for n in chain if any(n.path.startswith(p) for p in root_paths)]


def _prefixes(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def value_of(metric: Metric, value: float):
    scaled = value * metric.scale
    return round(scaled, metric.decimals) if metric.decimals else round(scaled)


def last_reconciled(dashboard: Dashboard) -> datetime.datetime | None:
    return (
        RollupRun.objects.filter(dashboard=dashboard.key, finished_at__isnull=False)
        .values_list("finished_at", flat=True)
        .first()
    )


@dataclass
class ChartView:
    key: str
    title: str
    kind: str
    by: str
    categories: list[str]
    series: list[dict]  # {"name", "data": [...]} in the metric's display unit
    links: list[str]  # drill-down URL per category ("" where there is none)
    columns: list[str]
    rows: list[list]
    metrics: list[Metric]
    hidden: int = 0  # children left out for having nothing in the period
    stacked: bool = False
    # Per row, per series: the list of the records behind that figure ("" where there is none).
    cell_links: list[list[str]] = field(default_factory=list)
    # Per metric of the chart with records of its own: (label, the list behind the chart's figure).
    record_links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def table(self) -> list[tuple[str, object, list[tuple[object, str]]]]:
        """(drill-down link, first cell, [(figure, link to its records)]) per row."""
        cells = self.cell_links or [[""] * (len(r) - 1) for r in self.rows]
        return [
            (link, row[0], list(zip(row[1:], row_links, strict=True)))
            for link, row, row_links in zip(self.links, self.rows, cells, strict=True)
        ]

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "by": self.by,
            "categories": self.categories,
            "series": self.series,
            "links": self.links,
            "stacked": self.stacked,
        }


def _month_period(month: datetime.date) -> Period:
    return Period(start=month, end=month_end(month))


def chart_views(
    dashboard: Dashboard, node, period: Period, figures: Figures, *, child_url, records_url=None
) -> list[ChartView]:
    """The charts with their tables. `records_url(metric, node, period, key)`, when given, links
    each figure of a metric that has records of its own (Metric.records_of) to the list behind it."""
    children = children_of(dashboard, node)
    views = []
    for chart in dashboard.charts:
        metrics = [dashboard.metric(k) for k in chart.metrics]
        links: list[str] = []
        hidden = 0
        # Where each category's figure comes from: (node, period, key) for its records.
        sources: list[tuple] = []
        if chart.by == "month":
            cats = [m.strftime("%Y-%m") for m in period.months]
            sources = [(node, _month_period(mo), "") for mo in period.months]
            series = [
                {"name": str(m.label), "data": [value_of(m, figures[m.key].month.get(mo, 0.0)) for mo in period.months]}
                for m in metrics
            ]
        elif chart.by == "year":
            cats = [str(y) for y in period.years]
            series = []
            for m in metrics:
                per_year: dict[int, float] = defaultdict(float)
                for month, value in figures[m.key].month.items():
                    per_year[month.year] += value
                series.append({"name": str(m.label), "data": [value_of(m, per_year.get(y, 0.0)) for y in period.years]})
        elif chart.by == "child":
            # Organisations with nothing in the period are left out (the note under the table says how many).
            shown = [c for c in children if any(value_of(m, figures[m.key].child.get(c.pk, 0.0)) for m in metrics)]
            hidden = len(children) - len(shown)
            cats = [c.name for c in shown]
            links = [child_url(c) for c in shown]
            sources = [(c, period, "") for c in shown]
            series = [
                {"name": str(m.label), "data": [value_of(m, figures[m.key].child.get(c.pk, 0.0)) for c in shown]}
                for m in metrics
            ]
        elif chart.by == "key":
            first = metrics[0]
            names = first.key_labels() if first.key_labels else {}
            order = list(names)
            keys = sorted(
                {k for m in metrics for k, v in figures[m.key].key.items() if v},
                key=lambda k: (order.index(k) if k in order else len(order), k),
            )
            if chart.ranked:
                keys.sort(key=lambda k: -figures[first.key].key.get(k, 0.0))
            cats = [names.get(k, k or _("Not recorded")) for k in keys]
            sources = [(node, period, k) for k in keys]
            series = [
                {"name": str(m.label), "data": [value_of(m, figures[m.key].key.get(k, 0.0)) for k in keys]}
                for m in metrics
            ]
        else:  # parts
            m = metrics[0]
            parts = [dashboard.metric(p) for p in m.parts]
            cats = [str(p.label) for p in parts]
            series = [{"name": str(m.label), "data": [value_of(p, figures[p.key].total) for p in parts]}]
        columns = [str(_("Period") if chart.by in ("month", "year") else _("Item"))] + [s["name"] for s in series]
        rows = [[cat, *(s["data"][i] for s in series)] for i, cat in enumerate(cats)]
        cell_links: list[list[str]] = []
        record_links: list[tuple[str, str]] = []
        if records_url is not None and any(m.records_of for m in metrics):
            if sources and len(series) == len(metrics):
                cell_links = [
                    [
                        records_url(m, *sources[i]) if m.records_of and s["data"][i] else ""
                        for m, s in zip(metrics, series, strict=True)
                    ]
                    for i in range(len(cats))
                ]
            record_links = [(str(m.label), records_url(m, node, period, "")) for m in metrics if m.records_of]
        views.append(
            ChartView(
                key=chart.key,
                title=str(chart.title),
                kind=chart.kind,
                by=chart.by,
                categories=cats,
                series=series,
                links=links or [""] * len(cats),
                columns=columns,
                rows=rows,
                metrics=metrics,
                hidden=hidden,
                stacked=chart.stacked,
                cell_links=cell_links,
                record_links=record_links,
            )
        )
    return views
