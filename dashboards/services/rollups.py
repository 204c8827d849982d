"""Writing the rollups: increments from the events that change them, per-record refreshes, rebuilds.

- `rollup_increment`: a change whose size is known (a member learned 42 s more): add it to the node
  and to every ancestor, for one day.
- `rollup_source_refresh`: a record whose contribution is easier to recompute than to diff (a live
  event: checked-in venues, headcounts, viewers): compute what it adds now, subtract what it added
  last time (RollupSource), apply the difference.
- `rollup_rebuild`: recompute a dashboard's rows from the records and correct every row that differs
  (the end of seeding, and the periodic reconcile). It corrects by difference, so an increment
  that commits meanwhile is not lost; one racing the read is corrected by the next run.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.demo.registry import seeding
from dashboards.models import Grain, Rollup, RollupRun, RollupSource
from dashboards.registry import Dashboard
from dashboards.sources.common import as_date
from dashboards.trees import TreeIndex, chains

# (metric, tree, node id, parent node id, grain, day, key)
FactKey = tuple[str, str, int, int, str, datetime.date, str]
EPSILON = 1e-6


def _apply(facts: dict[FactKey, float]) -> int:
    """Add each value to its row, creating rows that are not there yet. Returns rows touched."""
    touched = 0
    now = timezone.now()
    for (metric, tree, node, parent, grain, day, key), delta in sorted(facts.items()):
        if abs(delta) < EPSILON:
            continue
        touched += 1
        lookup = {"metric": metric, "tree": tree, "grain": grain, "node_id": node, "day": day, "key": key}
        if Rollup.objects.filter(**lookup).update(value=F("value") + delta, updated_at=now):
            continue
        try:
            with transaction.atomic():
                Rollup.objects.create(**lookup, parent_node_id=parent, value=delta)
        except IntegrityError:  # someone else created it between our update and insert
            Rollup.objects.filter(**lookup).update(value=F("value") + delta, updated_at=now)
    return touched


def rollup_increment(
    *, metric: str, tree: str, nodes: Iterable[int], day: datetime.date, delta: float, key: str = ""
) -> None:
    """Add `delta` to `metric` on `day` for the nodes and every ancestor (each once, even when two
    nodes share ancestors)."""
    if not delta:
        return
    facts = {
        (metric, tree, node, parent, grain, when, key): float(delta)
        for node, parent in chains(tree, nodes)
        for grain, when in ((Grain.DAY, day), (Grain.MONTH, day.replace(day=1)))
    }
    with transaction.atomic():
        _apply(facts)


def fan_out(tree: str, rows: Iterable[tuple[str, int, datetime.date, str, float]], index: TreeIndex) -> dict:
    """Leaf rows (metric, node, day, key, value) → facts for the nodes and all their ancestors."""
    facts: dict[FactKey, float] = defaultdict(float)
    for metric, leaf, day, key, value in rows:
        if not value:
            continue
        day = as_date(day)
        month = day.replace(day=1)
        for node in index.ancestors(leaf):
            facts[(metric, tree, node, index.parent[node], Grain.DAY, day, key or "")] += float(value)
            facts[(metric, tree, node, index.parent[node], Grain.MONTH, month, key or "")] += float(value)
    return facts


def _encode(facts: dict[FactKey, float]) -> list:
    return [
        [m, t, n, p, g, d.isoformat(), k, v] for (m, t, n, p, g, d, k), v in sorted(facts.items()) if abs(v) >= EPSILON
    ]


def _decode(data: list) -> dict[FactKey, float]:
    return {(m, t, int(n), int(p), g, datetime.date.fromisoformat(d), k): float(v) for m, t, n, p, g, d, k, v in data}


def _diff(new: dict[FactKey, float], old: dict[FactKey, float]) -> dict[FactKey, float]:
    out: dict[FactKey, float] = defaultdict(float)
    for key, value in new.items():
        out[key] += value
    for key, value in old.items():
        out[key] -= value
    return out


def source_facts(
    dashboard: Dashboard, record_id: int, prefix: str, index: TreeIndex | None = None
) -> dict[FactKey, float]:
    """What one record (of the metrics kept under `prefix`) contributes now."""
    rows = []
    for metric in dashboard.stored_metrics:
        if dashboard.prefix_of(metric) != prefix:
            continue
        for _src, node, day, key, value in metric.rows(source=True, only=record_id):
            rows.append((metric.key, node, day, key, value))
    if not rows:
        return {}
    if index is None:
        nodes = {r[1] for r in rows}
        chain = dict(chains(dashboard.tree, nodes))
        index = TreeIndex(dashboard.tree, chain, {}, {})
    return fan_out(dashboard.tree, rows, index)


def rollup_source_refresh(*, dashboard: Dashboard, record_id: int, prefix: str | None = None) -> None:
    """Bring the rollups up to date with one record (e.g. a live event after a check-in)."""
    if seeding():
        # The demo's last step rebuilds every dashboard from the records; refreshing here too, record
        # by record, cost the demo's linking of three years of meetings many minutes.
        return
    prefix = prefix or dashboard.source_prefix
    name = f"{prefix}:{record_id}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                row, _created = RollupSource.objects.select_for_update().get_or_create(source=name)
        except IntegrityError:  # created by a concurrent refresh of the same record
            row = RollupSource.objects.select_for_update().get(source=name)
        # Computed under the lock: a refresh that waited sees the other's committed records too.
        new = source_facts(dashboard, record_id, prefix)
        _apply(_diff(new, _decode(row.facts)))
        row.facts = _encode(new)
        row.save(update_fields=["facts", "updated_at"])


def expected_facts(dashboard: Dashboard) -> tuple[dict[FactKey, float], dict[str, dict[FactKey, float]]]:
    """Every rollup row of the dashboard computed from the records, and per-record contributions."""
    index = TreeIndex.load(dashboard.tree)
    per_source: dict[str, list] = defaultdict(list)
    rows = []
    for metric in dashboard.stored_metrics:
        prefix = dashboard.prefix_of(metric)
        if prefix:
            for src, node, day, key, value in metric.rows(source=True):
                per_source[f"{prefix}:{src}"].append((metric.key, node, day, key, value))
        else:
            for node, day, key, value in metric.rows():
                rows.append((metric.key, node, day, key, value))
    sources = {name: fan_out(dashboard.tree, leaf_rows, index) for name, leaf_rows in per_source.items()}
    total: dict[FactKey, float] = defaultdict(float, fan_out(dashboard.tree, rows, index))
    for facts in sources.values():
        for key, value in facts.items():
            total[key] += value
    return total, sources


def _insert(rows: list[tuple]) -> None:
    """Plain INSERTs for a first build's tens of thousands of rows (bulk_create spends seconds
    building model instances)."""
    if not rows:
        return
    table = connection.ops.quote_name(Rollup._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(Rollup._meta.get_field(f).column)
        for f in ("metric", "tree", "node_id", "parent_node_id", "grain", "day", "key", "value", "updated_at")
    )
    field = Rollup._meta.get_field("updated_at")
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 9)})"  # noqa: S608 (quoted identifiers only)
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 2000):
            cursor.executemany(
                sql,
                [
                    (
                        *row[:5],
                        connection.ops.adapt_datefield_value(row[5]),
                        *row[6:8],
                        field.get_db_prep_value(row[8], connection),
                    )
                    for row in rows[i : i + 2000]
                ],
            )


def rollup_rebuild(*, dashboard: Dashboard, record_unchanged: bool = True) -> RollupRun:
    """Recompute the dashboard's rollups from the records and correct every row that differs.

    With `record_unchanged=False` a run that found nothing to correct leaves no RollupRun row
    (the demo's re-run must write nothing)."""
    run = RollupRun(dashboard=dashboard.key, started_at=timezone.now())
    metrics = [m.key for m in dashboard.stored_metrics]
    expected, sources = expected_facts(dashboard)
    with transaction.atomic():
        # Rows are found by their unique key, which leaves out the parent: a node that moved in its
        # tree (core.services.trees) keeps its rows, which take the new parent.
        current: dict[tuple, tuple[int, int, float]] = {}
        for pk, metric, tree, node, parent, grain, day, key, value in Rollup.objects.filter(
            metric__in=metrics, tree=dashboard.tree
        ).values_list("pk", "metric", "tree", "node_id", "parent_node_id", "grain", "day", "key", "value"):
            current[(metric, tree, node, grain, day, key)] = (pk, parent, value)
        create, delete, corrected = [], [], 0
        kept: set[tuple] = set()
        now = timezone.now()
        for fact, value in expected.items():
            if abs(value) < EPSILON:
                continue
            metric, tree, node, parent, grain, day, key = fact
            row = (metric, tree, node, grain, day, key)
            kept.add(row)
            if row not in current:
                create.append((*fact, value, now))
                continue
            pk, seen_parent, seen = current[row]
            if abs(seen - value) >= EPSILON or seen_parent != parent:
                Rollup.objects.filter(pk=pk).update(
                    value=F("value") + (value - seen), parent_node_id=parent, updated_at=timezone.now()
                )
                corrected += 1
        swept = 0
        for row, (pk, _parent, seen) in current.items():
            if row not in kept:
                delete.append(pk)
                # A row a change brought back to zero is swept, not corrected: it was right.
                swept += abs(seen) < EPSILON
        _insert(create)
        for i in range(0, len(delete), 500):
            Rollup.objects.filter(pk__in=delete[i : i + 500]).delete()
        for prefix in dashboard.prefixes:
            stored = dict(RollupSource.objects.filter(source__startswith=f"{prefix}:").values_list("source", "facts"))
            mine = {name: facts for name, facts in sources.items() if name.startswith(f"{prefix}:")}
            stale = [name for name in stored if name not in mine]
            for i in range(0, len(stale), 500):
                RollupSource.objects.filter(source__in=stale[i : i + 500]).delete()
            RollupSource.objects.bulk_create(
                [RollupSource(source=name, facts=_encode(f)) for name, f in mine.items() if name not in stored],
                batch_size=500,
            )
            for name, facts in mine.items():
                encoded = _encode(facts)
                if name in stored and stored[name] != encoded:
                    RollupSource.objects.filter(source=name).update(facts=encoded)
        run.corrected = corrected + len(create) + len(delete) - swept
        run.rows = len(expected)
        run.finished_at = timezone.now()
        if record_unchanged or run.corrected:
            run.save()
    return run
