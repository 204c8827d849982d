"""What the grid registers announce to the rest of the platform, always after the commit.

- `grids_changed(grid_ids)`: households or residents of these grids changed (a household's status,
  a resident registered, re-tagged, moved or moved out, a visit plan moved, buildings saved or
  imported): anything counted per grid may differ.
- `visit_recorded(visit_id, grid_id, visited_on, outcome)`: a new visit was saved (a repeat of the
  same visit is not announced again).

Receivers must be quick and must not fail the request: they run after the commit with errors
logged (the dashboards keep their rollups with them and reconcile from the records).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

grids_changed = Signal()
visit_recorded = Signal()


def announce_grids_changed(grid_ids: Iterable[int | None]) -> None:
    ids = sorted({int(g) for g in grid_ids if g})
    if ids:
        transaction.on_commit(lambda: grids_changed.send(sender=None, grid_ids=ids), robust=True)


def announce_visit_recorded(*, visit_id: int, grid_id: int, visited_on: datetime.date, outcome: str) -> None:
    transaction.on_commit(
        lambda: visit_recorded.send(
            sender=None, visit_id=visit_id, grid_id=grid_id, visited_on=visited_on, outcome=outcome
        ),
        robust=True,
    )
