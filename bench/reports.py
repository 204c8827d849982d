"""拍一拍 benchmark: the performance-review page served from rollups against computing the same
figures from the reports' assignments table, in the same run, at the seed's scale and at 100× it;
and submitting a report.

    .venv/bin/python bench/reports.py [--rounds 30] [--database var/bench-reports.sqlite3] [--factor 100]
    DATABASE_URL=postgres://… .venv/bin/python bench/reports.py      # the same on PostgreSQL

  ours   GET /governance/reports/review/?period=year as the operations centre (all 17 departments
         and every town), through Django's test client: the rollup rows, one indexed query per table
  live   the same two tables computed from the assignments (one grouped query for the departments,
         one aggregate per town), the way a page without rollups would have to
Both are checked to give the same figures before they are timed. Then the reports are copied until
there are --factor times as many (120,000 at the default), the rollups rebuilt, and both timed again
(the live computation --live-rounds times there: it costs seconds a round). CPU milliseconds of this
process are printed beside the wall times: the machine may be shared, and CPU time is the steadier figure.
The copies stay in the database; a later run times the large scale first, then removes them for the
seed's scale (and the run after grows them again).
Submit: report_submit() without photos (rule match, grid lookup, timeline, rollups, notifications),
p50/p95 over --submits reports. The last line is the ratio live p95 / ours p95 at the large scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(fn, rounds: int, cpu: list[float] | None = None) -> list[float]:
    """Wall milliseconds per call; with `cpu`, this process's CPU milliseconds per call are appended to it
    (the test client and SQLite run in this process: on a shared machine the steadier figure)."""
    fn()  # warm-up (templates, caches of compiled queries)
    out = []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return out


def prepare(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    env.pop("REDIS_URL", None)
    print("preparing the database (migrate + seed_demo; both idempotent) …", flush=True)
    for argv in (["migrate", "--noinput", "-v0"], ["seed_demo", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *argv], cwd=REPO, env=env, check=True, timeout=1800)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=str(REPO / "var" / "bench-reports.sqlite3"))
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--factor", type=int, default=100)
    parser.add_argument("--submits", type=int, default=100)
    parser.add_argument(
        "--live-rounds",
        type=int,
        default=5,
        help="rounds of the live computation at --factor (each reads every assignment of the year "
        "once per town: seconds at 120,000 reports, minutes on a loaded machine)",
    )
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{args.database}"
    prepare(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    import django

    django.setup()
    import logging

    logging.getLogger("governance.reports").setLevel(logging.WARNING)
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    from django.test import Client

    from core.models import Area, Department, User
    from governance.reports import selectors
    from governance.reports.models import Assignment, Category, Report
    from governance.reports.services.rollups import live_by_department, live_figures, rollups_rebuild
    from governance.reports.services.submit import report_submit

    ops = User.objects.get(username="demo_ops")
    client = Client()
    client.force_login(ops)
    start = selectors.current_period_start("year")
    # The seed spreads reports over the last 12 months: review the year with the most of them.
    years = {d.year for d in Assignment.objects.dates("dispatched_at", "year")}
    busiest = max(years, key=lambda y: Assignment.objects.filter(dispatched_at__year=y).count())
    start = start.replace(year=busiest)
    departments = list(Department.objects.order_by("code"))
    towns = list(Area.objects.filter(level=Area.Level.TOWN).order_by("path"))

    def ours() -> None:
        response = client.get("/governance/reports/review/", {"period": "year", "start": start.isoformat()})
        assert response.status_code == 200

    def ours_rows():
        return (
            selectors.review_rows(period="year", period_start=start, dimension="department", departments=departments),
            selectors.review_rows(period="year", period_start=start, dimension="area", areas=towns),
        )

    def live():
        by_dept = live_by_department(period="year", period_start=start)
        by_town = {t.pk: live_figures(period="year", period_start=start, area_id=t.pk) for t in towns}
        return by_dept, by_town

    def same_figures() -> bool:
        dept_rows, town_rows = ours_rows()
        by_dept, by_town = live()
        fields = ("received", "resolved", "resolved_on_time", "returned", "overdue", "rated", "satisfied")
        for row in dept_rows:
            expected = by_dept.get(row.department_id, dict.fromkeys(fields, 0))
            if any(getattr(row, f) != expected[f] for f in fields):
                return False
        return all(all(getattr(row, f) == by_town[row.area_id][f] for f in fields) for row in town_rows)

    def measure(label: str, live_rounds: int) -> tuple[float, float]:
        n = Report.objects.count()
        assert same_figures(), "rollups and the live computation disagree"
        ours_cpu: list[float] = []
        live_cpu: list[float] = []
        ours_ms = timed(ours, args.rounds, ours_cpu)
        rows_ms = timed(ours_rows, args.rounds)
        live_ms = timed(live, live_rounds, live_cpu)
        print(
            f"{label:>6} {n:>7} reports | ours: page p50 {statistics.median(ours_ms):6.1f} p95 {p95(ours_ms):6.1f} ms "
            f"(CPU p50 {statistics.median(ours_cpu):5.1f} ms), figures alone p95 {p95(rows_ms):5.1f} ms "
            f"| live figures p50 {statistics.median(live_ms):7.1f} p95 {p95(live_ms):7.1f} ms "
            f"(CPU p50 {statistics.median(live_cpu):7.1f} ms, {live_rounds} rounds) | same figures: yes",
            flush=True,
        )
        # Conservative: our whole page (rendering included) against the live computation of the figures alone.
        return p95(ours_ms), p95(live_ms)

    print(
        f"review of the year {start:%Y} for {len(departments)} departments and {len(towns)} towns, {args.rounds} rounds"
    )

    def submit_section() -> None:
        # Submitting a report (no photos): the whole service, as the form's POST runs it.
        category = Category.objects.filter(rules__isnull=False, is_public=True).first()
        grid = Area.objects.filter(level=Area.Level.GRID, latitude__isnull=False).first()
        reporter = User.objects.get(username="demo_resident")
        stamp = int(time.time())
        submit_ms = []
        for i in range(args.submits):
            t0 = time.perf_counter()
            report_submit(
                reporter=reporter,
                category=category,
                description="基准测试：路面破损",
                latitude=grid.latitude,
                longitude=grid.longitude,
                idempotency_key=f"bench-{stamp}-{i}",
            )
            submit_ms.append((time.perf_counter() - t0) * 1000)
        print(
            f"submit (no photo) p50 {statistics.median(submit_ms):.1f} ms p95 {p95(submit_ms):.1f} ms "
            f"over {args.submits}",
            flush=True,
        )

    def rebuild(what: str) -> None:
        t0 = time.perf_counter()
        rows = rollups_rebuild()
        seconds = time.perf_counter() - t0
        print(f"{what}: {Report.objects.count()} reports; rollups rebuilt ({rows} rows) in {seconds:.1f} s")

    # The seed's own reports (not the copies nor the submitted ones) times the factor.
    target = Report.objects.exclude(idempotency_key__startswith="bench-").count() * args.factor
    if Report.objects.filter(idempotency_key__startswith="bench-copy-").exists():
        # Kept from an earlier run: time the large scale first, then take the copies out again (three
        # statements) for the seed's scale. The next run grows them again.
        if Report.objects.count() < target:
            grow(target, Report, Assignment)
            rebuild("grown")
        ours_p95, live_p95 = measure(f"{args.factor}×", args.live_rounds)
        large = Report.objects.count()
        shrink(Report, Assignment)
        rebuild("copies removed")
        measure("seed", args.rounds)
        submit_section()
    else:
        measure("seed", args.rounds)
        submit_section()
        grow(target, Report, Assignment)
        rebuild("grown")
        ours_p95, live_p95 = measure(f"{args.factor}×", args.live_rounds)
        large = Report.objects.count()
    print(f"ratio live/ours p95 at {large} reports: {live_p95 / ours_p95:.1f}×")


def shrink(Report, Assignment) -> None:  # noqa: N803
    """Delete the copies `grow` made (they have an assignment each and nothing else)."""
    from django.db import connection, transaction

    reports, assignments = Report._meta.db_table, Assignment._meta.db_table
    copies = ["bench-copy-%"]
    # Table names from the models' metadata, the pattern as a parameter.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {reports} SET assignment_id = NULL WHERE idempotency_key LIKE %s", copies)  # noqa: S608
        cursor.execute(
            f"DELETE FROM {assignments} WHERE report_id IN "  # noqa: S608
            f"(SELECT id FROM {reports} WHERE idempotency_key LIKE %s)",
            copies,
        )
        cursor.execute(f"DELETE FROM {reports} WHERE idempotency_key LIKE %s", copies)  # noqa: S608


def grow(target: int, Report, Assignment) -> None:  # noqa: N803
    """Copy the seeded reports and their assignments (same months, grids and outcomes) up to `target`."""
    from django.db import transaction

    base_reports = list(
        Report.objects.filter(assignment__isnull=False).exclude(idempotency_key__startswith="bench-").order_by("id")
    )
    copied = Report.objects.filter(idempotency_key__startswith="bench-copy-").count()
    base_assignments = {a.pk: a for a in Assignment.objects.filter(pk__in=[r.assignment_id for r in base_reports])}
    while Report.objects.count() < target:
        need = target - Report.objects.count()
        batch = base_reports[: min(len(base_reports), need)]
        with transaction.atomic():
            copies = []
            for r in batch:
                copied += 1
                c = Report(
                    **{
                        f.attname: getattr(r, f.attname)
                        for f in Report._meta.concrete_fields
                        if f.attname not in ("id", "token", "assignment_id", "idempotency_key")
                    }
                )
                copies.append(c)
            for i, c in enumerate(copies):
                c.idempotency_key = f"bench-copy-{copied - len(copies) + i + 1}"
            Report.objects.bulk_create(copies, batch_size=2000)
            assignments = []
            for r, c in zip(batch, copies, strict=True):
                a = base_assignments[r.assignment_id]
                assignments.append(
                    Assignment(
                        **{
                            f.attname: getattr(a, f.attname)
                            for f in Assignment._meta.concrete_fields
                            if f.attname not in ("id", "report_id")
                        },
                        report_id=c.pk,
                    )
                )
            Assignment.objects.bulk_create(assignments, batch_size=2000)
            for c, a in zip(copies, assignments, strict=True):
                c.assignment_id = a.pk
            Report.objects.bulk_update(copies, ["assignment"], batch_size=2000)
        print(f"  … {Report.objects.count()} reports", flush=True)


if __name__ == "__main__":
    main()
