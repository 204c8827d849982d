"""The performance review's rollups (办结率/满意率), kept current as assignments change.

Each assignment contributes a vector of figures to the rollup rows of its department and of every
area above its grid, for the month, quarter and year of its dispatch. A change applies the
difference between the vector before and after, inside the same transaction as the change. The
definitions (also shown on the review page):

- received: assignments dispatched to the department in the period
- signed on time: signed before the signing deadline (the rule's "sign within")
- resolved (办结): the department submitted its result (a reopened one counts again only when resolved again)
- resolved on time: resolved before the deadline (including an approved extension)
- returned: sent back to the centre (not the department's, so not in the rates' base)
- extended: an extension was approved · overdue: the deadline passed before the result
- average handling time: dispatch → result, over resolved assignments
- 办结率 = resolved / (received − returned); 按时办结率 = resolved on time / (received − returned)
- 满意率 = (satisfied + basically satisfied) / rated; "not rated" never counts
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Subquery, Sum
from django.utils import timezone

from core.models import Area, Generation
from core.services.trees import AREA_TREE_GENERATION
from core.signals import SubtreeMove
from governance.reports.models import SATISFIED_RATINGS, Assignment, Rating, ReviewRollup

Figures = dict[str, int]
Key = tuple[str, dt.date, int, int]  # period, period_start, department id (0), area id (0)
RATED = (Rating.SATISFIED, Rating.BASIC, Rating.UNSATISFIED)


def contribution(a: Assignment) -> Figures:
    resolved = a.resolved_at is not None
    return {
        "received": 1,
        "signed_on_time": int(a.signed_at is not None and a.signed_at <= a.sign_deadline),
        "resolved": int(resolved),
        "resolved_on_time": int(resolved and a.resolved_at <= a.deadline),
        "returned": int(a.returned_at is not None),
        "extended": int(a.extended),
        "overdue": int(a.overdue),
        "handling_seconds": int((a.resolved_at - a.dispatched_at).total_seconds()) if resolved else 0,
        "rated": int(a.rating in RATED),
        "satisfied": int(a.rating in SATISFIED_RATINGS),
    }


def period_starts(moment: dt.datetime) -> list[tuple[str, dt.date]]:
    day = timezone.localtime(moment).date()
    quarter_month = 3 * ((day.month - 1) // 3) + 1
    return [
        (ReviewRollup.Period.MONTH, day.replace(day=1)),
        (ReviewRollup.Period.QUARTER, dt.date(day.year, quarter_month, 1)),
        (ReviewRollup.Period.YEAR, dt.date(day.year, 1, 1)),
    ]


def period_bounds(period: str, start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    month_index = start.month - 1 + months
    end = dt.date(start.year + month_index // 12, month_index % 12 + 1, 1)
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end, dt.time.min, tzinfo=tz),
    )


# (the area tree's change counter it was built at, path → ids): a move of any area starts it afresh.
_ancestors_cache: tuple[int, dict[str, list[int]]] = (0, {})


def area_ancestor_ids(grid_id: int | None) -> list[int]:
    """The grid and every area above it. Kept per process by path for one version of the tree."""
    global _ancestors_cache
    if grid_id is None:
        return []
    version = Subquery(Generation.objects.filter(name=AREA_TREE_GENERATION).values("value")[:1])
    path, tree_version = (
        Area.objects.filter(pk=grid_id).annotate(tree_version=version).values_list("path", "tree_version").get()
    )
    built_at, cache = _ancestors_cache
    if built_at != (tree_version or 0):
        cache = {}
        _ancestors_cache = (tree_version or 0, cache)
    if path not in cache:
        parts = [p for p in path.split("/") if p]
        prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        cache[path] = list(Area.objects.filter(path__in=prefixes).values_list("id", flat=True))
    return cache[path]


def keys_for(a: Assignment, ancestors: list[int] | None = None) -> list[Key]:
    if ancestors is None:
        ancestors = area_ancestor_ids(a.grid_id)
    keys = []
    for period, start in period_starts(a.dispatched_at):
        keys.append((period, start, a.department_id, 0))
        keys.extend((period, start, 0, area_id) for area_id in ancestors)
    return keys


def _all_ancestors() -> dict[int, list[int]]:
    """Every area's id with the ids of itself and all areas above it, from one query."""
    rows = list(Area.objects.values_list("id", "path"))
    id_by_path = {path: pk for pk, path in rows}
    out = {}
    for pk, path in rows:
        parts = [p for p in path.split("/") if p]
        prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        out[pk] = [id_by_path[p] for p in prefixes if p in id_by_path]
    return out


def _key_q(keys: Iterable[Key]) -> Q:
    condition = Q()
    for period, start, dept, area in keys:
        condition |= Q(period=period, period_start=start, department_id_key=dept, area_id_key=area)
    return condition


def _apply(keys: Iterable[Key], delta: Figures) -> None:
    """Add `delta` to the rows of `keys`: one UPDATE for the rows that exist, then create the others.

    Rows are never deleted outside a rebuild, so a row seen here is updated by the UPDATE; a row
    another transaction creates meanwhile makes our INSERT fail, and we add to it instead."""
    changes = {k: v for k, v in delta.items() if v}
    keys = list(keys)
    if not changes or not keys:
        return
    increments = {k: F(k) + v for k, v in changes.items()}
    existing = set(
        ReviewRollup.objects.filter(_key_q(keys)).values_list(
            "period", "period_start", "department_id_key", "area_id_key"
        )
    )
    if existing:
        ReviewRollup.objects.filter(_key_q(existing)).update(**increments)
    for period, start, dept, area in keys:
        if (period, start, dept, area) in existing:
            continue
        lookup = {"period": period, "period_start": start, "department_id_key": dept, "area_id_key": area}
        try:
            # A savepoint, so that losing the race to create the row keeps the outer transaction usable.
            with transaction.atomic():
                ReviewRollup.objects.create(**lookup, **changes)
        except IntegrityError:
            ReviewRollup.objects.filter(**lookup).update(**increments)


def rollup_track(a: Assignment, before: Figures | None) -> None:
    """Apply an assignment's change: `before` is its contribution before (None for a new one)."""
    after = contribution(a)
    delta = {k: after[k] - (before or {}).get(k, 0) for k in after}
    _apply(keys_for(a), delta)


def rollups_follow_move(*, move: SubtreeMove) -> None:
    """Carry what the moved subtree's assignments add from the areas it left to the areas it joined.

    Runs in the move's transaction, after the paths were rewritten (core.services.trees)."""
    left = [pk for pk in move.old_ancestor_ids if pk not in move.new_ancestor_ids]
    joined = [pk for pk in move.new_ancestor_ids if pk not in move.old_ancestor_ids]
    if not left and not joined:
        return
    totals: dict[tuple[str, dt.date], Figures] = defaultdict(lambda: dict.fromkeys(ReviewRollup.FIGURES, 0))
    for a in Assignment.objects.filter(grid__path__startswith=move.new_path).iterator(chunk_size=2000):
        figures = contribution(a)
        for period_start in period_starts(a.dispatched_at):
            row = totals[period_start]
            for k, v in figures.items():
                row[k] += v
    for (period, start), figures in totals.items():
        _apply([(period, start, 0, pk) for pk in left], {k: -v for k, v in figures.items()})
        _apply([(period, start, 0, pk) for pk in joined], figures)


def rollups_rebuild() -> int:
    """Recompute every rollup row from the assignments (the result equals the live computation)."""
    totals: dict[Key, Figures] = defaultdict(lambda: dict.fromkeys(ReviewRollup.FIGURES, 0))
    ancestors = _all_ancestors()
    for a in Assignment.objects.all().iterator(chunk_size=5000):
        figures = contribution(a)
        for key in keys_for(a, ancestors.get(a.grid_id, []) if a.grid_id else []):
            row = totals[key]
            for k, v in figures.items():
                row[k] += v
    with transaction.atomic():
        ReviewRollup.objects.all().delete()
        ReviewRollup.objects.bulk_create(
            [
                ReviewRollup(period=p, period_start=s, department_id_key=d, area_id_key=ar, **figs)
                for (p, s, d, ar), figs in totals.items()
            ],
            batch_size=2000,
        )
    return len(totals)


def live_figures(*, period: str, period_start: dt.date, department_id: int = 0, area_id: int = 0) -> Figures:
    """The same figures computed straight from the assignments table (the baseline and the check)."""
    start, end = period_bounds(period, period_start)
    qs = Assignment.objects.filter(dispatched_at__gte=start, dispatched_at__lt=end)
    if department_id:
        qs = qs.filter(department_id=department_id)
    if area_id:
        path = Area.objects.values_list("path", flat=True).get(pk=area_id)
        qs = qs.filter(grid__path__startswith=path)
    return live_aggregate(qs)


def _aggregations() -> dict:
    resolved = Q(resolved_at__isnull=False)
    return {
        "received": Count("id"),
        "signed_on_time": Count("id", filter=Q(signed_at__isnull=False, signed_at__lte=F("sign_deadline"))),
        "resolved": Count("id", filter=resolved),
        "resolved_on_time": Count("id", filter=resolved & Q(resolved_at__lte=F("deadline"))),
        "returned": Count("id", filter=Q(returned_at__isnull=False)),
        "extended": Count("id", filter=Q(extended=True)),
        "overdue": Count("id", filter=Q(overdue=True)),
        "handling": Sum(
            ExpressionWrapper(F("resolved_at") - F("dispatched_at"), output_field=DurationField()), filter=resolved
        ),
        "rated": Count("id", filter=Q(rating__in=RATED)),
        "satisfied": Count("id", filter=Q(rating__in=SATISFIED_RATINGS)),
    }


def _normalise(row: dict) -> Figures:
    handling = row.pop("handling", None)
    row["handling_seconds"] = int(handling.total_seconds()) if handling else 0
    return {k: int(row.get(k) or 0) for k in ReviewRollup.FIGURES}


def live_aggregate(qs) -> Figures:
    return _normalise(qs.aggregate(**_aggregations()))


def live_by_department(*, period: str, period_start: dt.date) -> dict[int, Figures]:
    """Every department's figures for one period in one grouped query over the assignments."""
    start, end = period_bounds(period, period_start)
    rows = (
        Assignment.objects.filter(dispatched_at__gte=start, dispatched_at__lt=end)
        .values("department_id")
        .annotate(**_aggregations())
        .order_by()
    )
    return {r.pop("department_id"): _normalise(r) for r in rows}
