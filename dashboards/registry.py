"""What each dashboard shows: its metrics (what is counted, from which records, on which tree) and
its charts. A metric's `rows` is the one GROUP BY over the records that both the rebuild (by day,
the whole tree) and the live comparison (by month, under one node) use.

Contract of `rows(*, under, start, end, by_month, where)`: an iterable of
(leaf node id, day — or the first of the month with `by_month` —, key, value), grouped in SQL;
`under` is a tree path to stay inside, `start`/`end` inclusive local dates, `where` a Q on the
metric's base records (the rebuild of one live event uses it).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.functional import Promise

Row = tuple[int, datetime.date, str, float]
STOCK_DAY = datetime.date(2000, 1, 1)
RowsFunc = Callable[..., Iterable[Row]]


@dataclass(frozen=True)
class Metric:
    key: str
    tree: str
    label: str | Promise
    # Provenance: what it counts and from which records, in a sentence each.
    counts: str | Promise
    records: str | Promise
    rows: RowsFunc | None = None
    # A derived metric is the sum of others (participant-times = headcounts + personal viewers).
    parts: tuple[str, ...] = ()
    scale: float = 1.0
    decimals: int = 0
    unit: str | Promise = ""
    # Keys' display names (course topics, report categories), when the metric is split by key.
    key_labels: Callable[[], dict[str, str]] | None = None
    # A count of what there is now (members by status …): kept on STOCK_DAY, read whatever the period.
    stock: bool = False
    # Kept by per-record differences under this prefix (else the dashboard's, if any).
    source_prefix: str = ""
    # Only days before today count (periods of organisational life that are over).
    ended_only: bool = False
    # The records behind this metric's figure that a person may see, for the list a figure clicks
    # through to: records_of(user=, node=, period=, key=) → (queryset, row) with row(record) →
    # {"title", "date", "detail", "url"}; the queryset's count is the figure (within the person's
    # scope). Lists that name residents are audited by the view.
    records_of: Callable[..., tuple] | None = None


@dataclass(frozen=True)
class Chart:
    key: str
    title: str | Promise
    kind: str  # "line" | "bar" (horizontal, for organisations) | "column" (stacked, for years) | "pie"
    metrics: tuple[str, ...]
    by: str  # "month" | "year" | "child" | "key" | "parts"
    # Bars stacked (parts of one total), and categories ordered by the first series, highest first
    # (only for departments' rates: no ranking of people, ever).
    stacked: bool = False
    ranked: bool = False


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: str | Promise
    description: str | Promise
    tree: str
    metrics: tuple[Metric, ...]
    charts: tuple[Chart, ...]
    # Set for dashboards kept by per-record differences (RollupSource "<prefix>:<id>"): their
    # metrics' rows also take `source=True` (rows lead with the record's id) and `only=<id>`.
    source_prefix: str = ""
    # The records behind a figure that `user` may see: [(date, title, detail, url)], newest first.
    records: Callable[..., list] | None = None
    order: int = 0
    # The period shown when none is asked for (yearly figures want several years).
    default_months: int = 12
    # Figures worked out at read time (what was due; another app's own rollups): called with
    # dashboard, node, period, figures and live (True when computing from the records) → figures.
    derive: Callable[..., dict] | None = None
    # Area dashboards whose figures stop at a level (villages' economy): deeper roots see nothing.
    deepest_level: int | None = None

    def metric(self, key: str) -> Metric:
        for m in self.metrics:
            if m.key == key:
                return m
        raise KeyError(key)

    @property
    def stored_metrics(self) -> list[Metric]:
        return [m for m in self.metrics if m.rows is not None]

    def prefix_of(self, metric: Metric) -> str:
        return metric.source_prefix or self.source_prefix

    @property
    def prefixes(self) -> set[str]:
        return {self.prefix_of(m) for m in self.stored_metrics} - {""}


_dashboards: dict[str, Dashboard] = {}


def register(dashboard: Dashboard) -> Dashboard:
    _dashboards[dashboard.key] = dashboard
    return dashboard


def all_dashboards() -> list[Dashboard]:
    _load()
    return sorted(_dashboards.values(), key=lambda d: d.order)


def get(key: str) -> Dashboard | None:
    _load()
    return _dashboards.get(key)


def _load() -> None:
    # Sources register themselves on import; each is a module per part of the platform.
    from django.apps import apps

    from dashboards.sources import learning, live, party, villages  # noqa: F401

    if apps.is_installed("governance.reports"):
        from dashboards.sources import reports  # noqa: F401


def where_q(where: Q | None) -> Q:
    return where if where is not None else Q()
