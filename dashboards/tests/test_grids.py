"""The governance dashboard's grid figures: visits recorded, due and overdue; households by status;
residents with care tags — kept by the grid services' announcements (after commit), equal to the
live computation and to a rebuild, and seen by each person only for their own place in the tree."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import registry
from dashboards.models import Rollup
from dashboards.screen import screen_snapshot
from dashboards.selectors import Period, figures_from_rollups, month_end, parse_period
from dashboards.services.rollups import rollup_rebuild
from dashboards.sources import grids
from dashboards.tests.factories import assert_rollups_match_live
from governance.models import CareTag, Household, Visit
from governance.reports.tests.factories import World
from governance.services.households import household_update
from governance.services.residents import resident_move_out, resident_save
from governance.services.visits import visit_record
from governance.tests.factories import household_of, make_building

GOVERNANCE = registry.get("governance")
DEPARTMENT = registry.get("department")
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
# Past visits and future visit dates, without a century of months for the review's live figures.
AROUND_NOW = Period((TODAY - 400 * DAY).replace(day=1), month_end(TODAY + 120 * DAY))


def matches_live() -> int:
    return assert_rollups_match_live(GOVERNANCE, period=AROUND_NOW)


def register(w, household, name: str, *tags: str):
    return resident_save(
        by=w.grid_worker,
        household=household,
        data={"name": name, "birth_year": 1948, "relation": "head"},
        care_tags=list(CareTag.objects.filter(code__in=tags)),
    )


@pytest.fixture
def w(db, settings, tmp_path, django_capture_on_commit_callbacks):
    """Through the services only: a building per grid, an elder living alone in grid_a and in grid_b
    (weekly visits, never visited: due today), a left-behind child in grid_a2, a rented home in grid_a."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    world = World()
    with django_capture_on_commit_callbacks(execute=True):
        world.homes = {k: household_of(make_building(world.tree[k]), "1-101") for k in ("grid_a", "grid_a2", "grid_b")}
        world.elder_a = register(world, world.homes["grid_a"], "王秀兰", "elderly_alone")
        world.child_a2 = register(world, world.homes["grid_a2"], "孙小明", "left_behind_child", "low_income")
        world.elder_b = register(world, world.homes["grid_b"], "赵德胜", "elderly_alone")
        rented = household_of(world.homes["grid_a"].building, "2-201")
        household_update(by=world.grid_worker, household=rented, data={"status": Household.Status.RENTED})
    return world


def nonzero(values: dict) -> dict:
    return {k: v for k, v in values.items() if v}


def figures(node):
    return figures_from_rollups(GOVERNANCE, node, parse_period({}))


def test_the_grid_services_keep_the_figures(w):
    city, town_a, town_b = w.tree["city"], w.tree["town_a"], w.tree["town_b"]
    f = figures(city)
    # Each building has 2 units × 3 floors × 2 rooms = 12 homes; three lived in, one rented.
    assert f[grids.HOUSEHOLDS].total == 36
    assert f[grids.HOUSEHOLDS_OWNER].total == 3 and f[grids.HOUSEHOLDS_RENTED].total == 1
    assert f[grids.HOUSEHOLDS_VACANT].total == 32
    assert nonzero(f[grids.HOUSEHOLDS_RENTED].child) == {town_a.pk: 1.0}
    assert f[grids.TAGGED].total == 3 and nonzero(f[grids.TAGGED].child) == {town_a.pk: 2.0, town_b.pk: 1.0}
    tags = {c.code: str(c.pk) for c in CareTag.objects.all()}
    assert nonzero(f[grids.CARE_TAGS].key) == {
        tags["elderly_alone"]: 2.0,
        tags["left_behind_child"]: 1.0,
        tags["low_income"]: 1.0,
    }
    # Never visited: due today, nothing overdue yet.
    assert f[grids.VISITS_DUE].total == 3 and f[grids.VISITS_OVERDUE].total == 0
    assert nonzero(f[grids.VISITS_DUE].child) == {town_a.pk: 2.0, town_b.pk: 1.0}
    assert matches_live() > 0


def test_a_recorded_visit_moves_the_figures_after_the_commit(w, django_capture_on_commit_callbacks):
    town_a, village_a, grid_a = w.tree["town_a"], w.tree["village_a"], w.tree["grid_a"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        visit_record(resident=w.elder_a, by=w.grid_worker, visited_on=TODAY, outcome=Visit.Outcome.NEEDS_HELP)
    assert figures(town_a)[grids.VISITS_DONE].total == 0  # nothing before the commit
    for callback in callbacks:
        callback()

    f = figures(town_a)
    assert f[grids.VISITS_DONE].total == 1
    assert nonzero(f[grids.VISITS_DONE].key) == {Visit.Outcome.NEEDS_HELP: 1.0}
    assert nonzero(f[grids.VISITS_DONE].month) == {TODAY.replace(day=1): 1.0}
    assert nonzero(f[grids.VISITS_DONE].child) == {village_a.pk: 1.0}
    # Weekly: visited today, due again in seven days — out of this week's list.
    assert f[grids.VISITS_DUE].total == 1 and nonzero(f[grids.VISITS_DUE].child) == {village_a.pk: 1.0}
    assert figures(grid_a)[grids.VISITS_DUE].total == 0

    # A visit entered late (three weeks ago) for the elder in grid_b: overdue since two weeks.
    with django_capture_on_commit_callbacks(execute=True):
        visit_record(resident=w.elder_b, by=w.grid_worker_b, visited_on=TODAY - 21 * DAY, outcome=Visit.Outcome.NORMAL)
    city = figures(w.tree["city"])
    assert city[grids.VISITS_OVERDUE].total == 1
    assert nonzero(city[grids.VISITS_OVERDUE].child) == {w.tree["town_b"].pk: 1.0}
    assert city[grids.VISITS_DONE].total == 2
    screen = {f["key"]: f["value"] for f in screen_snapshot()["figures"]}
    assert screen["visits_today"] == 1 and screen["visits_overdue"] == 1
    assert matches_live() > 0
    # What the events kept is what a rebuild from the records gives.
    assert rollup_rebuild(dashboard=GOVERNANCE).corrected == 0


def test_residents_moving_and_homes_changing_keep_the_rebuild_equal(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # The elder moves from grid_a to grid_b's building, then the child's family moves out.
        resident_save(
            by=w.grid_worker,
            household=household_of(w.homes["grid_b"].building, "2-301"),
            data={"name": "王秀兰"},
            resident=w.elder_a,
        )
        resident_move_out(by=w.grid_worker, resident=w.child_a2, on=TODAY)
        household_update(by=w.grid_worker, household=w.homes["grid_a2"], data={"status": Household.Status.VACANT})
        visit_record(resident=w.elder_b, by=w.grid_worker_b, visited_on=TODAY - 9 * DAY, outcome=Visit.Outcome.NORMAL)
    f = figures(w.tree["city"])
    assert nonzero(f[grids.TAGGED].child) == {w.tree["town_b"].pk: 2.0}
    assert f[grids.VISITS_OVERDUE].total == 1 and f[grids.VISITS_DUE].total == 1
    assert f[grids.HOUSEHOLDS_OWNER].total == 3  # grid_a's first home stays lived in (by the record)
    assert matches_live() > 0
    assert rollup_rebuild(dashboard=GOVERNANCE).corrected == 0


def test_the_reconcile_restores_lost_figures(w):
    Rollup.objects.filter(metric__in=[grids.VISITS_NEXT_DUE, grids.TAGGED]).delete()
    Rollup.objects.filter(metric=grids.HOUSEHOLDS_VACANT).update(value=0)
    assert figures(w.tree["city"])[grids.VISITS_DUE].total == 0
    run = rollup_rebuild(dashboard=GOVERNANCE)
    assert run.corrected > 0
    assert figures(w.tree["city"])[grids.VISITS_DUE].total == 3
    assert matches_live() > 0


GRID_CHARTS = {c.key for c in grids.CHARTS}


def _charts(response) -> dict:
    return {c.key: c for c in response.context["charts"]}


def test_each_person_sees_their_own_place(w, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        visit_record(resident=w.elder_b, by=w.grid_worker_b, visited_on=TODAY, outcome=Visit.Outcome.NORMAL)
    url = reverse("dashboards:dashboard", args=["governance"])
    tree = w.tree
    # person → (default node, areas they may open)
    matrix = {
        "ops": ("city", set(tree)),
        "town_b": ("town_b", {"town_b", "village_b", "grid_b"}),
        "community": ("village_a", {"village_a", "grid_a", "grid_a2"}),
        "grid_worker": ("grid_a", {"grid_a"}),
        "staff": (None, set()),  # a department: its reports, never residents' figures
        "reporter": (None, set()),  # a resident
    }
    for person, (home, allowed) in matrix.items():
        client.force_login(getattr(w, person))
        response = client.get(url)
        if home is None:
            assert response.status_code == 404, person
        else:
            assert response.status_code == 200 and response.context["node"] == tree[home], person
        for name, area in tree.items():
            status = 200 if name in allowed else 404
            for view in ("dashboards:dashboard", "dashboards:export", "dashboards:records"):
                got = client.get(reverse(view, args=["governance"]), {"node": area.pk}).status_code
                assert got == status, (person, name, view)

    client.force_login(w.town_b)
    charts = _charts(client.get(url))
    assert charts["visits_by_area"].rows == [[tree["village_b"].name, 0, 0, 1]]
    assert charts["care_by_area"].rows == [[tree["village_b"].name, 1]]
    assert [row[0] for row in charts["households_by_area"].rows] == [tree["village_b"].name]

    # Drill-down city → town → community → grid, each level's bars linking to the next.
    client.force_login(w.ops)
    node = tree["city"]
    for child in ("town_a", "village_a", "grid_a"):
        charts = _charts(client.get(url, {"node": node.pk}))
        links = dict(zip(charts["households_by_area"].categories, charts["households_by_area"].links, strict=True))
        assert f"node={tree[child].pk}" in links[tree[child].name]
        node = tree[child]
    leaf = _charts(client.get(url, {"node": node.pk}))
    assert leaf["households"].series[0]["data"] == [10, 1, 1]  # vacant, owner-occupied, rented

    # The department's dashboard has no residents' figures at all.
    client.force_login(w.staff)
    response = client.get(reverse("dashboards:dashboard", args=["department"]))
    assert response.status_code == 200 and not GRID_CHARTS & set(_charts(response))
    assert not {m.key for m in DEPARTMENT.metrics} & {m.key for m in grids.METRICS}


def test_areas_keep_the_trees_order_whatever_the_counts(w, client, django_capture_on_commit_callbacks):
    """No league tables: bars by area follow the tree, not the figures."""
    with django_capture_on_commit_callbacks(execute=True):
        for days in (1, 2, 3):
            visit_record(resident=w.elder_b, by=w.grid_worker_b, visited_on=TODAY - days * DAY, outcome="normal")
    client.force_login(w.ops)
    charts = _charts(client.get(reverse("dashboards:dashboard", args=["governance"])))
    assert [row[0] for row in charts["visits_by_area"].rows] == [w.tree["town_a"].name, w.tree["town_b"].name]
    assert charts["visits_by_area"].rows[1][3] == 3


VISIT_METRICS = (grids.VISITS_DONE, grids.VISITS_OVERDUE, grids.VISITS_DUE, grids.VISITS_NEXT_DUE)
REGISTER_METRICS = (
    grids.HOUSEHOLDS_VACANT,
    grids.HOUSEHOLDS_OWNER,
    grids.HOUSEHOLDS_RENTED,
    grids.TAGGED,
    grids.CARE_TAGS,
)


def test_each_grid_figure_clicks_through_to_the_records_behind_it(w, client, django_capture_on_commit_callbacks):
    """Role by role: the list behind every grid figure a person may open (visits, households, care
    tags) counts what the figure says, lists residents masked, and is audited; elsewhere a 404 as
    for the figures themselves."""
    from core.models import AuditLog

    with django_capture_on_commit_callbacks(execute=True):
        visit_record(resident=w.elder_a, by=w.grid_worker, visited_on=TODAY, outcome=Visit.Outcome.NEEDS_HELP)
        visit_record(resident=w.elder_b, by=w.grid_worker_b, visited_on=TODAY - 21 * DAY, outcome="normal")
    tree = w.tree
    url = reverse("dashboards:records", args=["governance"])
    period = parse_period({})
    months = {"from": f"{period.start:%Y-%m}", "to": f"{period.end:%Y-%m}"}
    # person → the areas whose visit records they may open
    matrix = {
        "ops": set(tree),
        "town_b": {"town_b", "village_b", "grid_b"},
        "community": {"village_a", "grid_a", "grid_a2"},
        "grid_worker": {"grid_a"},
        "staff": set(),  # a department: no residents
        "reporter": set(),  # a resident
    }
    seen = 0
    for person, allowed in matrix.items():
        client.force_login(getattr(w, person))
        for name, area in tree.items():
            f = figures(area)
            for metric in VISIT_METRICS + REGISTER_METRICS:
                response = client.get(url, {"node": area.pk, "metric": metric, **months})
                if name not in allowed:
                    assert response.status_code == 404, (person, name, metric)
                    continue
                assert response.status_code == 200, (person, name, metric)
                assert response.context["page"].paginator.count == f[metric].total, (person, name, metric)
                seen += bool(f[metric].total)
    assert seen > 10
    client.logout()
    assert client.get(url, {"node": tree["city"].pk, "metric": grids.VISITS_DONE}).status_code == 302

    # From the centre's chart: each bar's figure links to its own list, whose count is the figure.
    client.force_login(w.ops)
    before = AuditLog.objects.filter(action="dashboards.records.view").count()
    charts = _charts(client.get(reverse("dashboards:dashboard", args=["governance"])))
    by_area = charts["visits_by_area"]
    followed = 0
    for _link, _area, cells in by_area.table:
        for value, link in cells:
            assert bool(link) == bool(value)
            if link:
                assert client.get(link).context["page"].paginator.count == value
                followed += 1
    assert followed == 4  # 甲镇: due 1, recorded 1; 乙街道: overdue 1, recorded 1
    outcomes = {first: cells[0][1] for _link, first, cells in charts["visit_outcomes"].table}
    needs_help = client.get(outcomes[str(Visit.Outcome.NEEDS_HELP.label)])
    body = needs_help.content.decode()
    assert needs_help.context["page"].paginator.count == 1
    assert "王*兰" in body and "王秀兰" not in body  # masked, as in governance's lists
    assert AuditLog.objects.filter(action="dashboards.records.view").count() > before
    assert dict(charts["visits_by_area"].record_links)  # the provenance lists each metric's records
    # Residents by care tag: each tag's slice lists that tag's residents.
    for value, link in (cells[0] for _link, _first, cells in charts["care_tags"].table):
        assert client.get(link).context["page"].paginator.count == value
    # A metric without records of its own, or an unknown one: 404.
    assert client.get(url, {"node": tree["city"].pk, "metric": grids.HOUSEHOLDS}).status_code == 404
    assert client.get(url, {"node": tree["city"].pk, "metric": "nope"}).status_code == 404
