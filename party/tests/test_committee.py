"""An organisation's committee: kept from above, role by role; a new secretary takes over and keeps
the records; ended posts stay as history; a transfer ends the posts the member leaves behind."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AuditLog, Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory, make_user_with_role
from party import access
from party.models import CommitteePost, PartyRole
from party.services.committee import committee_post_add, committee_post_end
from party.services.transfers import transfer_accept, transfer_request
from party.tests.factories import make_keeper, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree, orgs):
    return {
        "org_department": make_keeper(PartyRole.Kind.ORG_DEPARTMENT),
        "ops": make_user_with_role(Role.OPS_ADMIN),
        "town_a_secretary": make_keeper(PartyRole.Kind.SECRETARY, orgs["town_a"]),
        "village_a_organiser": make_keeper(PartyRole.Kind.ORGANISER, orgs["village_a"]),
        "branch_a1_secretary": make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_a1"]),
        "town_a_staff": make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"]),
        "village_a_staff": make_user_with_role(Role.COMMUNITY_STAFF, area=tree["village_a"]),
        "member_a1": make_user_with_role(Role.MEMBER, party_org=orgs["branch_a1"]),
        "nobody": UserFactory(),
    }


ALL = {"city", "town_a", "village_a", "branch_a1", "branch_a2", "town_b", "branch_b", "riders"}
# Whose committee each person keeps: strictly below their own organisation; the town's staff below
# the town's own party committee; never one's own.
KEEPS_COMMITTEE = {
    "org_department": ALL,
    "ops": ALL,
    "town_a_secretary": {"village_a", "branch_a1", "branch_a2"},
    "village_a_organiser": {"branch_a1", "branch_a2"},
    "branch_a1_secretary": set(),
    "town_a_staff": {"village_a", "branch_a1", "branch_a2"},
    "village_a_staff": set(),
    "member_a1": set(),
    "nobody": set(),
}


@pytest.mark.parametrize("who", sorted(KEEPS_COMMITTEE))
def test_committee_matrix(who, people, orgs):
    user = people[who]
    for key, org in orgs.items():
        if key in KEEPS_COMMITTEE[who]:
            assert access.access_org_for_committee(user, org.pk) == org
        else:
            with pytest.raises(Http404):
                access.access_org_for_committee(user, org.pk)
    with pytest.raises(Http404):
        access.access_org_for_committee(user, 10**9)


def test_a_post_of_another_organisation_is_not_reached_through_this_one(people, orgs):
    other = committee_post_add(
        by=people["org_department"], org=orgs["branch_b"], member=make_record(orgs["branch_b"]), post="secretary"
    )
    org = access.access_org_for_committee(people["town_a_secretary"], orgs["branch_a1"].pk)
    with pytest.raises(Http404):
        access.access_committee_post_by_id(people["town_a_secretary"], org, other.pk)


def test_new_secretary_takes_over_and_keeps_the_records(client, people, orgs):
    branch = orgs["branch_a1"]
    old_user, new_user = UserFactory(), UserFactory()
    old = make_record(branch, user=old_user, name="老书记")
    new = make_record(branch, user=new_user, name="新书记")
    by = people["town_a_secretary"]
    first = committee_post_add(by=by, org=branch, member=old, post="secretary", since=datetime.date(2021, 5, 1))
    assert access.access_org_by_id(old_user, branch.pk) == branch  # the post carries the role
    with pytest.raises(Http404):
        access.access_org_by_id(new_user, branch.pk)

    committee_post_add(by=by, org=branch, member=new, post="secretary")
    first.refresh_from_db()
    assert first.until == timezone.localdate()  # ended, not deleted
    assert list(
        CommitteePost.objects.filter(org=branch, until__isnull=True).values_list("member__name", flat=True)
    ) == ["新书记"]
    assert not PartyRole.objects.filter(user=old_user, party_org=branch).exists()
    old_user = type(old_user).objects.get(pk=old_user.pk)  # a fresh request: no cached roles
    with pytest.raises(Http404):
        access.access_org_by_id(old_user, branch.pk)
    new_user = type(new_user).objects.get(pk=new_user.pk)
    assert access.access_org_by_id(new_user, branch.pk) == branch
    # Each sees the post on their own record page (where the notification of the post points).
    client.force_login(new_user)
    mine = client.get(reverse("party:my_record")).content.decode()
    assert "甲村第一党支部 书记" in mine
    client.force_login(old_user)
    assert "至 " + timezone.localdate().strftime("%Y-%m-%d") in client.get(reverse("party:my_record")).content.decode()
    assert AuditLog.objects.filter(action="party.committee.add", actor=by).count() == 2


def test_ending_one_of_two_posts_keeps_the_role_the_other_carries(people, orgs):
    branch = orgs["branch_a1"]
    user = UserFactory()
    record = make_record(branch, user=user)
    by = people["org_department"]
    secretary = committee_post_add(by=by, org=branch, member=record, post="secretary")
    committee_post_add(by=by, org=branch, member=record, post="organisation")
    committee_post_end(by=by, post=secretary)
    assert PartyRole.objects.filter(user=user, party_org=branch, kind=PartyRole.Kind.ORGANISER).exists()
    assert not PartyRole.objects.filter(user=user, party_org=branch, kind=PartyRole.Kind.SECRETARY).exists()


def test_refusals_in_chinese(people, orgs):
    by = people["org_department"]
    outsider = make_record(orgs["branch_b"], name="外支部党员")
    record = make_record(orgs["branch_a1"])
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as error:
            committee_post_add(by=by, org=orgs["branch_a1"], member=outsider, post="publicity")
        assert "只有本组织或其下级组织的在册党员才能担任职务" in str(error.value)
        with pytest.raises(ValidationError) as error:
            committee_post_add(
                by=by,
                org=orgs["branch_a1"],
                member=record,
                post="publicity",
                since=timezone.localdate() + datetime.timedelta(days=1),
            )
        assert "日期不能晚于今天" in str(error.value)
        post = committee_post_add(by=by, org=orgs["branch_a1"], member=record, post="publicity")
        with pytest.raises(ValidationError) as error:
            committee_post_add(by=by, org=orgs["branch_a1"], member=record, post="publicity")
        assert "该党员已担任这一职务" in str(error.value)
        with pytest.raises(ValidationError) as error:
            committee_post_end(by=by, post=post, until=timezone.localdate() - datetime.timedelta(days=400))
        assert "任职结束不能早于开始" in str(error.value)
        committee_post_end(by=by, post=post)
        with pytest.raises(ValidationError) as error:
            committee_post_end(by=by, post=post)
        assert "该职务已经结束" in str(error.value)
    # A higher organisation's committee may take members of the branches under it.
    assert committee_post_add(by=by, org=orgs["town_a"], member=record, post="member").pk


def test_transfer_ends_the_posts_left_behind(people, orgs):
    user = UserFactory()
    record = make_record(orgs["branch_a1"], user=user)
    by = people["org_department"]
    branch_post = committee_post_add(by=by, org=orgs["branch_a1"], member=record, post="secretary")
    town_post = committee_post_add(by=by, org=orgs["town_a"], member=record, post="member")
    transfer = transfer_request(by=by, member=record, to_org=orgs["branch_a2"], reason="工作调动")
    transfer_accept(by=by, transfer=transfer)
    branch_post.refresh_from_db()
    town_post.refresh_from_db()
    assert branch_post.until == timezone.localdate()
    assert town_post.until is None  # branch_a2 is still under the town's committee
    assert not PartyRole.objects.filter(user=user, party_org=orgs["branch_a1"]).exists()


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


def test_committee_page_add_end_and_refusals(client, people, orgs):
    branch = orgs["branch_a1"]
    record = make_record(branch, name="王红梅")
    make_record(orgs["branch_b"], name="别处党员")
    url = reverse("party:org_committee", args=[branch.pk])

    login(client, people["branch_a1_secretary"])
    assert client.get(url).status_code == 404
    detail = client.get(reverse("party:org_detail", args=[branch.pk])).content.decode()
    assert 'id="committee-edit"' not in detail and "班子成员由上级党组织维护" in detail

    login(client, people["town_a_secretary"])
    detail = client.get(reverse("party:org_detail", args=[branch.pk])).content.decode()
    assert 'id="committee-edit"' in detail
    page = client.get(url, {"q": "王"}).content.decode()
    assert "王红梅" in page and "别处党员" not in page
    response = client.post(url, {"action": "add", "member": record.pk, "post": "secretary"})
    assert response.status_code == 302
    post = CommitteePost.objects.get(org=branch, member=record)
    page = client.get(url).content.decode()
    assert "王红梅" in page.split('id="committee-current"')[1].split("</table>")[0]

    # A member of another organisation is not a choice (the form refuses the id).
    other = make_record(orgs["branch_b"], name="外人")
    response = client.post(url, {"action": "add", "member": other.pk, "post": "member"})
    assert response.status_code == 200 and not CommitteePost.objects.filter(member=other).exists()

    response = client.post(url, {"action": "end", "post_id": post.pk, "until": ""})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.until == timezone.localdate()
    page = client.get(url).content.decode()
    assert "王红梅" in page.split('id="committee-past"')[1]
    # Ending a post of another organisation through this page: 404.
    foreign = committee_post_add(by=people["org_department"], org=orgs["branch_b"], member=other, post="member")
    assert client.post(url, {"action": "end", "post_id": foreign.pk}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.until is None
