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


# person → (the screen they get with no area: "city", an area key or None for 404; the areas whose
# screens they may open). The city's screen is the centre's; a town's or community's is its staff's
# (a town sees its communities) and the centre's; grids have no screen; members, departments none.
SCREEN_MATRIX = {
    "anonymous": (None, set()),
    "no_role": (None, set()),
    "resident": (None, set()),
    "editor": (None, set()),
    "department": (None, set()),
    "member_a1": (None, set()),
    "venue_a1": (None, set()),
    "grid_a": (None, set()),
    "community_a": ("village_a", {"village_a"}),
    "town_a": ("town_a", {"town_a", "village_a"}),
    "town_b": ("town_b", {"town_b", "village_b"}),
    "ops": ("city", {"city", "town_a", "town_b", "village_a", "village_b"}),
    "superuser": ("city", {"city", "town_a", "town_b", "village_a", "village_b"}),
}


@pytest.mark.parametrize("person", sorted(SCREEN_MATRIX))
def test_command_screens_role_by_scope(world, client, person):
    user = world.people[person]
    if user.is_authenticated:
        client.force_login(user)
    tree = world.course.tree
    home, allowed = SCREEN_MATRIX[person]
    for view in ("dashboards:screen", "dashboards:screen_data"):
        response = client.get(reverse(view))
        if person == "anonymous":
            assert response.status_code == 302
            continue
        assert response.status_code == (404 if home is None else 200), (person, view)
        if view == "dashboards:screen_data" and home is not None:
            scope = response.json()["scope"]
            assert (scope and scope["id"]) == (None if home == "city" else tree[home].pk)
    if person == "anonymous":
        return
    for name, area in tree.items():
        for view in ("dashboards:screen", "dashboards:screen_data"):
            got = client.get(reverse(view), {"area": area.pk}).status_code
            assert got == (200 if name in allowed else 404), (person, name, view)
    body = client.get(reverse("dashboards:screen")).content.decode() if home else ""
    # The departments' ranking is the centre's alone.
    assert ('id="screen-departments"' in body) == (home == "city")


def test_a_town_screen_shows_its_own_figures_only(world, django_capture_on_commit_callbacks):
    from dashboards.screen import screen_snapshot
    from dashboards.tests.factories import make_live_event
    from streaming.models import VenueAttendance

    tree, orgs = world.course.tree, world.orgs
    # A lesson on air from 乙街道's branch venue: town_b's screen shows it, town_a's does not.
    event = make_live_event(organiser=world.people["ops"], org=orgs["committee_b"])
    event.main_venue = world.venues[2]
    event.save(update_fields=["main_venue"])
    VenueAttendance.objects.create(event=event, venue=world.venues[2])
    town_a, town_b = screen_snapshot(area=tree["town_a"]), screen_snapshot(area=tree["town_b"])
    city = screen_snapshot()
    assert [e["id"] for e in city["live"]] == [e["id"] for e in town_b["live"]] == [event.pk]
    assert town_a["live"] == [] and town_a["departments"] is None and town_a["scope"]["id"] == tree["town_a"].pk


def test_the_index_lists_only_what_is_yours(world, client):
    client.force_login(world.people["member_a1"])
    body = client.get(reverse("dashboards:index")).content.decode()
    assert reverse("dashboards:dashboard", args=["learning"]) in body
    assert reverse("dashboards:screen") not in body
    client.force_login(world.people["resident"])
    assert client.get(reverse("dashboards:index")).status_code == 404
