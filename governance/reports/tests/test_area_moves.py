"""A community moved to another town (core.services.trees) takes its residents and reports along:
from the move's commit the new town's staff see them and the old town's staff get a 404, and the
review figures summed per area follow."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from core.models import Area, Role
from core.services.trees import area_create, area_update
from core.tests.factories import make_user_with_role
from governance.access import access_resident_by_id, residents_visible_to
from governance.reports.access import access_report_by_id, reports_visible_to
from governance.reports.models import Assignment, ReviewRollup
from governance.reports.services.rollups import area_ancestor_ids, live_figures, period_starts
from governance.tests.factories import household_of, make_building, make_resident

from .factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    world = World()
    world.town_a = make_user_with_role(Role.TOWN_STAFF, area=world.tree["town_a"])
    world.resident = make_resident(household_of(make_building(world.tree["grid_a"])), name="张桂兰")
    world.report = world.submit(where="grid_a")
    return world


def sees(user, w) -> dict[str, bool]:
    def can(access, obj_id) -> bool:
        try:
            access(user, obj_id)
        except Http404:
            return False
        return True

    return {
        "resident": can(access_resident_by_id, w.resident.pk),
        "resident in list": residents_visible_to(user).filter(pk=w.resident.pk).exists(),
        "report": can(access_report_by_id, w.report.pk),
        "report in list": reports_visible_to(user).filter(pk=w.report.pk).exists(),
    }


ALL = dict.fromkeys(["resident", "resident in list", "report", "report in list"], True)
NONE = dict.fromkeys(ALL, False)


def move_village_a_to_town_b(w) -> None:
    village = w.tree["village_a"]
    area_update(area=village, parent=w.tree["town_b"], code=village.code, by=w.ops)


def test_after_the_move_the_new_town_sees_the_community_and_the_old_one_does_not(w):
    assert sees(w.town_a, w) == ALL
    assert sees(w.town_b, w) == NONE

    move_village_a_to_town_b(w)

    # Fresh user objects, as every request loads them.
    town_a, town_b = (type(u).objects.get(pk=u.pk) for u in (w.town_a, w.town_b))
    assert sees(town_b, w) == ALL
    assert sees(town_a, w) == NONE
    # Those inside the community keep seeing it.
    assert sees(type(w.community).objects.get(pk=w.community.pk), w) == ALL
    w.report.refresh_from_db()
    assert w.report.area_path == Area.objects.get(pk=w.tree["grid_a"].pk).path


def test_the_pages_follow_the_move(w, client):
    report_url = reverse("governance:reports:detail", args=[w.report.pk])
    resident_url = reverse("governance:resident_detail", args=[w.resident.pk])
    client.force_login(w.town_b)
    assert client.get(report_url).status_code == 404
    assert client.get(resident_url).status_code == 404

    move_village_a_to_town_b(w)

    assert client.get(report_url).status_code == 200
    assert client.get(resident_url).status_code == 200
    client.force_login(w.town_a)
    assert client.get(report_url).status_code == 404
    assert client.get(resident_url).status_code == 404


def test_review_figures_follow_the_move(w):
    assert Assignment.objects.filter(report=w.report).exists()  # dispatched by the rule, so counted
    town_a, town_b = w.tree["town_a"], w.tree["town_b"]
    area_ancestor_ids(w.tree["grid_a"].pk)  # warm this process's cache of the old tree

    move_village_a_to_town_b(w)

    period, start = period_starts(Assignment.objects.get(report=w.report).dispatched_at)[0]

    def stored(area: Area) -> int:
        row = ReviewRollup.objects.filter(period=period, period_start=start, area_id_key=area.pk).first()
        return row.received if row else 0

    assert (stored(town_a), stored(town_b)) == (0, 1)
    for area in (town_a, town_b, w.tree["city"], w.tree["village_a"]):
        assert stored(area) == live_figures(period=period, period_start=start, area_id=area.pk)["received"]
    assert town_b.pk in area_ancestor_ids(w.tree["grid_a"].pk)
    assert town_a.pk not in area_ancestor_ids(w.tree["grid_a"].pk)


def test_the_ancestor_cache_does_not_outlive_a_recode(w):
    """A town takes a new code and a new town takes its old one: the same path string now names
    other areas, so a cache keyed by path alone would answer with the old town."""
    grid, village, old_town = w.tree["grid_a"], w.tree["village_a"], w.tree["town_a"]
    old_code = old_town.code
    assert old_town.pk in area_ancestor_ids(grid.pk)
    area_update(area=old_town, parent=w.tree["city"], code=f"{old_code}-OLD", by=None)
    new_town = area_create(name="丙镇", code=old_code, level=Area.Level.TOWN, parent=w.tree["city"])
    area_update(area=village, parent=new_town, code=village.code, by=None)
    assert Area.objects.get(pk=grid.pk).path == f"{w.tree['city'].path}{old_code}/{village.code}/{grid.code}/"

    assert area_ancestor_ids(grid.pk) == [w.tree["city"].pk, new_town.pk, village.pk, grid.pk]
