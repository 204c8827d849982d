"""Background tasks (django-tasks; `manage.py db_worker` runs them, tests use the ImmediateBackend)."""

from __future__ import annotations

from django_tasks import task

from governance.services.imports import import_job_run


@task()
def import_job_run_task(job_id: int, attempt: int) -> str:
    """Check and import one uploaded Excel workbook (see governance.services.imports)."""
    return import_job_run(job_id=job_id, attempt=attempt)
