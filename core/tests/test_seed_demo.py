"""`manage.py seed_demo`: a consistent 东港市, demo accounts that sign in, and a second run that adds nothing."""

import random
import re
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from wagtail.models import Site

from core.access import AREA_ROLES, PARTY_ORG_ROLES
from core.demo import names
from core.demo.generate import id_check_digit, id_number_is_valid
from core.demo.registry import DemoContext, discover
from core.demo.steps import DEMO_ROLES, _area_plan
from core.models import Area, Department, Membership, PartyOrg, Role, User
from core.services.orgs import ROLE_SCOPE

SCALE = 0.02
PASSWORD = "Demo-2026!"
MOBILE = re.compile(r"^1[3-9]\d{9}$")


# The seeded tests share one demo (made once per module); they run on one worker.
pytestmark = pytest.mark.xdist_group("core-demo")


@pytest.fixture
def seeded(demo_seeded, db):
    """The module's demo; changes a test makes are rolled back after it."""


def test_every_grid_sits_under_a_village_under_a_town_under_the_city(seeded):
    city = Area.objects.get(code=names.CITY_CODE)
    assert city.name == "东港市" and city.level == Area.Level.CITY and city.parent is None
    grids = list(Area.objects.filter(level=Area.Level.GRID).select_related("parent__parent__parent"))
    assert len(grids) == round(515 * SCALE)
    for grid in grids:
        village = grid.parent
        town = village.parent
        assert village.level == Area.Level.VILLAGE and town.level == Area.Level.TOWN and town.parent == city
        assert grid.is_within(village) and village.is_within(town) and town.is_within(city)
        assert grid.name.startswith(village.name) and 150 <= grid.households <= 600
        assert village.name.endswith("社区" if town.name.endswith("街道") else "村")
    towns = Area.objects.filter(level=Area.Level.TOWN)
    # Even at a small scale there is a street (communities) and a town (villages).
    assert {t.name[-2:] == "街道" for t in towns} == {True, False}
    assert all(t.children.exists() for t in towns)
    assert city.households == sum(g.households for g in grids)


def test_full_scale_plan_matches_the_article():
    ctx = DemoContext(scale=1.0, password=PASSWORD, rng=random.Random(1))
    towns = _area_plan(ctx)
    assert [t.name for t in towns] == [t[0] for t in names.TOWNS]
    assert sum(len(t.villages) for t in towns) == 120
    assert sum(len(v.grids) for t in towns for v in t.villages) == 515
    # Same seed, same plan.
    again = _area_plan(DemoContext(scale=1.0, password=PASSWORD, rng=random.Random(1)))
    assert [g.name for t in again for v in t.villages for g in v.grids] == [
        g.name for t in towns for v in t.villages for g in v.grids
    ]


def test_seventeen_departments_and_the_party_tree(seeded):
    assert Department.objects.count() == 17
    city_org = PartyOrg.objects.get(parent=None)
    assert city_org.name == "中共东港市委" and city_org.kind == PartyOrg.Kind.COMMITTEE
    for town in Area.objects.filter(level=Area.Level.TOWN):
        assert PartyOrg.objects.filter(area=town, parent=city_org, kind=PartyOrg.Kind.COMMITTEE).exists()
    for village in Area.objects.filter(level=Area.Level.VILLAGE):
        org = PartyOrg.objects.get(area=village, parent__area=village.parent)
        assert org.kind in {PartyOrg.Kind.COMMITTEE, PartyOrg.Kind.GENERAL_BRANCH}
        assert 1 <= org.children.filter(kind=PartyOrg.Kind.BRANCH).count() <= 3
    for department in Department.objects.all():
        assert PartyOrg.objects.filter(name=f"{department.name}机关党支部", parent=city_org).exists()
    riders = PartyOrg.objects.get(name=names.RIDER_BRANCH)
    assert Membership.objects.filter(role=Role.MEMBER, party_org=riders).exists()


def test_memberships_respect_role_scopes(seeded):
    for m in Membership.objects.select_related("area"):
        scope = ROLE_SCOPE[m.role]
        set_fields = {f for f in ("area", "department", "party_org") if getattr(m, f"{f}_id")}
        if scope is None:
            assert set_fields == set()
        elif scope.endswith("?"):
            assert set_fields <= {scope[:-1]}
        else:
            assert set_fields == {scope}
        if m.role in AREA_ROLES:
            assert m.area.level == AREA_ROLES[m.role]
        if m.role in PARTY_ORG_ROLES:
            assert m.party_org.kind == PartyOrg.Kind.BRANCH
    grid_workers = Counter(Membership.objects.filter(role=Role.GRID_WORKER).values_list("area_id", flat=True))
    assert set(grid_workers) == set(Area.objects.filter(level=Area.Level.GRID).values_list("pk", flat=True))
    assert set(grid_workers.values()) == {1}
    assert Membership.objects.filter(role=Role.EDITOR, department__isnull=False).count() >= 17
    assert User.objects.count() >= 100


def test_one_demo_account_per_role_signs_in_with_the_demo_password(seeded):
    roles = set()
    for username in DEMO_ROLES:
        user = authenticate(username=username, password=PASSWORD)
        assert user is not None, username
        assert user.name and user.is_staff == (username == "admin") == user.is_superuser
        roles |= {m.role for m in user.memberships.all()}
    assert roles == set(Role.values)
    # Generated people cannot sign in.
    assert not User.objects.get(username="u000001").has_usable_password()

    town = User.objects.get(username="demo_town").memberships.get()
    assert town.area.children.count() >= 1
    venue = User.objects.get(username="demo_venue").memberships.get()
    assert Membership.objects.filter(role=Role.MEMBER, party_org=venue.party_org).exists()


def test_editors_and_reviewers_reach_the_wagtail_admin(seeded, client):
    home = Site.objects.get(is_default_site=True).root_page
    editor = User.objects.get(username="demo_editor")
    reviewer = User.objects.get(username="demo_reviewer")
    member = User.objects.get(username="demo_member")
    assert home.permissions_for_user(editor).can_edit()
    assert not home.permissions_for_user(editor).can_publish()
    assert home.permissions_for_user(reviewer).can_publish()
    assert not home.permissions_for_user(member).can_edit()

    assert client.login(username="demo_editor", password=PASSWORD)
    assert client.get("/admin/").status_code == 200
    client.logout()
    assert client.login(username="demo_member", password=PASSWORD)
    assert client.get("/admin/").status_code == 302
    assert not editor.is_staff  # /django-admin/ stays closed to them


def test_generated_mobiles_are_unique_and_valid(seeded):
    mobiles = [m for m in User.objects.values_list("mobile", flat=True) if m]
    assert len(mobiles) == len(set(mobiles)) == User.objects.count()
    assert all(MOBILE.match(m) for m in mobiles)


def test_id_check_digit_follows_gb_11643():
    # The worked example from GB 11643-1999.
    assert id_check_digit("11010519491231002") == "X"
    assert id_number_is_valid("11010519491231002X")
    assert not id_number_is_valid("110105194912310021")


def test_second_run_adds_nothing_and_only_reads(seeded, django_assert_max_num_queries):
    models = [User, Area, Membership, PartyOrg, Department]
    before = {m: m.objects.count() for m in models}
    # A second run costs a handful of reads per registered step (its own check plus the command's
    # before/after counts), however large the data: the budget grows with the steps, not the rows.
    budget = 12 * len(discover()) + 20
    with django_assert_max_num_queries(budget) as captured:
        call_command("seed_demo", scale=SCALE, verbosity=0)
    assert {m: m.objects.count() for m in models} == before
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


def test_steps_are_discovered_in_order_and_scale_is_checked(db):
    names_in_order = [s.name for s in discover()]
    assert names_in_order[:3] == ["core.seed_areas", "core.seed_departments", "core.seed_party_orgs"]
    assert names_in_order.index("core.seed_demo_accounts") < names_in_order.index("governance.seed_residents")
    with pytest.raises(CommandError):
        call_command("seed_demo", scale=0, verbosity=0)
