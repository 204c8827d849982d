"""Point → grid with real geometry: the STRtree index agrees with a plain scan, sees boundary
changes made by another process, and boundaries are validated before they are stored."""

from __future__ import annotations

import random

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.utils import translation
from shapely.geometry import Polygon

from core.models import Area, AuditLog
from governance.geo.geometry import BoundaryError, geometry_from_geojson, geometry_to_geojson
from governance.geo.index import GridIndex, GridIndexCache, current_grid_index, grid_at
from governance.geo.services import area_boundary_set
from governance.tests.geo_factories import box, give_tree_boundaries


@pytest.fixture
def mapped(tree):
    return give_tree_boundaries(tree)


def test_grid_at_finds_the_grid_containing_the_point(mapped):
    assert grid_at(latitude=39.85, longitude=124.02) == mapped["grid_a"]
    assert grid_at(latitude=39.85, longitude=124.07) == mapped["grid_a2"]
    assert grid_at(latitude=39.82, longitude=124.12) == mapped["grid_b"]
    # Inside the community but in no grid, and outside the city.
    assert grid_at(latitude=39.88, longitude=124.18) is None
    assert grid_at(latitude=30.0, longitude=120.0) is None


def test_a_point_on_a_shared_edge_belongs_to_exactly_one_grid(mapped):
    # 124.05 is the edge between 甲村第一网格 and 甲村第二网格: the first by tree path wins, every time.
    first = min(mapped["grid_a"], mapped["grid_a2"], key=lambda a: a.path)
    assert grid_at(latitude=39.85, longitude=124.05) == first


def test_index_agrees_with_a_plain_scan_on_irregular_polygons():
    rng = random.Random(7)
    # 400 random Voronoi cells with holes punched into some: the index must find what a scan finds.
    points = shapely.MultiPoint([(rng.uniform(0, 10), rng.uniform(0, 10)) for _ in range(400)])
    cells = [c.intersection(shapely.box(0, 0, 10, 10)) for c in shapely.voronoi_polygons(points).geoms]
    cells = [c.difference(c.centroid.buffer(0.05)) if i % 5 == 0 else c for i, c in enumerate(cells)]
    index = GridIndex.from_geometries(enumerate(cells, 1))
    probes = [(rng.uniform(-1, 11), rng.uniform(-1, 11)) for _ in range(3000)]
    for x, y in probes:
        point = shapely.Point(x, y)
        expected = next((i for i, c in enumerate(cells, 1) if c.intersects(point)), None)
        assert index.grid_id_at(latitude=y, longitude=x) == expected
    bulk = index.grid_ids_at(latitudes=[y for _, y in probes], longitudes=[x for x, _ in probes])
    assert bulk == [index.grid_id_at(latitude=y, longitude=x) for x, y in probes]


def test_a_change_in_one_process_is_seen_by_another(mapped):
    process_1, process_2 = GridIndexCache(), GridIndexCache()
    here = {"latitude": 39.88, "longitude": 124.12}  # 乙社区, outside 乙社区第一网格 for now
    assert process_1.grid_at(**here) is None
    assert process_2.grid_at(**here) is None
    built = process_2.current()

    # "Process 1" grows the grid to cover the whole community.
    area_boundary_set(area=mapped["grid_b"], boundary=box(124.1, 39.8, 124.2, 39.9), by=None)

    assert process_2.grid_at(**here) == mapped["grid_b"]
    assert process_2.current() is not built
    assert process_1.grid_at(**here) == mapped["grid_b"]
    # Unchanged boundaries: the snapshot is reused, not rebuilt per lookup.
    assert process_2.current() is process_2.current()


def test_removing_a_boundary_takes_the_grid_out_of_the_index(mapped):
    assert grid_at(latitude=39.85, longitude=124.02) == mapped["grid_a"]
    area_boundary_set(area=mapped["grid_a"], boundary=None, by=None)
    assert grid_at(latitude=39.85, longitude=124.02) is None
    assert len(current_grid_index()) == 2


def test_boundary_change_is_audited_and_centre_moves_inside(mapped):
    grid = mapped["grid_a"]
    area_boundary_set(area=grid, boundary=box(124.0, 39.8, 124.02, 39.82), by=None, source="test")
    grid.refresh_from_db()
    assert Polygon([(124.0, 39.8), (124.02, 39.8), (124.02, 39.82), (124.0, 39.82)]).covers(
        shapely.Point(float(grid.longitude), float(grid.latitude))
    )
    entry = AuditLog.objects.filter(action="governance.area.boundary_set", object_id=str(grid.pk)).latest("id")
    assert entry.detail["source"] == "test" and entry.detail["area_m2"] > 3_000_000


@pytest.mark.parametrize(
    "geojson,reason",
    [
        ({"type": "Point", "coordinates": [124, 39]}, "Polygon"),
        ({"type": "Polygon", "coordinates": [[[124, 39], [124.1, 39], [124.1, 39.1], [124, 39.1]]]}, "closed"),
        ({"type": "Polygon", "coordinates": [[[124, 39], [124.1, 39], [124, 39]]]}, "at least 4"),
        (
            {"type": "Polygon", "coordinates": [[[124, 39], [124.1, 39.1], [124.1, 39], [124, 39.1], [124, 39]]]},
            "crosses",
        ),
        ({"type": "Polygon", "coordinates": [[[124, 39], [224, 39], [224, 40], [124, 39]]]}, "WGS-84"),
        ({"type": "Polygon", "coordinates": [[[124, 39], ["a", 39], [124.1, 40], [124, 39]]]}, "numbers"),
    ],
)
def test_unusable_geojson_is_refused_with_a_reason(geojson, reason):
    with translation.override("en"), pytest.raises(BoundaryError, match=reason):
        geometry_from_geojson(geojson)


def test_reasons_are_in_chinese():
    with translation.override("zh-hans"), pytest.raises(BoundaryError, match="闭合"):
        geometry_from_geojson(
            {"type": "Polygon", "coordinates": [[[124, 39], [124.1, 39], [124.1, 39.1], [124, 39.1]]]}
        )


def test_stored_geojson_is_rounded_and_counter_clockwise():
    clockwise = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1.123456789], [1, 1], [1, 0], [0, 0]]]}
    stored = geometry_to_geojson(geometry_from_geojson(clockwise))
    ring = stored["coordinates"][0]
    assert [0, 1.123457] in ring
    assert shapely.LinearRing(ring).is_ccw


def test_a_grid_outside_its_community_or_over_its_neighbour_is_refused(mapped):
    with pytest.raises(ValidationError) as outside:
        area_boundary_set(area=mapped["grid_a"], boundary=box(124.0, 39.8, 124.05, 39.95), by=None)
    assert "甲村" in str(outside.value)
    with pytest.raises(ValidationError) as overlap:
        area_boundary_set(area=mapped["grid_a"], boundary=box(124.0, 39.8, 124.07, 39.9), by=None)
    assert "甲村第二网格" in str(overlap.value)
    mapped["grid_a"].refresh_from_db()
    assert mapped["grid_a"].boundary == geometry_to_geojson(geometry_from_geojson(box(124.0, 39.8, 124.05, 39.9)))
    # A shared edge a few centimetres off is not an overlap.
    area_boundary_set(area=mapped["grid_a"], boundary=box(124.0, 39.8, 124.0500003, 39.9), by=None)


def test_shrinking_a_community_warns_about_its_grids(mapped):
    warnings = area_boundary_set(area=mapped["village_a"], boundary=box(124.0, 39.8, 124.06, 39.9), by=None)
    assert any("甲村第二网格" in w for w in warnings)


def test_only_grids_are_found(mapped):
    assert Area.objects.filter(boundary__isnull=False).count() == 8
    assert len(current_grid_index()) == 3
