"""Role × scope matrix for the organisation access layer: each role sees exactly its scope."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from core import access
from core.models import PartyOrg, Role
from core.tests.factories import make_department, make_party_org, make_user_with_role

AREAS = ["city", "town_a", "town_b", "village_a", "village_b", "grid_a", "grid_a2", "grid_b"]

# Which areas each role (placed in branch "a" of the tree) may see.
EXPECTED_AREAS = {
    "resident": set(),
    "member": set(),
    "grid_worker": {"grid_a"},
    "community_staff": {"village_a", "grid_a", "grid_a2"},
    "town_staff": {"town_a", "village_a", "grid_a", "grid_a2"},
    "department_staff": set(),
    "department_supervisor": set(),
    "venue_operator": set(),
    "editor": set(),
    "reviewer": set(),
    "ops_admin": set(AREAS),
    "anonymous": set(),
}


@pytest.fixture
def world(tree):
    dept_a = make_department(tree["city"], "甲局")
    dept_b = make_department(tree["city"], "乙局")
    committee = make_party_org(PartyOrg.Kind.COMMITTEE, name="市委")
    branch_a = make_party_org(PartyOrg.Kind.BRANCH, parent=committee, area=tree["village_a"], name="甲村党支部")
    branch_b = make_party_org(PartyOrg.Kind.BRANCH, parent=committee, area=tree["village_b"], name="乙社区党支部")
    scopes = {
        "resident": {"area": tree["grid_a"]},
        "member": {"party_org": branch_a},
        "grid_worker": {"area": tree["grid_a"]},
        "community_staff": {"area": tree["village_a"]},
        "town_staff": {"area": tree["town_a"]},
        "department_staff": {"department": dept_a},
        "department_supervisor": {"department": dept_a},
        "venue_operator": {"party_org": branch_a},
        "editor": {},
        "reviewer": {},
        "ops_admin": {},
    }
    users = {role: make_user_with_role(role, **scope) for role, scope in scopes.items()}
    users["anonymous"] = AnonymousUser()
    return {
        **tree,
        "users": users,
        "dept_a": dept_a,
        "dept_b": dept_b,
        "committee": committee,
        "branch_a": branch_a,
        "branch_b": branch_b,
    }


@pytest.mark.parametrize("role", list(EXPECTED_AREAS))
def test_area_matrix(world, role):
    user = world["users"][role]
    visible = {name for name in AREAS if access.can_view_area(user, world[name])}
    assert visible == EXPECTED_AREAS[role]
    assert set(access.areas_visible_to(user)) == {world[name] for name in EXPECTED_AREAS[role]}
    for name in AREAS:
        if name in EXPECTED_AREAS[role]:
            assert access.access_area_by_id(user, world[name].pk) == world[name]
        else:
            with pytest.raises(Http404):
                access.access_area_by_id(user, world[name].pk)


# Which areas each role may change: those it keeps. The operations centre views all, changes none.
EXPECTED_CHANGE = {**EXPECTED_AREAS, "ops_admin": set()}


@pytest.mark.parametrize("role", list(EXPECTED_CHANGE))
def test_area_change_matrix(world, role):
    user = world["users"][role]
    changeable = {name for name in AREAS if access.can_change_area(user, world[name])}
    assert changeable == EXPECTED_CHANGE[role]
    for name in AREAS:
        if name in EXPECTED_CHANGE[role]:
            assert access.access_area_by_id(user, world[name].pk, for_change=True) == world[name]
        else:
            with pytest.raises(Http404):
                access.access_area_by_id(user, world[name].pk, for_change=True)


def test_superuser_views_everything_and_changes_nothing(world):
    from core.tests.factories import UserFactory

    root = UserFactory(is_superuser=True)
    assert access.can_view_area(root, world["grid_b"]) and not access.can_change_area(root, world["grid_b"])


EXPECTED_DEPARTMENTS = {
    "department_staff": {"dept_a"},
    "department_supervisor": {"dept_a"},
    "ops_admin": {"dept_a", "dept_b"},
}
EXPECTED_ORGS = {
    "member": {"branch_a"},
    "venue_operator": {"branch_a"},
    "community_staff": {"branch_a"},
    "town_staff": {"branch_a"},
    "ops_admin": {"committee", "branch_a", "branch_b"},
}


@pytest.mark.parametrize("role", list(EXPECTED_AREAS))
def test_department_and_party_org_matrix(world, role):
    user = world["users"][role]
    for name in ["dept_a", "dept_b"]:
        if name in EXPECTED_DEPARTMENTS.get(role, set()):
            assert access.access_department_by_id(user, world[name].pk) == world[name]
        else:
            with pytest.raises(Http404):
                access.access_department_by_id(user, world[name].pk)
    for name in ["committee", "branch_a", "branch_b"]:
        if name in EXPECTED_ORGS.get(role, set()):
            assert access.access_party_org_by_id(user, world[name].pk) == world[name]
        else:
            with pytest.raises(Http404):
                access.access_party_org_by_id(user, world[name].pk)


def test_missing_and_foreign_ids_look_the_same(world):
    worker = world["users"]["grid_worker"]
    for bad in [world["grid_b"].pk, 999999, "abc", None]:
        with pytest.raises(Http404):
            access.access_area_by_id(worker, bad)


def test_inactive_user_sees_nothing(world):
    admin = world["users"]["ops_admin"]
    admin.is_active = False
    admin.save()
    admin.__dict__.pop("_memberships_cache", None)
    assert not access.can_view_area(admin, world["grid_a"])
    assert not access.areas_visible_to(admin).exists()


def test_superuser_is_city_wide(world):
    from core.tests.factories import UserFactory

    root = UserFactory(is_superuser=True)
    assert access.can_view_area(root, world["grid_b"])


def test_membership_scope_is_validated(world):
    from django.core.exceptions import ValidationError

    from core.services.orgs import membership_grant
    from core.tests.factories import UserFactory

    user = UserFactory()
    with pytest.raises(ValidationError):  # a grid worker must be bound to a grid, not a village
        membership_grant(user=user, role=Role.GRID_WORKER, area=world["village_a"])
    with pytest.raises(ValidationError):  # a member needs a party organisation
        membership_grant(user=user, role=Role.MEMBER)
    with pytest.raises(ValidationError):  # a reviewer is bound to nothing
        membership_grant(user=user, role=Role.REVIEWER, department=world["dept_a"])
    membership_grant(user=user, role=Role.EDITOR, department=world["dept_a"])
    membership_grant(user=user, role=Role.EDITOR)
    assert user.memberships.count() == 2
    membership_grant(user=user, role=Role.EDITOR)  # granting twice is idempotent
    assert user.memberships.count() == 2


def test_membership_uniqueness_holds_in_the_database(world):
    from django.db import IntegrityError, transaction

    from core.models import Membership

    user = world["users"]["reviewer"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.REVIEWER)  # same role, no scope: a duplicate
    Membership.objects.create(user=user, role=Role.EDITOR, department=world["dept_a"])


# "Members" for members-only courses, lessons and live events: one rule, defined in core.access.
MEMBER_AUDIENCE = {role: role not in {"resident", "anonymous"} for role in EXPECTED_AREAS}


@pytest.mark.parametrize("role", list(MEMBER_AUDIENCE))
def test_member_audience_matrix(world, role):
    from learning.access import can_view_course
    from learning.models import CoursePage, Visibility
    from streaming.access import can_view_event
    from streaming.models import LiveEvent

    user = world["users"][role]
    assert access.is_member_audience(user) is MEMBER_AUDIENCE[role]
    # Both apps follow it: a members-only course and a members-only live event open to these people.
    assert can_view_course(user, CoursePage(title="x", visibility=Visibility.MEMBERS)) is MEMBER_AUDIENCE[role]
    assert can_view_event(user, LiveEvent(title="x", audience=LiveEvent.Audience.MEMBERS)) is MEMBER_AUDIENCE[role]


def test_member_audience_excludes_the_inactive_and_includes_superusers(world):
    from core.tests.factories import UserFactory

    member = world["users"]["member"]
    member.is_active = False
    member.__dict__.pop("_memberships_cache", None)
    assert not access.is_member_audience(member)
    assert access.is_member_audience(UserFactory(is_superuser=True))
