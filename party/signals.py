"""What the party app announces to the rest of the platform, always after the commit.

- `member_changed(member_id)`: a member record was saved, moved to another branch or confirmed
  (its status, branch, age, education, occupation, mobility or talent may differ).
- `life_changed(org_ids)`: organisational-life meetings of these organisations were entered,
  changed or linked in from live lessons and courses.

Receivers must be quick and must not fail the request: they run after the commit with errors
logged (the dashboards keep their rollups with them and reconcile from the records).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

member_changed = Signal()
life_changed = Signal()


def announce_member_changed(member_id: int) -> None:
    transaction.on_commit(lambda: member_changed.send(sender=None, member_id=member_id), robust=True)


def announce_life_changed(org_ids: Iterable[int]) -> None:
    ids = sorted(set(org_ids))
    if ids:
        transaction.on_commit(lambda: life_changed.send(sender=None, org_ids=ids), robust=True)
