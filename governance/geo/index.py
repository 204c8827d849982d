"""Point → grid: which grid contains a coordinate (拍一拍 reports find their grid with it).

Each process keeps an STRtree over the grids' prepared polygons. The index is rebuilt lazily: the
`geo.boundaries` change counter (core.Generation) is bumped in the same transaction as any boundary
change, and every lookup through `grid_at` compares it with the value the index was built from (read
in the same query as the grid's row), so a change made by any process is seen by every process's
next lookup. Bulk callers (imports, benchmarks) take a snapshot with `current_grid_index()`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from core.generation import generation_bump, generation_read
from core.models import Area, Generation
from governance.geo.geometry import BoundaryError, BoundaryGeometry, geometry_from_geojson

BOUNDARY_GENERATION = "geo.boundaries"


def boundaries_changed() -> None:
    """Call inside the transaction that changes any area's boundary."""
    generation_bump(BOUNDARY_GENERATION)


@dataclass(frozen=True)
class GridIndex:
    """An immutable snapshot: grid ids and their polygons in an STRtree."""

    ids: np.ndarray
    geometries: np.ndarray
    tree: STRtree
    version: int

    @classmethod
    def from_geometries(cls, items: Iterable[tuple[int, BoundaryGeometry]], *, version: int = 0) -> GridIndex:
        pairs = list(items)
        ids = np.array([pk for pk, _ in pairs], dtype=np.int64)
        geometries = np.array([g for _, g in pairs], dtype=object)
        shapely.prepare(geometries)  # prepared polygons answer "contains" in O(log n) per test
        return cls(ids=ids, geometries=geometries, tree=STRtree(geometries), version=version)

    @classmethod
    def from_database(cls, *, version: int) -> GridIndex:
        rows = (
            Area.objects.filter(level=Area.Level.GRID, boundary__isnull=False)
            .order_by("path")
            .values_list("pk", "boundary")
        )
        items = []
        for pk, boundary in rows.iterator(chunk_size=2000):
            try:
                items.append((pk, geometry_from_geojson(boundary)))
            except BoundaryError:
                continue  # only the services write boundaries; a hand-edited bad row is skipped, not fatal
        return cls.from_geometries(items, version=version)

    def __len__(self) -> int:
        return len(self.ids)

    def grid_id_at(self, *, latitude: float, longitude: float) -> int | None:
        """The grid containing the point (on a shared edge: the first by tree path), or None."""
        hits = self.tree.query(shapely.Point(longitude, latitude), predicate="intersects")
        if not len(hits):
            return None
        return int(self.ids[hits.min()])

    def grid_ids_at(self, *, latitudes: Sequence[float], longitudes: Sequence[float]) -> list[int | None]:
        """Many points at once (vectorised in GEOS)."""
        points = shapely.points(np.asarray(longitudes, dtype=float), np.asarray(latitudes, dtype=float))
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        found: list[int | None] = [None] * len(points)
        for p, g in zip(point_idx.tolist(), geom_idx.tolist(), strict=True):
            current = found[p]
            # The tree returns pairs in no particular order: keep the lowest geometry index.
            if current is None or g < current:
                found[p] = g
        return [None if g is None else int(self.ids[g]) for g in found]


@functools.cache
def _grid_and_version_sql() -> str:
    # Every column but the boundary (kilobytes of JSON the caller does not want).
    columns = ", ".join(f'a."{f.column}"' for f in Area._meta.concrete_fields if f.name != "boundary")
    # Identifiers come from the model's meta, values are parameters: nothing user-supplied is formatted in.
    area, generation = Area._meta.db_table, Generation._meta.db_table
    subquery = f"(SELECT g.value FROM {generation} g WHERE g.name = %s) AS boundary_version"  # noqa: S608
    return f"SELECT {columns}, {subquery} FROM {area} a WHERE a.id = %s AND a.level = %s"  # noqa: S608


class GridIndexCache:
    """The index one process holds. Module-level `_process_index` is the real one; tests make
    several instances to play several processes."""

    def __init__(self) -> None:
        self._index: GridIndex | None = None
        self._lock = threading.Lock()

    def current(self) -> GridIndex:
        version = generation_read(BOUNDARY_GENERATION)
        index = self._index
        if index is None or index.version != version:
            with self._lock:  # one rebuild per process, other threads wait for it
                index = self._index
                if index is None or index.version != version:
                    # Read the counter before the rows: an index may be labelled older than its
                    # data (and rebuilt once more), never newer.
                    index = GridIndex.from_database(version=version)
                    self._index = index
        return index

    def grid_at(self, *, latitude: float, longitude: float) -> Area | None:
        index = self._index
        if index is not None:
            grid_id = index.grid_id_at(latitude=latitude, longitude=longitude)
            if grid_id is not None:
                # One query for the grid and the counter: the answer stands when the counter is
                # still the value this index was built from (else rebuild and look again). Raw SQL:
                # the ORM spends several times longer building this query than the database runs it.
                rows = list(Area.objects.raw(_grid_and_version_sql(), [BOUNDARY_GENERATION, grid_id, Area.Level.GRID]))
                area = rows[0] if rows else None
                if area is not None and (area.boundary_version or 0) == index.version:
                    return area
        grid_id = self.current().grid_id_at(latitude=latitude, longitude=longitude)
        if grid_id is None:
            return None
        return Area.objects.filter(pk=grid_id, level=Area.Level.GRID).defer("boundary").first()


_process_index = GridIndexCache()


def current_grid_index() -> GridIndex:
    """This process's up-to-date snapshot (for many lookups in a row)."""
    return _process_index.current()


def grid_at(*, latitude: float, longitude: float) -> Area | None:
    """The grid whose boundary contains the WGS-84 point, or None outside every grid."""
    return _process_index.grid_at(latitude=float(latitude), longitude=float(longitude))
