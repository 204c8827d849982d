"""The demo steps on a small city: consistent rows (the rollups equal the live computation), every kind
of outcome, idempotent; and the registry finds the steps of nested apps like this one."""

from __future__ import annotations

import random

import pytest

from core.demo import names
from core.demo.registry import DemoContext, discover, run_step
from core.models import Department
from governance.reports.demo import steps
from governance.reports.models import Rating, Report, ReportEvent, ReviewRollup
from governance.reports.services.rollups import live_figures

from .factories import World

pytestmark = pytest.mark.django_db


def test_nested_apps_steps_are_discovered():
    found = {s.name: s.order for s in discover()}
    assert found["governance.reports_categories_and_rules"] == 450
    assert found["governance.reports_rollups"] == 469


def test_demo_history_is_consistent_with_its_rollups(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    w = World()
    for i, name in enumerate(names.DEPARTMENTS):
        Department.objects.get_or_create(name=name, defaults={"code": f"demo-{i}", "city": w.tree["city"]})
    ctx = DemoContext(scale=0.2, password="x", rng=random.Random(1), log=lambda _m: None)
    by_name = {s.name: s for s in discover()}
    for name in ("governance.reports_categories_and_rules", "governance.reports_history", "governance.reports_rollups"):
        assert not run_step(by_name[name], ctx).startswith("skipped")
    assert Report.objects.count() == round(steps.REPORT_TOTAL * 0.2)
    statuses = set(Report.objects.values_list("status", flat=True))
    assert {Report.Status.CLOSED, Report.Status.SIGNED} <= statuses
    assert Report.objects.filter(reopened_count=1).exists()
    assert Report.objects.filter(rating=Rating.NOT_RATED).exists()
    assert (
        ReportEvent.objects.filter(action="return").exists() and ReportEvent.objects.filter(action="arbitrate").exists()
    )
    for report in Report.objects.all()[:50]:
        seqs = list(report.events.values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1)) and report.version == len(seqs)
    for row in ReviewRollup.objects.all()[:200]:
        figures = {f: getattr(row, f) for f in ReviewRollup.FIGURES}
        assert (
            live_figures(
                period=row.period,
                period_start=row.period_start,
                department_id=row.department_id_key,
                area_id=row.area_id_key,
            )
            == figures
        )
    # A second run adds nothing.
    for name in ("governance.reports_categories_and_rules", "governance.reports_history", "governance.reports_rollups"):
        assert run_step(by_name[name], ctx).startswith("skipped")
