"""Background tasks (django-tasks; `manage.py db_worker` runs them, tests use the ImmediateBackend)."""

from __future__ import annotations

from django_tasks import task

from dashboards import registry
from dashboards.services.rollups import rollup_rebuild


@task()
def tree_rollups_rebuild_task(tree: str) -> str:
    """Rebuild the dashboards that hang on `tree` (after a node of it moved: every figure summed
    into the ancestors it left or joined differs)."""
    runs = [rollup_rebuild(dashboard=d) for d in registry.all_dashboards() if d.tree == tree]
    return ", ".join(f"{r.dashboard}: {r.corrected} corrected" for r in runs)
