"""Grid governance benchmark: point → grid, the map's data, and the grid pages, each beside a baseline.

    .venv/bin/python bench/governance.py [--database var/bench-governance.sqlite3] [--synthetic 50000]

1. Point → grid. Ours: `governance.geo.index` (an STRtree over prepared polygons). Baseline: a plain
   loop over the same shapely polygons asking each whether it contains the point (what one writes
   without a spatial index). Both answer the same random probes; the answers are compared (they must
   agree), then timed: at the demo's 515 grids (from the database) and at --synthetic grids (a
   Voronoi tiling of a province-sized box, what a province-wide installation holds). `grid_at()` is
   timed too: the index plus its per-lookup freshness check and the Area row, through the ORM.
2. The map's data for all 515 grids (`/governance/map/areas/?parent=<city>&level=4` as the
   operations centre through Django's test client): bytes raw and gzipped, median and p95 time.
3. When governance has buildings and residents: the plan view of the largest building and a grid's
   resident list, p95 through the test client (goal ≤ 50 ms), with this process's CPU time per request
   beside the wall time (the steadier figure when other work shares the machine).

The last line is the lookup ratio loop / ours at the synthetic scale (goal ≥ 50×, ours ≤ 1 ms).
The database is seeded once (migrate + seed_demo) if it does not exist yet.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A box the size of Liaoning province (≈ 150,000 km²) for the synthetic grids.
PROVINCE = (118.8, 38.7, 125.8, 43.5)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def setup_django(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    if not database.exists():
        print(f"seeding {database} (migrate + seed_demo, a few minutes, once) …", flush=True)
        env = dict(os.environ)
        for argv in (["migrate", "-v0"], ["seed_demo", "-v0"]):
            subprocess.run([sys.executable, "manage.py", *argv], cwd=REPO, env=env, check=True)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings

    # DEBUG off: no query log in memory while timing. Pages name static files; without
    # collectstatic there is no manifest to look them up in, so plain static storage.
    override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        DEBUG=False,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()


def time_lookups(func, probes: list[tuple[float, float]]) -> tuple[float, list]:
    """Seconds per lookup (mean) and the answers."""
    answers = []
    started = time.perf_counter()
    for lat, lon in probes:
        answers.append(func(lat, lon))
    return (time.perf_counter() - started) / len(probes), answers


def loop_lookup(pairs):
    """The baseline: every polygon in turn, first hit wins (same tie rule as ours: lowest index)."""
    import shapely

    def find(lat: float, lon: float):
        point = shapely.Point(lon, lat)
        for pk, polygon in pairs:
            if polygon.intersects(point):
                return pk
        return None

    return find


def lookup_section(label: str, pairs, rng: random.Random, *, probes_ours: int, probes_loop: int) -> float:
    import shapely

    from governance.geo.index import GridIndex

    started = time.perf_counter()
    index = GridIndex.from_geometries(pairs)
    build = time.perf_counter() - started
    # Plain polygons for the loop (unprepared, as a loop without an index would hold them).
    plain = [(pk, shapely.from_wkb(shapely.to_wkb(g))) for pk, g in pairs]
    west, south, east, north = shapely.total_bounds(index.geometries)
    probes = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(probes_ours)]
    ours, ours_answers = time_lookups(lambda lat, lon: index.grid_id_at(latitude=lat, longitude=lon), probes)
    loop, loop_answers = time_lookups(loop_lookup(plain), probes[:probes_loop])
    mismatches = sum(1 for a, b in zip(ours_answers[: len(loop_answers)], loop_answers, strict=True) if a != b)
    hits = sum(1 for a in ours_answers if a is not None)
    print(
        f"| {label} | {len(pairs):,} | {build * 1000:,.0f} ms | {loop * 1e3:,.3f} ms | {ours * 1e3:,.4f} ms "
        f"| {loop / ours:,.0f}× | {mismatches} of {probes_loop} | {hits / len(probes):.0%} |"
    )
    return loop / ours


def synthetic_grids(n: int, rng: random.Random):
    import shapely

    west, south, east, north = PROVINCE
    points = shapely.MultiPoint([(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(n)])
    box = shapely.box(west, south, east, north)
    cells = shapely.voronoi_polygons(points, extend_to=box)
    return [(i, cell.intersection(box)) for i, cell in enumerate(cells.geoms, 1)]


def client_timings(
    client, url: str, rounds: int, cpu: list[float] | None = None, **headers
) -> tuple[list[float], object]:
    """Wall seconds per request; with `cpu`, this process's CPU seconds per request are appended to it
    (the test client and SQLite run in this process, so on a shared machine CPU time is the steadier figure)."""
    times, response = [], None
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, **headers)
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, (url, response.status_code)
    return times, response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", type=Path, default=REPO / "var" / "bench-governance.sqlite3")
    parser.add_argument("--synthetic", type=int, default=50_000, help="synthetic grids (default 50,000)")
    parser.add_argument("--probes", type=int, default=20_000, help="random points for our index")
    parser.add_argument("--loop-probes", type=int, default=200, help="random points for the plain loop")
    parser.add_argument("--rounds", type=int, default=30, help="requests per page measurement")
    args = parser.parse_args()
    setup_django(args.database.resolve())

    from django.test import Client

    from core.models import Area, Role, User
    from governance.geo.geometry import geometry_from_geojson
    from governance.geo.index import grid_at

    rng = random.Random(20261207)
    demo = [
        (pk, geometry_from_geojson(b))
        for pk, b in Area.objects.filter(level=Area.Level.GRID, boundary__isnull=False)
        .order_by("path")
        .values_list("pk", "boundary")
    ]
    if not demo:
        sys.exit("the database has no grid boundaries: run seed_demo (governance.seed_boundaries)")

    print("## Point → grid (mean per lookup; loop = plain loop over the polygons)\n")
    print("| grids | count | index build | loop | ours | loop / ours | answers differing | probes in a grid |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    lookup_section("demo (东港市)", demo, rng, probes_ours=args.probes, probes_loop=min(args.probes, 2000))
    started = time.perf_counter()
    synthetic = synthetic_grids(args.synthetic, rng)
    made = time.perf_counter() - started
    ratio = lookup_section(
        f"synthetic ({made:.1f} s to make)", synthetic, rng, probes_ours=args.probes, probes_loop=args.loop_probes
    )

    # grid_at: index + freshness check (one primary-key read) + the Area row, as reports call it.
    west, south, east, north = shapely_bounds(demo)
    probes = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(2000)]
    grid_at(latitude=probes[0][0], longitude=probes[0][1])  # build once
    per_call, _ = time_lookups(lambda lat, lon: grid_at(latitude=lat, longitude=lon), probes)
    print(f"\n`grid_at()` end to end on the demo database (SQLite): {per_call * 1e3:.3f} ms per call\n")

    print("## The map's data (operations centre, test client)\n")
    ops = User.objects.filter(memberships__role=Role.OPS_ADMIN).first()
    city = Area.objects.get(level=Area.Level.CITY)
    client = Client()
    client.force_login(ops)
    url = f"/governance/map/areas/?parent={city.pk}&level={Area.Level.GRID}"
    plain_times, plain = client_timings(client, url, args.rounds)
    gz_times, zipped = client_timings(client, url, args.rounds, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    raw_bytes, gz_bytes = len(plain.content), len(zipped.content)
    print("| response | grids | bytes | median | p95 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    grids = len(plain.json()["areas"])
    print(
        f"| all grids, plain | {grids} | {raw_bytes:,} | {statistics.median(plain_times) * 1e3:.1f} ms "
        f"| {percentile(plain_times, 95) * 1e3:.1f} ms |"
    )
    print(
        f"| all grids, gzip | {grids} | {gz_bytes:,} | {statistics.median(gz_times) * 1e3:.1f} ms "
        f"| {percentile(gz_times, 95) * 1e3:.1f} ms |"
    )
    gzip_check = len(gzip.compress(plain.content))
    print(f"\n(gzip of the plain body for comparison: {gzip_check:,} bytes)\n")
    markers_section(client, args.rounds)

    pages_section(client, args.rounds)
    print(f"lookup ratio loop / ours at {args.synthetic:,} grids: {ratio:,.0f}×")


def shapely_bounds(pairs):
    import shapely

    return shapely.total_bounds([g for _, g in pairs])


def markers_section(client, rounds: int) -> None:
    """The grid with the most buildings: its markers (a grid card's click) and an address search."""
    from django.db.models import Count
    from django.urls import reverse

    from core.models import Area

    grid = Area.objects.filter(level=Area.Level.GRID).annotate(n=Count("buildings")).order_by("-n").first()
    if grid is None or not grid.n:
        return
    url = reverse("governance:map_buildings", args=[grid.pk])
    times, response = client_timings(client, url, rounds, HTTP_ACCEPT_ENCODING="gzip")
    search_times, _ = client_timings(client, reverse("governance:map_search") + "?q=%E8%B7%AF", rounds)
    print("| map request | size | median | p95 |")
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| building markers, largest grid ({grid.n} buildings) | {len(response.content):,} B gzipped "
        f"| {statistics.median(times) * 1e3:.1f} ms | {percentile(times, 95) * 1e3:.1f} ms |"
    )
    print(
        f"| search 路 (areas, then buildings by address; 20 results) | — "
        f"| {statistics.median(search_times) * 1e3:.1f} ms | {percentile(search_times, 95) * 1e3:.1f} ms |"
    )
    print()


def pages_section(client, rounds: int) -> None:
    """Plan view and resident list, once governance has them (helper-independent: found by URL name)."""
    from django.apps import apps
    from django.core.exceptions import FieldError
    from django.db.models import Count
    from django.urls import NoReverseMatch, reverse

    from core.models import Area

    rows = []
    try:
        building_model = apps.get_model("governance", "Building")
    except LookupError:
        building_model = None
    if building_model is not None:
        try:
            largest = building_model.objects.annotate(n=Count("households")).order_by("-n").first()
        except FieldError:  # households are named differently: take the newest building
            largest = building_model.objects.order_by("-pk").first()
            if largest is not None:
                largest.n = "?"
        if largest is not None:
            try:
                url = reverse("governance:building_detail", args=[largest.pk])
            except NoReverseMatch:
                url = None
            if url:
                client_timings(client, url, 3)  # warm-up: templates compiled, caches filled
                cpu: list[float] = []
                times, _ = client_timings(client, url, rounds, cpu)
                rows.append((f"plan view, largest building ({largest.n} households)", times, cpu))
    grid = Area.objects.filter(level=Area.Level.GRID).annotate(n=Count("residents")).order_by("-n").first()
    if grid is not None:
        url = reverse("governance:grid_detail", args=[grid.pk])
        client_timings(client, url, 3)
        cpu = []
        times, _ = client_timings(client, url, rounds, cpu)
        rows.append((f"resident list, largest grid ({grid.n} residents, 50 a page)", times, cpu))
    if not rows:
        return
    print("## Grid pages (operations centre, test client; goal p95 ≤ 50 ms)\n")
    print("| page | median | p95 | CPU median | CPU p95 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, times, cpu in rows:
        print(
            f"| {label} | {statistics.median(times) * 1e3:.1f} ms | {percentile(times, 95) * 1e3:.1f} ms "
            f"| {statistics.median(cpu) * 1e3:.1f} ms | {percentile(cpu, 95) * 1e3:.1f} ms |"
        )
    print()


if __name__ == "__main__":
    main()
