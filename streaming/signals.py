"""What the live-events app announces to the rest of the platform, always after the commit.

- `participation_changed(event_id, what)`: an event's figures may have changed — it went on air,
  ended or was cancelled (`what="state"`), a venue checked in (`"check_in"`), or someone watching
  on their own started to count (`"viewer"`).

Receivers must be quick and must not fail the request: they run after the commit with errors
logged (the dashboards keep their rollups with them and reconcile from the records).
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

participation_changed = Signal()


def announce_participation(event_id: int, what: str) -> None:
    transaction.on_commit(lambda: participation_changed.send(sender=None, event_id=event_id, what=what), robust=True)
