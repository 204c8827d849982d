"""Grassroots governance: reports filed and moved through governance.reports' services keep our
rollups equal to the live GROUP BY; the review's rates read from that app's rollups equal its live
computation; a department sees its own figures, a town its town, the centre the departments' ranking."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.services.trees import area_update
from dashboards import registry
from dashboards.selectors import figures_from_rollups, figures_live, parse_period
from dashboards.tests.factories import assert_rollups_match_live
from governance.reports.models import Rating
from governance.reports.services import workflow as wf
from governance.reports.tests.factories import World

GOVERNANCE = registry.get("governance")
DEPARTMENT = registry.get("department")


@pytest.fixture
def w(db, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    world = World()
    with django_capture_on_commit_callbacks(execute=True):
        one = world.submit(where="grid_a")
        two = world.submit(where="grid_a2")
        world.submit(where="grid_b", category=world.unruled)  # no rule: waits for the centre
        wf.report_sign(report=one, by=world.staff)
        wf.report_resolve(report=one, by=world.staff, result="已处理")
        wf.report_rate(report=one, by=world.reporter, rating=Rating.SATISFIED, comment="")
        wf.report_sign(report=two, by=world.staff)
    return world


def test_reports_and_rates_equal_the_live_computation(w):
    period = parse_period({})
    city = w.tree["city"]
    rolled = figures_from_rollups(GOVERNANCE, city, period)
    assert rolled["reports.received"].total == 3
    assert rolled["reports.open"].total == 2
    assert rolled["reports.assigned"].total == 2 and rolled["reports.resolved"].total == 1
    assert rolled["reports.completion_rate"].total == 50.0
    assert rolled["reports.satisfaction_rate"].total == 100.0
    assert rolled["reports.completion_rate"].key == {str(w.department.pk): 50.0}
    live = figures_live(GOVERNANCE, city, period)
    for key in rolled:
        assert rolled[key].as_plain(4) == live[key].as_plain(4), key
    assert assert_rollups_match_live(GOVERNANCE) > 0
    assert assert_rollups_match_live(DEPARTMENT) == 1


def test_each_sees_their_own(w, client):
    client.force_login(w.town_b)
    response = client.get(reverse("dashboards:dashboard", args=["governance"]))
    assert response.status_code == 200 and response.context["node"] == w.tree["town_b"]
    charts = {c.key: c for c in response.context["charts"]}
    assert charts["departments"].rows == []  # the ranking is the centre's
    assert (
        client.get(reverse("dashboards:dashboard", args=["governance"]), {"node": w.tree["town_a"].pk}).status_code
        == 404
    )
    assert client.get(reverse("dashboards:dashboard", args=["department"])).status_code == 404

    client.force_login(w.staff)
    response = client.get(reverse("dashboards:dashboard", args=["department"]))
    assert response.status_code == 200 and response.context["node"] == w.department
    other = reverse("dashboards:dashboard", args=["department"]) + f"?node={w.other_department.pk}"
    assert client.get(other).status_code == 404
    assert client.get(reverse("dashboards:dashboard", args=["governance"])).status_code == 404

    client.force_login(w.ops)
    response = client.get(reverse("dashboards:dashboard", args=["governance"]))
    ranking = {c.key: c for c in response.context["charts"]}["departments"]
    assert ranking.rows[0][0] == w.department.name
    records = client.get(reverse("dashboards:records", args=["governance"]))
    assert len(records.context["rows"]) == 3


def test_a_community_moved_to_another_town_takes_its_figures_along(w, django_capture_on_commit_callbacks):
    period = parse_period({})
    village, town_a, town_b = w.tree["village_a"], w.tree["town_a"], w.tree["town_b"]
    assert figures_from_rollups(GOVERNANCE, town_b, period)["reports.received"].total == 1

    with django_capture_on_commit_callbacks(execute=True):
        area_update(area=village, parent=town_b, code=village.code, by=w.ops)

    assert figures_from_rollups(GOVERNANCE, town_b, period)["reports.received"].total == 3
    assert figures_from_rollups(GOVERNANCE, town_a, period)["reports.received"].total == 0
    assert assert_rollups_match_live(GOVERNANCE) > 0
