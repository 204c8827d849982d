"""Demo boundaries: the city around Donggang's real position, its towns tiling it, villages and
communities tiling their town, grids tiling their community.

Each level is the Voronoi diagram of the children's centres clipped to the parent, so siblings
never overlap and together cover the parent exactly; the city is convex, so every cell is a single
convex polygon. Centres that the area seed placed outside their parent are pulled towards the
parent's centre first (and stored), so every area's centre lies inside its own boundary.
"""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

import shapely
from shapely.geometry import Point, Polygon

from core.demo.registry import DemoContext, demo_step
from core.models import Area, Membership, Role
from governance.geo.geometry import geometry_to_geojson
from governance.geo.index import boundaries_changed

CITY_MARGIN = 0.07  # degrees around the outermost town centres
COAST_LATITUDE = 39.78  # Donggang lies on the Yellow Sea: nothing south of the shore


def _city_outline(town_points: list[Point]) -> Polygon:
    hull = shapely.MultiPoint(town_points).convex_hull.buffer(CITY_MARGIN, quad_segs=4)
    shore = shapely.box(hull.bounds[0] - 1, COAST_LATITUDE, hull.bounds[2] + 1, hull.bounds[3] + 1)
    return hull.intersection(shore)


def _inside(parent: Polygon, centre: Point, point: Point, rng: random.Random) -> Point:
    """The point itself if it lies well inside the parent, else pulled towards the parent's centre."""
    inner = parent.buffer(-0.0005) if parent.area > 1e-6 else parent
    if inner.is_empty:
        inner = parent
    for step in range(1, 11):
        if inner.contains(point):
            return point
        t = 1 - step / 10
        point = Point(centre.x + (point.x - centre.x) * t, centre.y + (point.y - centre.y) * t)
    # Pulled all the way to the centre: scatter around it so siblings stay distinct.
    for _ in range(50):
        candidate = Point(centre.x + rng.uniform(-1, 1) * 0.002, centre.y + rng.uniform(-1, 1) * 0.002)
        if inner.contains(candidate):
            return candidate
    return parent.representative_point()


def _spread(parent: Polygon, points: list[Point]) -> list[Point]:
    """The points' layout stretched to fill the parent: the area seed scatters communities close
    around their street's centre, which would leave one huge cell at the edge and tiny ones inside."""
    if len(points) < 2:
        return points
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    rms = (sum((x - mx) ** 2 + (y - my) ** 2 for x, y in zip(xs, ys, strict=True)) / len(xs)) ** 0.5
    if rms == 0:
        return points
    factor = 0.45 * parent.area**0.5 / rms
    centre = parent.centroid
    return [Point(centre.x + (x - mx) * factor, centre.y + (y - my) * factor) for x, y in zip(xs, ys, strict=True)]


def _tile(parent: Polygon, points: list[Point]) -> list[Polygon]:
    """Cells of the points' Voronoi diagram clipped to the parent, in the points' order."""
    if len(points) == 1:
        return [parent]
    envelope = parent.envelope.buffer(1.0)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=envelope, ordered=True)
    return [cell.intersection(parent) for cell in cells.geoms]


def _largest(geom) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    return max(getattr(geom, "geoms", []), key=lambda g: g.area, default=Polygon())


@demo_step(order=400, models=("core.Area",))
def seed_boundaries(ctx: DemoContext) -> str:
    areas = list(Area.objects.order_by("depth", "path"))
    if not areas or all(a.boundary for a in areas):
        return "skipped: every area has a boundary" if areas else "skipped: no areas"
    rng = ctx.rng
    children: dict[int | None, list[Area]] = defaultdict(list)
    for area in areas:
        children[area.parent_id].append(area)

    shapes: dict[int, Polygon] = {}
    centres: dict[int, Point] = {}
    changed: list[Area] = []

    def centre_of(area: Area) -> Point:
        return Point(float(area.longitude or 0), float(area.latitude or 0))

    def assign(area: Area, shape: Polygon, centre: Point) -> None:
        area.boundary = geometry_to_geojson(shape)
        # Children are clipped to the boundary as stored (rounded), so they fit it exactly.
        shapes[area.pk] = shapely.geometry.shape(area.boundary)
        centres[area.pk] = centre
        area.latitude = Decimal(f"{centre.y:.6f}")
        area.longitude = Decimal(f"{centre.x:.6f}")
        changed.append(area)

    def tile_children(parent: Area) -> None:
        kids = children.get(parent.pk, [])
        if not kids:
            return
        # Keep a tiling someone already made (or edited) when every child has its boundary.
        if all(k.boundary for k in kids) and parent.pk not in {a.pk for a in changed}:
            return
        outline, middle = shapes[parent.pk], centres[parent.pk]
        spread_out = _spread(outline, [centre_of(k) for k in kids]) if parent.level > Area.Level.CITY else None
        points: list[Point] = []
        for i, kid in enumerate(kids):
            point = _inside(outline, middle, spread_out[i] if spread_out else centre_of(kid), rng)
            while any(point.distance(p) < 1e-5 for p in points):  # duplicates break the diagram
                point = Point(point.x + rng.uniform(-3e-4, 3e-4), point.y + rng.uniform(-3e-4, 3e-4))
                if not outline.contains(point):
                    point = _inside(outline, middle, point, rng)
            points.append(point)
        for kid, point, cell in zip(kids, points, _tile(outline, points), strict=True):
            assign(kid, _largest(cell), point)
            tile_children(kid)

    for city in children.get(None, []):
        if city.boundary and all(k.boundary for k in children.get(city.pk, [])):
            shapes[city.pk] = shapely.geometry.shape(city.boundary)
            centres[city.pk] = centre_of(city)
        else:
            town_points = [centre_of(t) for t in children.get(city.pk, [])] or [centre_of(city)]
            outline = _city_outline(town_points)
            assign(city, outline, _inside(outline, outline.centroid, centre_of(city), rng))
        tile_children(city)

    Area.objects.bulk_update(changed, ["boundary", "latitude", "longitude"], batch_size=500)
    if changed:
        boundaries_changed()
    grids = sum(1 for a in changed if a.level == Area.Level.GRID)
    return f"{len(changed)} boundaries ({grids} grids)"


@demo_step(order=401, models=("core.Membership",))
def seed_grid_worker_kinds(ctx: DemoContext) -> str:
    """Most grids have a full-time (专职) grid worker; about a third are looked after part-time (兼职)."""
    workers = list(Membership.objects.filter(role=Role.GRID_WORKER, worker_kind="").order_by("area__path", "pk"))
    if not workers:
        return "skipped: every grid worker has a type"
    seen_grids: set[int | None] = set()
    for membership in workers:
        first_of_grid = membership.area_id not in seen_grids
        seen_grids.add(membership.area_id)
        full_time = first_of_grid and ctx.rng.random() < 0.7
        membership.worker_kind = Membership.WorkerKind.FULL_TIME if full_time else Membership.WorkerKind.PART_TIME
    Membership.objects.bulk_update(workers, ["worker_kind"], batch_size=1000)
    return f"{len(workers)} grid workers typed"
