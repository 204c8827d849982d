"""What the learning app announces to the rest of the platform, always after the commit.

- `learning_credited(user_id, course_id, day, seconds)`: a member's learning record grew by
  `seconds` on `day` (local date) in a lesson of `course_id`.
- `lesson_completed(user_id, course_id, lesson_id, completed_at)`: a member finished a lesson.

Receivers must be quick and must not fail the member's request: they run after the commit with
errors logged (the dashboards keep their rollups with them and reconcile from the records).
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

learning_credited = Signal()
lesson_completed = Signal()


def announce(signal: Signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs), robust=True)
