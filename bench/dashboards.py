"""Dashboard figures: rollups against the live GROUP BY, at the seed's scale and at 10×, and the
command screen's push to 50 open screens.

Runs on a scratch SQLite database (or --database-url): migrates, seeds the demo at --scale, then
for each dashboard and a set of nodes (the top of the tree and every node one level down) times
the page's figures read from the rollups and computed live from the records (GROUP BY over the
same period, the last 12 months), interleaved, and prints p50/p95 of both and the ratio of p95s.
Then it multiplies every dashboard's records by ten (copies of the members' learning days, lesson
completions and live events with their venues and viewers, spread over the same months), rebuilds
the rollups and measures again. The rollups are checked equal to the live figures on every node,
in the same run.

The push: one Daphne on the same database with 50 WebSockets of the operations centre open on
/ws/dashboards/screen/; a venue checks in over HTTP and each screen's push is timed from the
request (p50/p95/max over rounds).

The last line is the smallest rollup/live ratio of p95s over the dashboards measured at 10× (the
records multiplied are the learning and live ones; dashboards whose parts have no demo data yet are
reported as not measured).

    .venv/bin/python bench/dashboards.py --scale 1.0
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(database_url: str | None) -> str:
    if database_url is None:
        path = Path(tempfile.mkdtemp(prefix="bench-dashboards-")) / "db.sqlite3"
        database_url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("VAR_DIR", str(Path(tempfile.gettempdir()) / "bench-dashboards-var"))
    import django

    django.setup()
    return database_url


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(repeat: int) -> dict[str, tuple[list[float], list[float]]]:
    """Per dashboard: (rollup ms, live ms) over its nodes, interleaved; checks equality once per node."""
    from dashboards import registry
    from dashboards.models import Rollup, Tree
    from dashboards.selectors import figures_from_rollups, figures_live, parse_period
    from dashboards.trees import TREE_MODELS, TreeIndex

    out = {}
    for dashboard in registry.all_dashboards():
        period = parse_period({}, default_months=dashboard.default_months)
        if not Rollup.objects.filter(metric__in=[m.key for m in dashboard.stored_metrics]).exists():
            print(f"  ({dashboard.key}: no records in this database, not measured)")
            continue
        model = TREE_MODELS[dashboard.tree]
        if dashboard.tree == Tree.DEPARTMENT:
            nodes = list(model.objects.all())
        else:
            roots = list(model.objects.filter(parent__isnull=True))
            nodes = roots + list(model.objects.filter(parent__in=roots))
        rolled_ms, live_ms = [], []
        for node in nodes:
            a = figures_from_rollups(dashboard, node, period)
            b = figures_live(dashboard, node, period)
            for key in a:
                assert a[key].as_plain(3) == b[key].as_plain(3), (dashboard.key, node.pk, key)
        for _ in range(repeat):
            for node in nodes:
                start = time.perf_counter()
                figures_from_rollups(dashboard, node, period)
                rolled_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                # The live computation loads the tree too: it needs it to fold leaves into children.
                figures_live(dashboard, node, period, index=TreeIndex.load(dashboard.tree))
                live_ms.append((time.perf_counter() - start) * 1000)
        out[dashboard.key] = (rolled_ms, live_ms)
    return out


def report(title: str, results: dict) -> dict[str, float]:
    print(f"\n{title}")
    print(f"  {'dashboard':<10} {'rollup p50':>11} {'p95':>8}  | {'live GROUP BY p50':>18} {'p95':>8}  | ratio p95")
    ratios = {}
    for key, (rolled, live) in results.items():
        ratio = pct(live, 0.95) / max(pct(rolled, 0.95), 1e-6)
        ratios[key] = ratio
        print(
            f"  {key:<10} {statistics.median(rolled):9.1f} ms {pct(rolled, 0.95):6.1f} ms"
            f"  | {statistics.median(live):16.1f} ms {pct(live, 0.95):6.1f} ms  | {ratio:7.1f}×"
        )
    return ratios


def amplify(factor: int) -> None:
    """Ten times the records of each dashboard, spread over the same months (see the docstring)."""
    from django.db import transaction

    from learning.models import LearningDay, LessonProgress
    from streaming.models import LiveEvent, MemberAttendance, VenueAttendance

    rng = random.Random(210681)
    today = datetime.date.today()
    # (lesson, course) pairs as the records have them: a lesson's course is its parent page.
    lessons = list(LessonProgress.objects.values_list("lesson_id", "course_id").distinct())
    with transaction.atomic():
        days = list(LearningDay.objects.values_list("user_id", "lesson_id", "course_id", "day", "seconds"))
        new_days = []
        for _k in range(1, factor):
            for user, lesson, course, day, seconds in days:
                shifted = day - datetime.timedelta(days=rng.randrange(0, 330))
                shifted = min(shifted, today)
                new_days.append(
                    LearningDay(user_id=user, lesson_id=lesson, course_id=course, day=shifted, seconds=seconds)
                )
        LearningDay.objects.bulk_create(new_days, batch_size=2000, ignore_conflicts=True)
        done = list(LessonProgress.objects.filter(completed_at__isnull=False).values_list("user_id", "completed_at"))
        new_progress = []
        for _k in range(1, factor):
            for user, completed in done:
                lesson, course = lessons[rng.randrange(len(lessons))]
                when = completed - datetime.timedelta(days=rng.randrange(0, 300))
                new_progress.append(LessonProgress(user_id=user, lesson_id=lesson, course_id=course, completed_at=when))
        LessonProgress.objects.bulk_create(new_progress, batch_size=2000, ignore_conflicts=True)

        events = list(LiveEvent.objects.all())
        venue_rows = list(VenueAttendance.objects.values("event_id", "venue_id", "checked_in_at", "headcount"))
        member_rows = list(MemberAttendance.objects.values("event_id", "user_id", "venue_id", "seconds"))
        by_event_v, by_event_m = {}, {}
        for r in venue_rows:
            by_event_v.setdefault(r["event_id"], []).append(r)
        for r in member_rows:
            by_event_m.setdefault(r["event_id"], []).append(r)
        for _k in range(1, factor):
            copies = []
            for e in events:
                shift = datetime.timedelta(days=rng.randrange(0, 300))
                copies.append(
                    LiveEvent(
                        title=e.title,
                        organiser_id=e.organiser_id,
                        organiser_org_id=e.organiser_org_id,
                        main_venue_id=e.main_venue_id,
                        scheduled_start=e.scheduled_start - shift,
                        scheduled_end=e.scheduled_end - shift,
                        audience=e.audience,
                        state=e.state,
                        started_at=e.started_at and e.started_at - shift,
                        ended_at=e.ended_at and e.ended_at - shift,
                    )
                )
            created = LiveEvent.objects.bulk_create(copies, batch_size=1000)
            va, ma = [], []
            for original, copy in zip(events, created, strict=True):
                for r in by_event_v.get(original.pk, []):
                    va.append(VenueAttendance(**{**r, "event_id": copy.pk}))
                for r in by_event_m.get(original.pk, []):
                    ma.append(MemberAttendance(**{**r, "event_id": copy.pk}))
            VenueAttendance.objects.bulk_create(va, batch_size=2000)
            MemberAttendance.objects.bulk_create(ma, batch_size=2000)


def push_bench(database_url: str, screens: int, rounds: int) -> tuple[list[float], float]:
    """Per-screen push latency (ms) after a venue's HTTP check-in, over `rounds` check-ins."""
    import requests
    from django.utils import timezone
    from websockets.asyncio.client import connect

    from core.models import Membership, Role, User
    from core.tests.factories import DEFAULT_PASSWORD, make_user_with_role
    from streaming.models import Invitation, LiveEvent, Venue
    from tests.support import DaphneProcess, subprocess_env

    ops = make_user_with_role(Role.OPS_ADMIN)
    venue = Venue.objects.filter(kind=Venue.Kind.BRANCH, party_org__isnull=False).order_by("pk").first()
    operator = User.objects.filter(
        memberships__role=Role.VENUE_OPERATOR, memberships__party_org=venue.party_org
    ).first() or make_user_with_role(Role.VENUE_OPERATOR, party_org=venue.party_org)
    operator.set_password(DEFAULT_PASSWORD)
    operator.save()
    host = User.objects.filter(pk__in=Membership.objects.filter(role=Role.OPS_ADMIN).values("user_id")).first()
    now = timezone.now()
    event = LiveEvent.objects.create(
        title="基准测试直播",
        organiser=host,
        scheduled_start=now - datetime.timedelta(minutes=5),
        scheduled_end=now + datetime.timedelta(hours=2),
        state=LiveEvent.State.LIVE,
        started_at=now,
    )
    Invitation.objects.create(event=event, venue=venue)
    server = DaphneProcess(subprocess_env(DATABASE_URL=database_url, REDIS_URL=os.environ.get("REDIS_URL")), "bench")
    server.start()
    try:

        def session_for(user) -> requests.Session:
            s = requests.Session()
            s.get(f"{server.url}/accounts/login/")
            s.post(
                f"{server.url}/accounts/login/",
                data={
                    "username": user.username,
                    "password": DEFAULT_PASSWORD,
                    "csrfmiddlewaretoken": s.cookies["csrftoken"],
                },
                headers={"Referer": f"{server.url}/accounts/login/"},
            )
            return s

        ops_session = session_for(ops)
        op_session = session_for(operator)
        op_session.get(f"{server.url}/live/{event.pk}/venue/{venue.pk}/")
        cookie = f"sessionid={ops_session.cookies['sessionid']}"

        async def run() -> tuple[list[float], float]:
            sockets = []
            start = time.perf_counter()
            for _ in range(screens):
                ws = await connect(
                    server.ws_url("/ws/dashboards/screen/"),
                    additional_headers={"Cookie": cookie, "Origin": server.url},
                    max_size=None,
                )
                json.loads(await ws.recv())  # the snapshot
                sockets.append(ws)
            connect_s = time.perf_counter() - start
            latencies: list[float] = []
            for i in range(rounds):
                sent = time.perf_counter()
                await asyncio.to_thread(
                    op_session.post,
                    f"{server.url}/live/{event.pk}/venue/{venue.pk}/check-in/",
                    data={"headcount": 10 + i, "csrfmiddlewaretoken": op_session.cookies["csrftoken"]},
                    headers={"Accept": "application/json", "Referer": server.url},
                )

                async def first_push(ws, sent=sent):
                    while True:
                        msg = json.loads(await ws.recv())
                        if msg.get("type") == "push":
                            return (time.perf_counter() - sent) * 1000

                latencies += await asyncio.wait_for(asyncio.gather(*(first_push(ws) for ws in sockets)), 30)
            for ws in sockets:
                await ws.close()
            return latencies, connect_s

        return asyncio.run(run())
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="demo-data scale of the first measurement")
    parser.add_argument("--factor", type=int, default=10, help="how many times the records for the second")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the nodes")
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    args = parser.parse_args()
    url = setup(args.database_url or os.environ.get("BENCH_DATABASE_URL"))

    from django.core.management import call_command

    from dashboards import registry
    from dashboards.services.rollups import rollup_rebuild

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("seed_demo", scale=args.scale, verbosity=0)
    print(f"seeded at scale {args.scale} in {time.perf_counter() - start:.0f} s ({url.split('://')[0]})")
    report(f"at the seed's scale ({args.scale})", measure(args.repeat))

    start = time.perf_counter()
    amplify(args.factor)
    print(f"\nrecords ×{args.factor} in {time.perf_counter() - start:.0f} s")
    for dashboard in registry.all_dashboards():
        start = time.perf_counter()
        run = rollup_rebuild(dashboard=dashboard)
        print(f"  rebuild {dashboard.key}: {run.rows} rollup rows in {time.perf_counter() - start:.1f} s")
    ratios = report(f"at {args.factor}× the records", measure(args.repeat))

    latencies, connect_s = push_bench(url, args.screens, args.rounds)
    print(
        f"\ncommand screen: {args.screens} screens connected in {connect_s:.1f} s; push after a check-in "
        f"(HTTP POST → every screen): p50 {statistics.median(latencies):.0f} ms, p95 {pct(latencies, 0.95):.0f} ms, "
        f"max {max(latencies):.0f} ms over {args.rounds} check-ins"
    )
    key = min(ratios, key=ratios.get)
    print(f"smallest rollup/live ratio of p95 at {args.factor}×: {ratios[key]:.1f}× ({key})")


if __name__ == "__main__":
    main()
