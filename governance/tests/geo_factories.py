"""Boundaries for the shared test tree (core.tests.factories.make_tree), set through the service.

city 124.0–124.2 E × 39.8–40.0 N
├ 甲镇 west half          └ 甲村 its southern half: 甲村第一网格 (west) | 甲村第二网格 (east)
└ 乙街道 east half        └ 乙社区 its southern half: 乙社区第一网格 (its south-west quarter)
"""

from __future__ import annotations

from core.models import Area
from governance.geo.services import area_boundary_set


def box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


TREE_BOXES = {
    "city": (124.0, 39.8, 124.2, 40.0),
    "town_a": (124.0, 39.8, 124.1, 40.0),
    "town_b": (124.1, 39.8, 124.2, 40.0),
    "village_a": (124.0, 39.8, 124.1, 39.9),
    "village_b": (124.1, 39.8, 124.2, 39.9),
    "grid_a": (124.0, 39.8, 124.05, 39.9),
    "grid_a2": (124.05, 39.8, 124.1, 39.9),
    "grid_b": (124.1, 39.8, 124.15, 39.85),
}


def give_tree_boundaries(tree: dict[str, Area]) -> dict[str, Area]:
    for key, bounds in TREE_BOXES.items():  # parents first: children are checked against them
        area_boundary_set(area=tree[key], boundary=box(*bounds), by=None, source="test")
    return tree
