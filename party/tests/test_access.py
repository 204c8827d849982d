"""Role × scope matrix for party records: every access_* funnel, every kind of person."""

from __future__ import annotations

import pytest
from django.http import Http404

from core.models import Role
from core.tests.factories import UserFactory, make_user_with_role
from party import access
from party.models import Meeting, MobileRegistration, PartyRole, Transfer
from party.tests.factories import make_keeper, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree, orgs):
    return {
        "org_department": make_keeper(PartyRole.Kind.ORG_DEPARTMENT),
        "ops": make_user_with_role(Role.OPS_ADMIN),
        "town_a_secretary": make_keeper(PartyRole.Kind.SECRETARY, orgs["town_a"]),
        "branch_a1_organiser": make_keeper(PartyRole.Kind.ORGANISER, orgs["branch_a1"]),
        "town_a_staff": make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"]),
        "village_a_staff": make_user_with_role(Role.COMMUNITY_STAFF, area=tree["village_a"]),
        "grid_worker": make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"]),
        "member_a1": make_user_with_role(Role.MEMBER, party_org=orgs["branch_a1"]),
        "resident": make_user_with_role(Role.RESIDENT, area=tree["grid_a"]),
        "nobody": UserFactory(),
    }


# Which organisations (by fixture key) each person keeps.
KEEPS = {
    "org_department": {"city", "town_a", "village_a", "branch_a1", "branch_a2", "town_b", "branch_b", "riders"},
    "ops": {"city", "town_a", "village_a", "branch_a1", "branch_a2", "town_b", "branch_b", "riders"},
    "town_a_secretary": {"town_a", "village_a", "branch_a1", "branch_a2"},
    "branch_a1_organiser": {"branch_a1"},
    "town_a_staff": {"town_a", "village_a", "branch_a1", "branch_a2"},
    "village_a_staff": set(),
    "grid_worker": set(),
    "member_a1": set(),
    "resident": set(),
    "nobody": set(),
}


@pytest.mark.parametrize("who", sorted(KEEPS))
def test_org_and_member_matrix(who, people, orgs):
    user = people[who]
    records = {key: make_record(org, name=f"党员{key}") for key, org in orgs.items()}
    for key, org in orgs.items():
        if key in KEEPS[who]:
            assert access.access_org_by_id(user, org.pk) == org
            assert access.access_member_by_id(user, records[key].pk) == records[key]
        else:
            with pytest.raises(Http404):
                access.access_org_by_id(user, org.pk)
            with pytest.raises(Http404):
                access.access_member_by_id(user, records[key].pk)
    with pytest.raises(Http404):
        access.access_org_by_id(user, 10**9)
    with pytest.raises(Http404):
        access.access_member_by_id(user, "x")


def test_member_sees_only_their_own_record(people, orgs):
    member = people["member_a1"]
    mine = make_record(orgs["branch_a1"], user=member, name="本人")
    other = make_record(orgs["branch_a1"], name="他人")
    assert access.own_record(member) == mine
    assert access.own_record(people["nobody"]) is None
    with pytest.raises(Http404):
        access.access_member_by_id(member, mine.pk)  # the keepers' page is not theirs either
    with pytest.raises(Http404):
        access.access_member_by_id(member, other.pk)


def test_caring_branch_sees_its_mobile_members(people, orgs):
    from party.models import MobileInfo

    rider = make_record(orgs["branch_b"], name="骑手", is_mobile=True, occupation="delivery_rider")
    MobileInfo.objects.create(member=rider, registered_with="外省某支部", caring_org=orgs["branch_a1"])
    assert access.access_member_by_id(people["branch_a1_organiser"], rider.pk) == rider


@pytest.mark.parametrize("who", sorted(KEEPS))
def test_transfer_matrix(who, people, orgs):
    user = people[who]
    record = make_record(orgs["branch_a1"])
    transfer = Transfer.objects.create(
        member=record, from_org=orgs["branch_a1"], to_org=orgs["branch_b"], reason="搬家"
    )
    sees = "branch_a1" in KEEPS[who] or "branch_b" in KEEPS[who]
    decides = "branch_b" in KEEPS[who]
    if sees:
        assert access.access_transfer_by_id(user, transfer.pk) == transfer
    else:
        with pytest.raises(Http404):
            access.access_transfer_by_id(user, transfer.pk)
    if decides:
        assert access.access_transfer_by_id(user, transfer.pk, to_decide=True) == transfer
    else:
        with pytest.raises(Http404):
            access.access_transfer_by_id(user, transfer.pk, to_decide=True)


@pytest.mark.parametrize("who", sorted(KEEPS))
def test_registration_and_meeting_matrix(who, people, orgs):
    import datetime

    user = people[who]
    registration = MobileRegistration.objects.create(
        user=people["nobody"],
        name="骑手",
        gender="m",
        birth_year=1995,
        phone="13811112222",
        status="full",
        joined_on=datetime.date(2018, 7, 1),
        occupation="delivery_rider",
        registered_with="外省",
        lives_in="某小区",
        caring_org=orgs["branch_a1"],
    )
    meeting = Meeting.objects.create(
        org=orgs["branch_a2"], kind="committee", held_on=datetime.date(2026, 3, 2), topic="支委会"
    )
    if "branch_a1" in KEEPS[who]:
        assert access.access_registration_by_id(user, registration.pk) == registration
    else:
        with pytest.raises(Http404):
            access.access_registration_by_id(user, registration.pk)
    if "branch_a2" in KEEPS[who]:
        assert access.access_meeting_by_id(user, meeting.pk) == meeting
    else:
        with pytest.raises(Http404):
            access.access_meeting_by_id(user, meeting.pk)


def test_keepers_of_is_the_nearest_organisation_with_keepers(people, orgs):
    # branch_a1 has its own organiser; branch_a2 has none, so town_a's secretary hears about it.
    assert set(access.keepers_of(orgs["branch_a1"])) == {people["branch_a1_organiser"]}
    assert set(access.keepers_of(orgs["branch_a2"])) == {people["town_a_secretary"]}
    assert set(access.keepers_of(orgs["riders"])) == {people["org_department"]}


def test_inactive_keeper_sees_nothing(people, orgs):
    user = people["town_a_secretary"]
    user.is_active = False
    user.save()
    with pytest.raises(Http404):
        access.access_org_by_id(user, orgs["town_a"].pk)
