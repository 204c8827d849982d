"""The scheduled reconcile: once a day from ROLLUPS_RECONCILE_HOUR, in one process only, repairing
figures that no announcement kept (here: households written without their after-commit callbacks)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboards import registry
from dashboards.models import Rollup, RollupReconcileDay, RollupRun
from dashboards.selectors import figures_from_rollups, parse_period
from dashboards.services.reconcile import STALE_AFTER, rollups_reconcile_daily
from dashboards.sources import grids
from governance.tests.factories import make_building

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def unannounced(tree, settings):
    """Twelve homes in a grid whose announcement never ran (the test's transaction never commits)."""
    settings.ROLLUPS_RECONCILE_HOUR = 3
    make_building(tree["grid_a"])
    assert not Rollup.objects.filter(metric=grids.HOUSEHOLDS_VACANT).exists()
    return tree


def households(tree) -> float:
    return figures_from_rollups(registry.get("governance"), tree["city"], parse_period({}))[grids.HOUSEHOLDS].total


def test_it_runs_once_a_day_from_the_hour(unannounced):
    assert rollups_reconcile_daily(at=at(TODAY, 2, 59)) is None
    assert not RollupRun.objects.exists() and households(unannounced) == 0

    done = rollups_reconcile_daily(at=at(TODAY, 3, 0))
    assert done is not None and done.day == TODAY and done.finished_at is not None and done.corrected > 0
    assert households(unannounced) == 12
    runs = RollupRun.objects.count()
    assert runs == len(registry.all_dashboards())

    for later in (at(TODAY, 3, 1), at(TODAY, 23, 59)):
        assert rollups_reconcile_daily(at=later) is None
    assert RollupRun.objects.count() == runs

    again = rollups_reconcile_daily(at=at(TODAY + DAY, 4))
    assert again is not None and again.corrected == 0  # nothing drifted since
    assert RollupRun.objects.count() == 2 * runs


def test_a_running_claim_keeps_others_out_until_it_is_stale(unannounced):
    started = at(TODAY, 3)
    RollupReconcileDay.objects.create(day=TODAY, started_at=started)  # another process, still working
    assert rollups_reconcile_daily(at=started + STALE_AFTER - datetime.timedelta(minutes=1)) is None
    assert households(unannounced) == 0

    # Its process died: after STALE_AFTER the day's reconcile is taken over, once.
    taken = rollups_reconcile_daily(at=started + STALE_AFTER + datetime.timedelta(minutes=1))
    assert taken is not None and taken.finished_at is not None
    assert households(unannounced) == 12
    assert rollups_reconcile_daily(at=started + 2 * STALE_AFTER) is None
    assert RollupReconcileDay.objects.count() == 1


def test_the_command(unannounced, settings):
    settings.ROLLUPS_RECONCILE_HOUR = 0
    out = io.StringIO()
    call_command("rollups_reconcile", "--daily", stdout=out)
    call_command("rollups_reconcile", "--daily", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"reconciled {timezone.localdate()}:") and lines[1] == "not due"
    assert households(unannounced) == 12
