"""The rollups equal the live GROUP BY on the demo data, as `seed_demo` leaves them (its last step
rebuilds them)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from dashboards import registry
from dashboards.selectors import Period
from dashboards.services.rollups import rollup_rebuild
from dashboards.tests.factories import assert_rollups_match_live

SCALE = 0.02


def test_demo_data_rollups_equal_the_live_computation(demo_seeded, db):
    # The demo's records lie within a few years of today; a century of months made the live
    # side of this comparison take many minutes.
    today = timezone.localdate()
    demo_years = Period(datetime.date(today.year - 10, 1, 1), datetime.date(today.year + 1, 12, 31))
    for dashboard in registry.all_dashboards():
        with_figures = assert_rollups_match_live(dashboard, period=demo_years)
        if dashboard.key in ("learning", "live"):  # the parts whose demo data exists today
            assert with_figures > 0, dashboard.key
        assert rollup_rebuild(dashboard=dashboard).corrected == 0
