"""Placing a report by a building/household picked from the grid data: only among those the reporter
may see (staff their areas' buildings, a resident their own homes, a rider none); the grid follows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import Role
from core.services.orgs import membership_grant
from core.tests.factories import UserFactory
from governance.reports.models import Report
from governance.tests.factories import household_of, make_building, make_resident

from .factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    world = World()
    # A building of grid_a without a point, and one of grid_b with one.
    world.building_a = make_building(world.tree["grid_a"], name="幸福小区3号楼", address="幸福路3号", number="3")
    world.building_b = make_building(
        world.tree["grid_b"],
        name="和平小区8号楼",
        address="和平街8号",
        number="8",
        latitude=Decimal("39.825100"),
        longitude=Decimal("124.125100"),
    )
    world.resident = UserFactory()
    membership_grant(user=world.resident, role=Role.RESIDENT, area=world.tree["grid_b"])
    world.home = household_of(world.building_b, "1-201")
    make_resident(world.home, account=world.resident)
    return world


def post(client, w, **place):
    data = {
        "category": w.category.pk,
        "description": "楼道里堆满杂物，挡住了消防通道",
        "reporter_kind": "resident",
        "idempotency_key": f"key-{place}",
        **place,
    }
    return client.post(reverse("governance:reports:new"), data)


def places(client, **params):
    return client.get(reverse("governance:reports:places"), params)


def test_a_grid_worker_picks_a_building_and_home_of_their_grid_and_the_grid_follows(w, client):
    client.force_login(w.grid_worker)
    page = client.get(reverse("governance:reports:new")).content.decode()
    assert 'id="place-picker"' in page and "幸福小区3号楼" in page
    assert "和平小区8号楼" not in page  # grid_b is not theirs

    homes = places(client, building=w.building_a.pk).json()["households"]
    assert len(homes) == w.building_a.households.count() == 12
    home = household_of(w.building_a, "2-301")
    response = post(client, w, building=w.building_a.pk, household=home.pk)
    report = Report.objects.get()
    assert response.status_code == 302
    assert (report.building, report.household, report.grid) == (w.building_a, home, w.tree["grid_a"])
    assert report.area_path == w.tree["grid_a"].path and report.address == "幸福路3号 3-2-301"
    assert report.latitude is None  # the building has no point: it is placed by its grid alone
    assert report.status == Report.Status.DISPATCHED and report.department == w.department


def test_a_building_outside_the_reporters_areas_is_refused_like_a_missing_one(w, client):
    client.force_login(w.grid_worker)
    for building in (w.building_b.pk, 10**6):
        response = post(client, w, building=building)
        assert response.status_code == 200
        assert "请从列表中选择楼栋（及房屋）。" in response.content.decode()
        assert places(client, building=building).status_code == 404
    # A home of another building, under a building of theirs: refused as well.
    response = post(client, w, building=w.building_a.pk, household=w.home.pk)
    assert "请从列表中选择楼栋（及房屋）。" in response.content.decode()
    assert not Report.objects.exists()


def test_a_resident_picks_only_their_own_home_and_the_buildings_point_places_it(w, client):
    client.force_login(w.resident)
    page = client.get(reverse("governance:reports:new")).content.decode()
    assert "和平小区8号楼" in page and "幸福小区3号楼" not in page
    homes = places(client, building=w.building_b.pk).json()["households"]
    assert homes == [{"id": w.home.pk, "label": "8-1-201"}]  # not the neighbours' homes

    neighbour = household_of(w.building_b, "1-202")
    assert (
        "请从列表中选择楼栋（及房屋）。"
        in post(client, w, building=w.building_b.pk, household=neighbour.pk).content.decode()
    )
    post(client, w, building=w.building_b.pk, household=w.home.pk)
    report = Report.objects.get()
    assert report.grid == w.tree["grid_b"] and report.household == w.home
    assert (report.latitude, report.longitude) == (Decimal("39.825100"), Decimal("124.125100"))


def test_a_rider_has_no_grid_data_to_pick_from(w, client):
    client.force_login(w.rider)
    page = client.get(reverse("governance:reports:new")).content.decode()
    assert 'id="place-picker"' not in page
    assert places(client, q="小区").json() == {"buildings": []}
    assert places(client, building=w.building_a.pk).status_code == 404
    response = post(client, w, building=w.building_a.pk)
    assert "请从列表中选择楼栋（及房屋）。" in response.content.decode() and not Report.objects.exists()


def test_search_finds_buildings_by_name_or_address_within_scope(w, client):
    client.force_login(w.ops)
    found = places(client, q="和平街").json()["buildings"]
    assert [b["id"] for b in found] == [w.building_b.pk] and found[0]["grid"] == w.tree["grid_b"].name
    client.force_login(w.community)  # village_a: grid_a and grid_a2
    assert [b["id"] for b in places(client, q="小区").json()["buildings"]] == [w.building_a.pk]


def test_an_anonymous_reporters_home_is_kept_from_the_department(w, client):
    client.force_login(w.resident)
    post(client, w, building=w.building_b.pk, household=w.home.pk, anonymous="on")
    report = Report.objects.get()
    assert report.anonymous and report.household == w.home and report.address == "和平街8号"
    detail = reverse("governance:reports:detail", args=[report.pk])
    for who, sees_home in ((w.resident, True), (w.ops, True), (w.town_b, True), (w.staff, False)):
        client.force_login(who)
        page = client.get(detail).content.decode()
        assert "和平街8号" in page
        assert ("房屋 8-1-201" in page) is sees_home, who
