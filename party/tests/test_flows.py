"""Transfers, self-registration and corrections through the pages, as the people involved see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditLog, Membership, Notification, Role
from core.tests.factories import DEFAULT_PASSWORD, make_user_with_role
from party.models import MemberRecord, MobileRegistration, PartyRole, Transfer
from party.tests.factories import make_keeper, make_record

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


def test_transfer_flow_moves_the_member_and_keeps_history(client, orgs):
    sender = make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_a1"])
    receiver = make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_b"])
    account = make_user_with_role(Role.MEMBER, party_org=orgs["branch_a1"])
    record = make_record(orgs["branch_a1"], user=account, name="王志强")

    login(client, sender)
    response = client.post(
        reverse("party:member_transfer", args=[record.pk]), {"to_org": orgs["branch_b"].pk, "reason": "工作调动"}
    )
    transfer = Transfer.objects.get(member=record)
    assert response.status_code == 302 and transfer.state == Transfer.State.PENDING
    assert Notification.objects.filter(recipient=receiver, kind="party.transfer").exists()
    # A second request while one is waiting is refused, not duplicated.
    client.post(reverse("party:member_transfer", args=[record.pk]), {"to_org": orgs["branch_a2"].pk, "reason": "再次"})
    assert Transfer.objects.filter(member=record).count() == 1
    # The sender cannot accept on the receiver's behalf.
    client.post(reverse("party:transfer_detail", args=[transfer.pk]), {"action": "accept"})
    record.refresh_from_db()
    assert record.branch == orgs["branch_a1"]
    assert client.get(reverse("party:member_detail", args=[record.pk])).status_code == 200

    client.logout()
    login(client, receiver)
    assert client.get(reverse("party:member_detail", args=[record.pk])).status_code == 404
    page = client.get(reverse("party:transfer_list")).content.decode()
    assert "王志强" in page
    client.post(reverse("party:transfer_detail", args=[transfer.pk]), {"action": "accept", "reply": "欢迎"})
    transfer.refresh_from_db()
    record.refresh_from_db()
    assert transfer.state == Transfer.State.ACCEPTED and transfer.decided_by == receiver
    assert record.branch == orgs["branch_b"]
    # The account's member role followed the record: the new branch's courses and lessons now apply.
    assert set(Membership.objects.filter(user=account, role=Role.MEMBER).values_list("party_org", flat=True)) == {
        orgs["branch_b"].pk
    }
    assert client.get(reverse("party:member_detail", args=[record.pk])).status_code == 200
    assert Notification.objects.filter(recipient=sender, title__isnull=False, kind="party.transfer").exists()
    assert AuditLog.objects.filter(action="party.transfer.accept").count() == 1

    # The sender no longer keeps the member, but the history is there for both sides.
    client.logout()
    login(client, sender)
    assert client.get(reverse("party:member_detail", args=[record.pk])).status_code == 404
    assert client.get(reverse("party:transfer_detail", args=[transfer.pk])).status_code == 200
    assert MemberRecord.objects.filter(pk=record.pk).exists()


def test_returned_transfer_leaves_the_member_where_he_was(client, orgs):
    make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_a1"])
    receiver = make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_b"])
    record = make_record(orgs["branch_a1"])
    transfer = Transfer.objects.create(member=record, from_org=orgs["branch_a1"], to_org=orgs["branch_b"], reason="x")
    login(client, receiver)
    client.post(reverse("party:transfer_detail", args=[transfer.pk]), {"action": "reject", "reply": ""})
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.PENDING  # a return needs its reason
    client.post(reverse("party:transfer_detail", args=[transfer.pk]), {"action": "reject", "reply": "材料不全"})
    transfer.refresh_from_db()
    record.refresh_from_db()
    assert transfer.state == Transfer.State.REJECTED and record.branch == orgs["branch_a1"]


def test_rider_registers_and_the_branch_confirms(client, orgs):
    keeper = make_keeper(PartyRole.Kind.SECRETARY, orgs["riders"])
    from party.models import OrgProfile, UnitKind

    OrgProfile.objects.create(org=orgs["riders"], unit_kind=UnitKind.NEW_EMPLOYMENT)
    from core.tests.factories import UserFactory

    rider = UserFactory(name="刘骑手")
    login(client, rider)
    form = client.get(reverse("party:register")).content.decode()
    assert orgs["riders"].name in form and orgs["branch_a1"].name not in form
    data = {
        "name": "刘小兵",
        "gender": "m",
        "birth_year": 1996,
        "phone": "13712345678",
        "status": "full",
        "joined_on": "2019-06-20",
        "occupation": "delivery_rider",
        "platform": "美团外卖",
        "registered_with": "山东省临沂市某村党支部",
        "lives_in": "东港市新兴街道某小区",
        "works_at": "新兴站点",
        "caring_org": orgs["riders"].pk,
    }
    assert client.post(reverse("party:register"), data).status_code == 302
    registration = MobileRegistration.objects.get(user=rider)
    assert Notification.objects.filter(recipient=keeper, kind="party.mobile_registration").exists()
    assert "13712345678" not in client.get(reverse("party:register")).content.decode()
    client.post(reverse("party:register"), data)
    assert MobileRegistration.objects.filter(user=rider).count() == 1

    client.logout()
    login(client, keeper)
    page = client.get(reverse("party:registration_detail", args=[registration.pk])).content.decode()
    assert "137****5678" in page
    response = client.post(reverse("party:registration_detail", args=[registration.pk]), {"action": "confirm"})
    record = MemberRecord.objects.get(user=rider)
    assert response.status_code == 302
    assert record.is_mobile and record.branch == orgs["riders"] and record.mobile.caring_org == orgs["riders"]
    assert record.mobile.registered_with == "山东省临沂市某村党支部"
    assert Membership.objects.filter(user=rider, role=Role.MEMBER, party_org=orgs["riders"]).exists()
    assert Notification.objects.filter(recipient=rider, kind="party.mobile_registration").exists()

    client.logout()
    login(client, rider)
    mine = client.get(reverse("party:my_record")).content.decode()
    assert "刘小兵" in mine and orgs["riders"].name in mine


def test_member_sees_own_record_and_asks_for_a_correction(client, orgs):
    keeper = make_keeper(PartyRole.Kind.ORGANISER, orgs["branch_a1"])
    account = make_user_with_role(Role.MEMBER, party_org=orgs["branch_a1"])
    record = make_record(orgs["branch_a1"], user=account, name="赵红梅", phone="13600001111")
    other = make_record(orgs["branch_a1"], name="别人")
    login(client, account)
    page = client.get(reverse("party:my_record")).content.decode()
    assert "赵红梅" in page and "136****1111" in page and "13600001111" not in page
    assert client.get(reverse("party:member_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("party:org_detail", args=[orgs["branch_a1"].pk])).status_code == 404
    client.post(reverse("party:my_record"), {"text": "学历应为大学本科"})
    correction = record.corrections.get()
    assert Notification.objects.filter(recipient=keeper, kind="party.correction").exists()

    client.logout()
    login(client, keeper)
    client.post(
        reverse("party:correction_decide", args=[record.pk, correction.pk]), {"action": "done", "reply": "已更正"}
    )
    correction.refresh_from_db()
    assert correction.state == "done"
    assert Notification.objects.filter(recipient=account, kind="party.correction").exists()


def test_phone_is_masked_and_reveal_is_audited(client, orgs):
    keeper = make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_a1"])
    record = make_record(orgs["branch_a1"], phone="13512345678")
    login(client, keeper)
    listing = client.get(reverse("party:member_list", args=[orgs["branch_a1"].pk])).content.decode()
    assert "135****5678" in listing and "13512345678" not in listing
    revealed = client.post(reverse("party:member_reveal", args=[record.pk])).content.decode()
    assert "13512345678" in revealed
    assert AuditLog.objects.filter(action="party.member.reveal_phone", object_id=str(record.pk), actor=keeper).exists()


def test_keeper_enters_a_member_with_consistent_dates(client, orgs):
    keeper = make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_a1"])
    login(client, keeper)
    data = {
        "name": "孙立新",
        "gender": "m",
        "birth_year": 1988,
        "education": "bachelor",
        "occupation": "courier",
        "status": "probationary",
        "joined_on": "2025-06-01",
        "full_member_on": "2025-06-02",
        "talent_roles": ["lecturer"],
    }
    url = reverse("party:member_create", args=[orgs["branch_a1"].pk])
    response = client.post(url, data)
    assert response.status_code == 200 and not MemberRecord.objects.exists()
    data["full_member_on"] = ""
    response = client.post(url, data)
    record = MemberRecord.objects.get()
    assert response.status_code == 302 and record.talent.get().role == "lecturer"
    assert client.post(reverse("party:member_create", args=[orgs["branch_b"].pk]), data).status_code == 404


def test_transfer_out_of_the_city_closes_the_record_and_keeps_it(client, orgs):
    from party.models import CommitteePost
    from party.services.committee import committee_post_add

    secretary = make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_a1"])
    account = make_user_with_role(Role.MEMBER, party_org=orgs["branch_a1"])
    record = make_record(orgs["branch_a1"], user=account, name="刘海洋")
    post = committee_post_add(
        by=make_keeper(PartyRole.Kind.ORG_DEPARTMENT), org=orgs["branch_a1"], member=record, post="publicity"
    )
    url = reverse("party:member_transfer_out", args=[record.pk])

    login(client, secretary)
    response = client.post(url, {"destination": "", "reason": "随迁"})
    assert response.status_code == 200 and "必需字段" in response.content.decode()
    response = client.post(url, {"destination": "中共大连市甘井子区某街道党工委", "reason": "随配偶迁居"})
    transfer = Transfer.objects.get(member=record)
    assert response.status_code == 302
    assert transfer.state == Transfer.State.ACCEPTED and transfer.to_org is None and transfer.decided_by == secretary
    record.refresh_from_db()
    post.refresh_from_db()
    # Closed, not deleted: no longer among the branch's members, its posts ended, its member role gone.
    assert record.state == MemberRecord.State.LEFT and record.branch == orgs["branch_a1"]
    assert post.until is not None and not CommitteePost.objects.filter(member=record, until__isnull=True).exists()
    assert not Membership.objects.filter(user=account, role=Role.MEMBER).exists()
    assert "刘海洋" not in client.get(reverse("party:member_list", args=[orgs["branch_a1"].pk])).content.decode()
    detail = client.get(reverse("party:transfer_detail", args=[transfer.pk])).content.decode()
    assert "中共大连市甘井子区某街道党工委" in detail and "市外" in detail
    member_page = client.get(reverse("party:member_detail", args=[record.pk])).content.decode()
    assert "中共大连市甘井子区某街道党工委" in member_page and "转出本市" in member_page
    # Nothing more to do with a closed record, and the decided transfer cannot be withdrawn.
    assert client.post(url, {"destination": "别处", "reason": "再次"}).status_code == 200
    assert Transfer.objects.filter(member=record).count() == 1
    client.post(reverse("party:transfer_detail", args=[transfer.pk]), {"action": "cancel"})
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.ACCEPTED
    assert AuditLog.objects.filter(action="party.transfer.out_of_city", actor=secretary).count() == 1
    # The member still sees their own record and where it went.
    client.logout()
    login(client, account)
    mine = client.get(reverse("party:my_record")).content.decode()
    assert "中共大连市甘井子区某街道党工委" in mine


def test_recording_a_death_closes_the_record_ends_posts_and_disables_the_account(client, orgs):
    import datetime

    from django.utils import timezone

    from party.models import CommitteePost
    from party.services.committee import committee_post_add

    secretary = make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_a1"])
    account = make_user_with_role(Role.MEMBER, party_org=orgs["branch_a1"])
    record = make_record(orgs["branch_a1"], user=account, name="赵德明", joined_on=datetime.date(1975, 7, 1))
    post = committee_post_add(
        by=make_keeper(PartyRole.Kind.ORG_DEPARTMENT), org=orgs["branch_a1"], member=record, post="publicity"
    )
    waiting = Transfer.objects.create(
        member=record, from_org=orgs["branch_a1"], to_org=orgs["branch_b"], reason="随子女迁居", requested_by=secretary
    )
    url = reverse("party:member_deceased", args=[record.pk])
    today = timezone.localdate()

    login(client, secretary)
    assert "登记去世" in client.get(reverse("party:member_detail", args=[record.pk])).content.decode()
    # Bad input is refused in Chinese and changes nothing: a future date, one before joining, no confirmation.
    tomorrow = today + datetime.timedelta(days=1)
    for data, message in (
        ({"died_on": tomorrow.isoformat(), "confirm": "on"}, "日期不能晚于今天"),
        ({"died_on": "1970-01-01", "confirm": "on"}, "早于入党日期"),
        ({"died_on": today.isoformat()}, "必需字段"),
    ):
        response = client.post(url, data)
        assert response.status_code == 200 and message in response.content.decode()
    record.refresh_from_db()
    assert record.state == MemberRecord.State.ACTIVE

    died_on = today - datetime.timedelta(days=3)
    response = client.post(url, {"died_on": died_on.isoformat(), "confirm": "on"})
    assert response.status_code == 302
    record.refresh_from_db()
    post.refresh_from_db()
    waiting.refresh_from_db()
    account.refresh_from_db()
    # Closed, never deleted: the day is kept, the waiting transfer withdrawn, posts end that day, the
    # member role goes and nobody can sign in with the account any more.
    assert record.state == MemberRecord.State.DECEASED and record.closed_on == died_on
    assert waiting.state == Transfer.State.CANCELLED and waiting.decided_by == secretary
    assert post.until == died_on and not CommitteePost.objects.filter(member=record, until__isnull=True).exists()
    assert not Membership.objects.filter(user=account, role=Role.MEMBER).exists()
    assert not account.is_active
    assert "赵德明" not in client.get(reverse("party:member_list", args=[orgs["branch_a1"].pk])).content.decode()
    page = client.get(reverse("party:member_detail", args=[record.pk])).content.decode()
    assert "已故" in page and died_on.isoformat() in page and "登记去世" not in page
    assert AuditLog.objects.filter(action="party.member.deceased", actor=secretary).count() == 1
    # A closed record cannot be closed again.
    assert client.post(url, {"died_on": today.isoformat(), "confirm": "on"}).status_code == 200
    assert AuditLog.objects.filter(action="party.member.deceased").count() == 1


def test_another_branch_cannot_record_the_death_of_someone_elses_member(client, orgs):
    record = make_record(orgs["branch_a1"])
    login(client, make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_b"]))
    response = client.post(
        reverse("party:member_deceased", args=[record.pk]), {"died_on": "2026-01-01", "confirm": "on"}
    )
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.state == MemberRecord.State.ACTIVE


def test_another_branch_cannot_transfer_out_someone_elses_member(client, orgs):
    record = make_record(orgs["branch_a1"])
    login(client, make_keeper(PartyRole.Kind.SECRETARY, orgs["branch_b"]))
    response = client.post(
        reverse("party:member_transfer_out", args=[record.pk]), {"destination": "外地", "reason": "试探"}
    )
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.state == MemberRecord.State.ACTIVE and not Transfer.objects.filter(member=record).exists()
