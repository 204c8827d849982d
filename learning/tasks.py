"""Background tasks (django-tasks; `manage.py db_worker` runs them, tests use the ImmediateBackend)."""

from __future__ import annotations

from django_tasks import task

from learning.services.media import media_asset_process


@task()
def media_asset_process_task(asset_id: int, attempt: int) -> str:
    """Probe, transcode and store one uploaded media file (see learning.services.media)."""
    return media_asset_process(asset_id=asset_id, attempt=attempt)
