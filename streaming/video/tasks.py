"""Background tasks (django-tasks; `manage.py db_worker` runs them, tests use the ImmediateBackend)."""

from __future__ import annotations

from django_tasks import task

from streaming.video.services.recording import replay_make


@task()
def replay_make_task(event_id: int) -> str:
    """Turn an ended event's recording into a replay lesson (see streaming.video.services.recording)."""
    return replay_make(event_id=event_id)
