"""What the villages app announces to the rest of the platform, always after the commit.

- `year_changed(village_year_id)`: a village's year changed — its figures, its state (submitted,
  locked, sent back) or its industries.

Receivers must be quick and must not fail the request: they run after the commit with errors
logged (the dashboards keep their rollups with them and reconcile from the records).
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

year_changed = Signal()


def announce_year_changed(village_year_id: int) -> None:
    transaction.on_commit(lambda: year_changed.send(sender=None, village_year_id=village_year_id), robust=True)
