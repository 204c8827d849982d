"""The Django admin's area and party-organisation pages, through the test client: adding works, a
move takes the subtree along, and what would corrupt a tree is refused with a message on the form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import Area, PartyOrg, User
from core.tests.factories import make_party_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser(username="root", password="x-Root-pass-2026")
    client.force_login(user)
    return client


def area_form(area: Area, **changes) -> dict:
    data = {
        "name": area.name,
        "code": area.code,
        "parent": area.parent_id or "",
        "households": area.households,
        "population": area.population,
        "latitude": "",
        "longitude": "",
    }
    data.update(changes)
    return data


def errors_of(response) -> list[str]:
    form = response.context["adminform"].form
    return [str(e) for errors in form.errors.values() for e in errors]


def test_the_add_page_creates_an_area_in_the_tree(admin_client, tree):
    page = admin_client.get(reverse("admin:core_area_add"))
    assert page.status_code == 200
    assert "path" not in page.context["adminform"].form.fields  # shown, never typed in
    response = admin_client.post(
        reverse("admin:core_area_add"),
        {
            "name": "新建社区",
            "code": "NEWC",
            "level": Area.Level.VILLAGE,
            "parent": tree["town_b"].pk,
            "households": 0,
            "population": 0,
        },
    )
    assert response.status_code == 302, errors_of(response)
    area = Area.objects.get(code="NEWC")
    assert (area.path, area.depth, area.parent_id) == (f"{tree['town_b'].path}NEWC/", 3, tree["town_b"].pk)
    assert response["Location"] == reverse("admin:core_area_changelist")


def test_the_add_page_refuses_a_level_that_does_not_fit(admin_client, tree):
    response = admin_client.post(
        reverse("admin:core_area_add"),
        {
            "name": "错层",
            "code": "BAD",
            "level": Area.Level.GRID,
            "parent": tree["town_b"].pk,
            "households": 0,
            "population": 0,
        },
    )
    assert response.status_code == 200
    assert errors_of(response) == ["区域层级与上级不匹配。"]
    assert not Area.objects.filter(code="BAD").exists()


def test_moving_a_community_to_another_town_moves_its_grids(admin_client, tree):
    village = tree["village_a"]
    url = reverse("admin:core_area_change", args=[village.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert tree["town_a"].path + village.code in page.content.decode()  # the path is shown read-only

    response = admin_client.post(url, area_form(village, parent=tree["town_b"].pk, name="甲社区"))

    assert response.status_code == 302, errors_of(response)
    village.refresh_from_db()
    assert (village.name, village.parent_id, village.level) == ("甲社区", tree["town_b"].pk, Area.Level.VILLAGE)
    assert village.path == f"{tree['town_b'].path}{village.code}/"
    for grid in (tree["grid_a"], tree["grid_a2"]):
        grid.refresh_from_db()
        assert grid.path == f"{village.path}{grid.code}/" and grid.depth == 4


def test_moving_under_a_descendant_is_refused_with_a_message(admin_client, tree):
    town = tree["town_a"]
    url = reverse("admin:core_area_change", args=[town.pk])
    response = admin_client.post(url, area_form(town, parent=tree["grid_a"].pk))
    assert response.status_code == 200
    assert errors_of(response) == ["不能把区域移到它自己或它的下级区域之下。"]
    assert "不能把区域移到它自己或它的下级区域之下。" in response.content.decode()
    town.refresh_from_db()
    assert (town.parent_id, town.path) == (tree["city"].pk, f"{tree['city'].path}{town.code}/")


def test_a_code_in_use_is_refused_with_a_message(admin_client, tree):
    village = tree["village_a"]
    url = reverse("admin:core_area_change", args=[village.pk])
    response = admin_client.post(url, area_form(village, code=tree["grid_b"].code))
    assert response.status_code == 200
    assert errors_of(response) == [f"编码 {tree['grid_b'].code} 已被“乙社区第一网格”使用，请换一个编码。"]
    assert Area.objects.filter(code=tree["grid_b"].code).count() == 1
    assert Area.objects.get(pk=village.pk).code != tree["grid_b"].code


def test_a_new_code_from_the_admin_rewrites_the_paths_below(admin_client, tree):
    village = tree["village_a"]
    url = reverse("admin:core_area_change", args=[village.pk])
    response = admin_client.post(url, area_form(village, code="JIACUN"))
    assert response.status_code == 302, errors_of(response)
    grid = Area.objects.get(pk=tree["grid_a"].pk)
    assert grid.path == f"{tree['town_a'].path}JIACUN/{grid.code}/"


def test_the_party_organisation_pages_add_and_move_through_the_service(admin_client, tree):
    committee = make_party_org(PartyOrg.Kind.COMMITTEE, name="市委")
    town_a = make_party_org(PartyOrg.Kind.COMMITTEE, parent=committee, name="甲镇党委")
    town_b = make_party_org(PartyOrg.Kind.COMMITTEE, parent=committee, name="乙街道党委")

    response = admin_client.post(
        reverse("admin:core_partyorg_add"),
        {"name": "甲村党支部", "code": "PNEW", "kind": PartyOrg.Kind.BRANCH, "parent": town_a.pk, "area": ""},
    )
    assert response.status_code == 302, errors_of(response)
    branch = PartyOrg.objects.get(code="PNEW")
    assert branch.path == f"{town_a.path}PNEW/" and branch.depth == 3

    url = reverse("admin:core_partyorg_change", args=[town_a.pk])
    form = {"name": town_a.name, "code": town_a.code, "kind": town_a.kind, "area": ""}
    refused = admin_client.post(url, {**form, "parent": branch.pk})
    assert refused.status_code == 200
    assert errors_of(refused) == ["不能把党组织移到它自己或它的下级党组织之下。"]

    moved = admin_client.post(url, {**form, "parent": town_b.pk})
    assert moved.status_code == 302, errors_of(moved)
    branch.refresh_from_db()
    assert branch.path == f"{town_b.path}{town_a.code}/PNEW/" and branch.depth == 4
