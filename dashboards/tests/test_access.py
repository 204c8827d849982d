"""Role × scope: each person sees the dashboards of their own place in the trees, 404 elsewhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboards.access import dashboard_roots
from dashboards.models import Tree
from dashboards.tests.factories import make_world


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return make_world()


# person → the party organisations whose dashboards they may open (None: no dashboards at all)
PARTY_MATRIX = {
    "anonymous": None,
    "no_role": None,
    "resident": None,
    "editor": None,
    "reviewer": None,
    "department": None,
    "grid_a": None,  # party organisations sit at villages and towns, not in grids
    "member_a1": {"branch_a1"},
    "member_a2": {"branch_a2"},
    "member_b": {"branch_b"},
    "venue_a1": {"branch_a1"},
    "community_a": {"branch_a1", "branch_a2"},  # the organisations located in 甲村
    "town_a": {"committee_a", "branch_a1", "branch_a2"},
    "town_b": {"committee_b", "branch_b"},
    "ops": {"committee_a", "committee_b", "branch_a1", "branch_a2", "branch_b"},
    "superuser": {"committee_a", "committee_b", "branch_a1", "branch_a2", "branch_b"},
}


@pytest.mark.parametrize("person", sorted(PARTY_MATRIX))
@pytest.mark.parametrize("key", ["learning", "live"])
def test_party_dashboards_role_by_scope(world, client, person, key):
    user = world.people[person]
    if user.is_authenticated:
        client.force_login(user)
    url = reverse("dashboards:dashboard", args=[key])
    allowed = PARTY_MATRIX[person]
    response = client.get(url)
    if allowed is None:
        assert response.status_code in (302, 404)
        assert response.status_code == (302 if person == "anonymous" else 404)
        return
    assert response.status_code == 200
    for name, org in world.orgs.items():
        response = client.get(url, {"node": org.pk})
        assert response.status_code == (200 if name in allowed else 404), (person, name)
        for sub in ("dashboards:export", "dashboards:records"):
            assert client.get(reverse(sub, args=[key]), {"node": org.pk}).status_code == response.status_code


def test_roots_are_the_highest_nodes_one_may_see(world):
    people, orgs = world.people, world.orgs
    assert dashboard_roots(people["town_a"], Tree.PARTY) == [orgs["committee_a"]]
    assert dashboard_roots(people["community_a"], Tree.PARTY) == [orgs["branch_a1"], orgs["branch_a2"]]
    assert set(dashboard_roots(people["ops"], Tree.PARTY)) == {orgs["committee_a"], orgs["committee_b"]}
    assert dashboard_roots(people["resident"], Tree.PARTY) == []


def test_unknown_dashboards_and_bad_ids_are_404(world, client):
    client.force_login(world.people["ops"])
    assert client.get(reverse("dashboards:dashboard", args=["nope"])).status_code == 404
    url = reverse("dashboards:dashboard", args=["live"])
    for bad in ("x", "-1", "999999", "1.5"):
        assert client.get(url, {"node": bad}).status_code == 404


@pytest.mark.parametrize(
    "person,status",
    [("anonymous", 302), ("resident", 404), ("town_a", 404), ("member_a1", 404), ("department", 404), ("ops", 200)],
)
def test_the_command_screen_is_the_operations_centres(world, client, person, status):
    user = world.people[person]
    if user.is_authenticated:
        client.force_login(user)
    assert client.get(reverse("dashboards:screen")).status_code == status
    assert client.get(reverse("dashboards:screen_data")).status_code == status


def test_the_index_lists_only_what_is_yours(world, client):
    client.force_login(world.people["member_a1"])
    body = client.get(reverse("dashboards:index")).content.decode()
    assert reverse("dashboards:dashboard", args=["learning"]) in body
    assert reverse("dashboards:screen") not in body
    client.force_login(world.people["resident"])
    assert client.get(reverse("dashboards:index")).status_code == 404
