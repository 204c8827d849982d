"""Writes to member records and organisation profiles."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Membership, PartyOrg, Role, User
from core.services.audit import audit_record
from core.services.notifications import notification_send, notification_send_many
from core.services.orgs import membership_grant
from party.access import keepers_of
from party.models import CorrectionRequest, MemberRecord, OrgProfile, TalentEntry, Transfer
from party.services.committee import committee_posts_end_outside
from party.signals import announce_member_changed

MEMBER_FIELDS = (
    "name",
    "gender",
    "birth_year",
    "education",
    "occupation",
    "work_unit",
    "phone",
    "status",
    "joined_on",
    "full_member_on",
    "skills",
)
PROFILE_FIELDS = (
    "unit_kind",
    "unit_name",
    "founded_on",
    "term_started_on",
    "term_years",
    "address",
    "contact_name",
    "contact_phone",
)


def check_member_dates(data: dict[str, Any]) -> None:
    status, joined, full = data.get("status"), data.get("joined_on"), data.get("full_member_on")
    if status == MemberRecord.Status.FULL and not full:
        raise ValidationError({"full_member_on": _("A full member has the date they became one.")})
    if status == MemberRecord.Status.PROBATIONARY and full:
        raise ValidationError({"full_member_on": _("A probationary member has no full-membership date yet.")})
    if joined and full and full < joined:
        raise ValidationError({"full_member_on": _("Full membership cannot come before joining.")})
    if joined and joined > timezone.localdate():
        raise ValidationError({"joined_on": _("The date lies in the future.")})


def _sync_membership(record: MemberRecord, old_branch_id: int | None) -> None:
    """The account's member role follows the record's branch, so courses and live lessons do too."""
    if record.user_id is None or record.state != MemberRecord.State.ACTIVE:
        return
    if old_branch_id and old_branch_id != record.branch_id:
        Membership.objects.filter(user_id=record.user_id, role=Role.MEMBER, party_org_id=old_branch_id).delete()
    membership_grant(user=record.user, role=Role.MEMBER, party_org=record.branch)


def member_record_save(
    *,
    by: User,
    branch: PartyOrg,
    data: dict[str, Any],
    record: MemberRecord | None = None,
    talent_roles: list[str] | None = None,
    request: HttpRequest | None = None,
) -> MemberRecord:
    """Create or change a record. Moving a record to another branch is a transfer, not an edit."""
    check_member_dates(data)
    with transaction.atomic():
        if record is None:
            record = MemberRecord(branch=branch)
        elif record.branch_id != branch.pk:
            raise ValidationError(_("A member changes branch through a transfer."))
        changed = [f for f in MEMBER_FIELDS if f in data and getattr(record, f) != data[f]]
        for name in MEMBER_FIELDS:
            if name in data:
                setattr(record, name, data[name] if data[name] is not None or name == "full_member_on" else "")
        record.full_clean(exclude=["user"])
        created = record.pk is None
        record.save()
        announce_member_changed(record.pk)
        if talent_roles is not None:
            record.talent.exclude(role__in=talent_roles).delete()
            have = set(record.talent.values_list("role", flat=True))
            TalentEntry.objects.bulk_create(
                [TalentEntry(member=record, role=r, since=timezone.localdate()) for r in talent_roles if r not in have]
            )
        audit_record(
            actor=by,
            action="party.member.create" if created else "party.member.change",
            obj=record,
            request=request,
            detail={"fields": changed},
        )
    return record


def member_link_account(*, by: User, record: MemberRecord, user: User, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        if MemberRecord.objects.filter(user=user).exclude(pk=record.pk).exists():
            raise ValidationError(_("That account already belongs to another member record."))
        record.user = user
        record.save(update_fields=["user", "updated_at"])
        _sync_membership(record, None)
        audit_record(
            actor=by, action="party.member.link_account", obj=record, request=request, detail={"user": user.pk}
        )


def member_phone_reveal(*, by: User, record: MemberRecord, request: HttpRequest | None = None) -> str:
    audit_record(actor=by, action="party.member.reveal_phone", obj=record, request=request)
    return record.phone


def org_profile_save(
    *, by: User, org: PartyOrg, data: dict[str, Any], request: HttpRequest | None = None
) -> OrgProfile:
    with transaction.atomic():
        profile, _created = OrgProfile.objects.get_or_create(org=org)
        for name in PROFILE_FIELDS:
            if name in data:
                setattr(profile, name, data[name] if data[name] is not None else getattr(profile, name))
        profile.full_clean()
        profile.save()
        audit_record(actor=by, action="party.org.profile_change", obj=org, request=request)
    return profile


def correction_ask(*, member: MemberRecord, text: str) -> CorrectionRequest:
    text = text.strip()
    if not text:
        raise ValidationError(_("Say what should be corrected."))
    with transaction.atomic():
        correction = CorrectionRequest.objects.create(member=member, text=text[:1000])
        notification_send_many(
            recipients=list(keepers_of(member.branch)),
            kind="party.correction",
            title=_("A member asks for a correction of their record"),
            body=text[:200],
            url=reverse("party:member_detail", args=[member.pk]),
        )
    return correction


def correction_answer(*, by: User, correction: CorrectionRequest, done: bool, reply: str = "") -> CorrectionRequest:
    with transaction.atomic():
        correction = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
        if correction.state != CorrectionRequest.State.OPEN:
            raise ValidationError(_("This request has been answered already."))
        correction.state = CorrectionRequest.State.DONE if done else CorrectionRequest.State.DECLINED
        correction.decided_by, correction.decided_at, correction.reply = by, timezone.now(), reply[:200]
        correction.save()
        member = correction.member
        if member.user_id:
            notification_send(
                recipient=member.user,
                kind="party.correction",
                title=_("Your record has been corrected") if done else _("Your correction request was answered"),
                body=reply[:200],
                url=reverse("party:my_record"),
            )
    return correction


def member_record_deceased(
    *, by: User, member: MemberRecord, died_on: datetime.date, request: HttpRequest | None = None
) -> MemberRecord:
    """Record a member's death: the record stays, closed as "deceased" on that day; a transfer still
    waiting is withdrawn, the member's committee posts end that day, the account loses the branch's
    member role and can no longer sign in (its sockets close; its learning record stays)."""
    if died_on > timezone.localdate():
        raise ValidationError({"died_on": _("The date lies in the future.")})
    if died_on < member.joined_on:
        raise ValidationError({"died_on": _("The date lies before the member joined the party.")})
    with transaction.atomic():
        member = MemberRecord.objects.select_for_update().get(pk=member.pk)
        if member.state != MemberRecord.State.ACTIVE:
            raise ValidationError(_("Only an active member's record can be closed."))
        now = timezone.now()
        member.transfers.filter(state=Transfer.State.PENDING).update(
            state=Transfer.State.CANCELLED, decided_by=by, decided_at=now, reply=_("The member has died.")
        )
        member.state, member.closed_on = MemberRecord.State.DECEASED, died_on
        member.save(update_fields=["state", "closed_on", "updated_at"])
        announce_member_changed(member.pk)
        committee_posts_end_outside(member=member, branch=None, until=died_on)
        if member.user_id:
            Membership.objects.filter(user_id=member.user_id, role=Role.MEMBER, party_org_id=member.branch_id).delete()
            account = User.objects.get(pk=member.user_id)
            if account.is_active:
                account.is_active = False
                account.save(update_fields=["is_active"])
        audit_record(actor=by, action="party.member.deceased", obj=member, request=request)
    return member
