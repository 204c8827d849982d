"""The demo boundaries at the article's full scale: 515 grids tiling their communities, which tile
their towns, which tile the city around Donggang; every centre inside its own boundary."""

from __future__ import annotations

import random

import pytest
import shapely

from core.demo.registry import DemoContext
from core.demo.steps import seed_areas
from core.models import Area
from governance.demo.boundaries import seed_boundaries
from governance.geo.geometry import area_m2, geometry_from_geojson
from governance.geo.index import current_grid_index


@pytest.fixture
def seeded(db):
    ctx = DemoContext(scale=1.0, password="x", rng=random.Random(1), log=lambda s: None)
    seed_areas(ctx)
    ctx.rng = random.Random(2)
    status = seed_boundaries(ctx)
    return ctx, status


def test_full_scale_demo_tiles_every_level(seeded):
    ctx, status = seeded
    assert "515 grids" in status
    areas = list(Area.objects.all())
    shapes = {a.pk: geometry_from_geojson(a.boundary) for a in areas}
    city = next(a for a in areas if a.level == Area.Level.CITY)
    assert shapes[city.pk].contains(shapely.Point(124.15, 39.87))  # Donggang
    for area in areas:
        assert shapes[area.pk].covers(shapely.Point(float(area.longitude), float(area.latitude))), area.name
        kids = [shapes[a.pk] for a in areas if a.parent_id == area.pk]
        if not kids:
            continue
        union = shapely.union_all(kids)
        # Children cover their parent and do not overlap, up to slivers from rounding positions to
        # 6 decimals (≤ 0.1 m wide along the edges).
        slack = sum(k.length for k in kids) * 111_320 * 0.1
        assert area_m2(shapes[area.pk].symmetric_difference(union)) < slack, area.name
        assert abs(sum(area_m2(k) for k in kids) - area_m2(union)) < slack, area.name
    grids = [a for a in areas if a.level == Area.Level.GRID]
    assert len(grids) == 515
    index = current_grid_index()
    found = index.grid_ids_at(
        latitudes=[float(g.latitude) for g in grids], longitudes=[float(g.longitude) for g in grids]
    )
    assert found == [g.pk for g in grids]


def test_second_run_changes_nothing(seeded):
    ctx, _ = seeded
    before = dict(Area.objects.values_list("pk", "boundary"))
    assert seed_boundaries(ctx).startswith("skipped")
    assert dict(Area.objects.values_list("pk", "boundary")) == before
