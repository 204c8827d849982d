"""Demo data: the rollups rebuilt from everything the earlier steps seeded (last of all)."""

from __future__ import annotations

from core.demo.registry import DemoContext, demo_step
from dashboards import registry
from dashboards.services.rollups import rollup_rebuild


@demo_step(order=900, models=("dashboards.Rollup", "dashboards.RollupSource"))
def rebuild_rollups(ctx: DemoContext) -> str:
    # Not skipped when rows exist: the earlier steps may have added records on this run, and a
    # rebuild that finds nothing to correct writes nothing.
    runs = [rollup_rebuild(dashboard=d, record_unchanged=False) for d in registry.all_dashboards()]
    return ", ".join(f"{r.dashboard}: {r.rows} rows ({r.corrected} corrected)" for r in runs)
