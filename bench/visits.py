"""Visits (定期联系走访) at a city's scale over years: the due/overdue reads beside a baseline.

    .venv/bin/python bench/visits.py [--database /tmp/bench-visits.sqlite3] [--residents 8000] [--years 3]

A synthetic city (10 towns × 5 communities × ~10 grids = 515 grids) whose tagged residents were visited
on schedule for --years years (weekly, fortnightly, monthly, quarterly tiers: hundreds of thousands of
visit rows), about one plan in ten slipped. Ours reads the plan kept on each resident
(`Resident.next_visit_due`, partial index `resident_visit_due`); the baseline derives each resident's
last visit from the visits table (MAX(visited_on) per resident), which is what one writes without a
kept plan. Both must give the same counts; then each is timed (median and p95 of --rounds):

1. overdue / due counts for the whole city per town (the operations centre's first page);
2. the same for one town per community;
3. one grid worker's due list (我的走访: the page's rows, 30 per page).

The last line is the ratio baseline / ours for the city-wide counts.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIERS = [7, 14, 30, 91]


def setup_django(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    override_settings(DEBUG=False).enable()
    print(f"database {settings.DATABASES['default']['NAME']}", flush=True)
    call_command("migrate", verbosity=0)


def seed(residents: int, years: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from core.models import Area
    from core.services.trees import area_create
    from governance.models import Resident, Visit

    if Resident.objects.exists():
        print("seeded already", flush=True)
        return
    rng = random.Random(7)
    today = timezone.localdate()
    started = time.perf_counter()
    with transaction.atomic():
        city = area_create(name="基准市", code="BENCH", level=Area.Level.CITY, parent=None)
        grids = []
        for t in range(10):
            town = area_create(name=f"镇{t}", code=f"BT{t}", level=Area.Level.TOWN, parent=city)
            for v in range(5):
                village = area_create(name=f"社区{t}-{v}", code=f"BV{t}-{v}", level=Area.Level.VILLAGE, parent=town)
                for g in range(10 + (1 if t * 5 + v < 15 else 0)):
                    grids.append(
                        area_create(
                            name=f"网格{t}-{v}-{g}", code=f"BG{t}-{v}-{g}", level=Area.Level.GRID, parent=village
                        )
                    )
        rows = []
        for i in range(residents):
            interval = rng.choice(TIERS)
            slipped = rng.random() < 0.1
            last = today - datetime.timedelta(days=rng.randint(0, interval - 1) + (interval if slipped else 0))
            rows.append(
                Resident(
                    grid=rng.choice(grids),
                    name=f"居民{i}",
                    birth_year=1950,
                    visit_interval_days=interval,
                    last_visited_on=last,
                    next_visit_due=last + datetime.timedelta(days=interval),
                )
            )
        Resident.objects.bulk_create(rows, batch_size=2000)
        planned = list(Resident.objects.values_list("pk", "grid_id", "visit_interval_days", "last_visited_on"))
        visits = []
        first_day = today - datetime.timedelta(days=365 * years)
        for pk, grid_id, interval, last in planned:
            day = last
            while day >= first_day:
                visits.append(Visit(resident_id=pk, grid_id=grid_id, visited_on=day, outcome="normal"))
                day -= datetime.timedelta(days=interval + rng.randint(-2, 2))
            if len(visits) >= 50_000:
                Visit.objects.bulk_create(visits, batch_size=5000)
                visits = []
        Visit.objects.bulk_create(visits, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded {len(grids)} grids, {len(planned):,} residents with a plan, {Visit.objects.count():,} visits "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def timed(func, rounds: int) -> tuple[float, float, object]:
    func()  # warm
    times = []
    result = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], result


def baseline_counts(areas, today):
    """Without a kept plan: each resident's last visit from the visits table, then the arithmetic."""
    from django.db.models import Max, Q

    from governance.models import Resident

    condition = Q()
    for area in areas:
        condition |= Q(grid__path__startswith=area.path)
    rows = (
        Resident.objects.filter(condition, moved_out_on__isnull=True, visit_interval_days__isnull=False)
        .values("pk", "grid__path", "visit_interval_days")
        .annotate(last=Max("visits__visited_on"))
    )
    result = {a.pk: [0, 0] for a in areas}
    week_end = today + datetime.timedelta(days=7)
    for r in rows:
        due = r["last"] + datetime.timedelta(days=r["visit_interval_days"]) if r["last"] else today
        for a in areas:
            if r["grid__path"].startswith(a.path):
                if due < today:
                    result[a.pk][0] += 1
                elif due < week_end:
                    result[a.pk][1] += 1
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", type=Path, default=Path("/tmp/bench-visits.sqlite3"))
    parser.add_argument("--residents", type=int, default=8_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    setup_django(args.database)
    seed(args.residents, args.years)

    from django.db import connection
    from django.utils import timezone

    from core.models import Area
    from governance.selectors import residents_to_visit, visit_counts_for_areas

    today = timezone.localdate()
    city = Area.objects.get(code="BENCH")
    towns = list(city.children.order_by("path"))
    communities = list(towns[0].children.order_by("path"))
    grid = Area.objects.filter(level=Area.Level.GRID, path__startswith=city.path).order_by("path").first()

    def ours(areas):
        return {k: [c.overdue, c.due] for k, c in visit_counts_for_areas(areas, today=today).items()}

    print(f"{'read':<42} {'ours median':>12} {'ours p95':>10} {'baseline median':>16} {'baseline p95':>13}")
    ratio = None
    for label, areas in (("city: counts per town (10)", towns), ("town: counts per community (5)", communities)):
        om, op, ores = timed(lambda a=areas: ours(a), args.rounds)
        bm, bp, bres = timed(lambda a=areas: baseline_counts(a, today), max(3, args.rounds // 4))
        assert ores == bres, f"ours and the baseline disagree: {ores} != {bres}"
        print(f"{label:<42} {om:>10.1f}ms {op:>8.1f}ms {bm:>14.1f}ms {bp:>11.1f}ms")
        ratio = ratio or bm / om

    def due_page():
        return [r.pk for r in residents_to_visit([grid.pk], today=today)[:30]]

    dm, dp, rows = timed(due_page, args.rounds)
    print(f"{'grid worker: due list, first 30 rows':<42} {dm:>10.1f}ms {dp:>8.1f}ms {'—':>16} {'—':>13}")
    sql, params = residents_to_visit([grid.pk], today=today)[:30].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " | ".join(str(r[-1]) for r in cursor.fetchall())
    print(f"due list plan: {plan}")
    print(f"city-wide counts, baseline / ours: {ratio:.1f}×")


if __name__ == "__main__":
    main()
