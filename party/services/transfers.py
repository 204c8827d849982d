"""Transfers of a member's organisation relationship (组织关系转接) between branches.

The sending side (or the city's organisation department) asks; the receiving side accepts or
returns it. Nothing moves until it is accepted, and every request stays as the record's history.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Membership, PartyOrg, Role, User
from core.services.audit import audit_record
from core.services.notifications import notification_send, notification_send_many
from party.access import keepers_of
from party.models import MemberRecord, Transfer
from party.services.committee import committee_posts_end_outside
from party.services.members import _sync_membership
from party.signals import announce_member_changed


def transfer_request(
    *, by: User, member: MemberRecord, to_org: PartyOrg, reason: str, request: HttpRequest | None = None
) -> Transfer:
    if to_org.pk == member.branch_id:
        raise ValidationError(_("The member already belongs to that organisation."))
    if member.state != MemberRecord.State.ACTIVE:
        raise ValidationError(_("Only an active member can be transferred."))
    if not reason.strip():
        raise ValidationError(_("Give the reason for the transfer."))
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                member=member, from_org=member.branch, to_org=to_org, reason=reason.strip()[:200], requested_by=by
            )
            audit_record(actor=by, action="party.transfer.request", obj=transfer, request=request)
            notification_send_many(
                recipients=list(keepers_of(to_org)),
                kind="party.transfer",
                title=_("A member's transfer is waiting for you"),
                body=f"{member.name}: {member.branch.name} → {to_org.name}",
                url=reverse("party:transfer_detail", args=[transfer.pk]),
            )
    except IntegrityError:
        # The partial unique index: one open transfer per member, also against a double submit.
        raise ValidationError(_("This member already has a transfer waiting.")) from None
    return transfer


def transfer_out_of_city(
    *,
    by: User,
    member: MemberRecord,
    destination: str,
    reason: str,
    request: HttpRequest | None = None,
) -> Transfer:
    """The member's relationship goes to an organisation outside the city (转出市外): the sending side
    issues it, there is nobody here to accept it, so it is decided at once. The record stays, closed
    as "transferred out of the city", with the transfer as its history; the member's posts end and
    the account loses the branch's member role (its learning record stays with the account)."""
    destination, reason = destination.strip(), reason.strip()
    if member.state != MemberRecord.State.ACTIVE:
        raise ValidationError(_("Only an active member can be transferred."))
    if not destination:
        raise ValidationError({"destination": _("Name the organisation the member goes to.")})
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the transfer.")})
    today = timezone.localdate()
    with transaction.atomic():
        member = MemberRecord.objects.select_for_update().get(pk=member.pk)
        if member.state != MemberRecord.State.ACTIVE:
            raise ValidationError(_("Only an active member can be transferred."))
        if member.transfers.filter(state=Transfer.State.PENDING).exists():
            raise ValidationError(_("This member already has a transfer waiting."))
        now = timezone.now()
        transfer = Transfer.objects.create(
            member=member,
            from_org=member.branch,
            to_org=None,
            destination=destination[:120],
            reason=reason[:200],
            state=Transfer.State.ACCEPTED,
            requested_by=by,
            requested_at=now,
            decided_by=by,
            decided_at=now,
        )
        member.state, member.closed_on = MemberRecord.State.LEFT, today
        member.save(update_fields=["state", "closed_on", "updated_at"])
        announce_member_changed(member.pk)
        committee_posts_end_outside(member=member, branch=None, until=today)
        if member.user_id:
            Membership.objects.filter(user_id=member.user_id, role=Role.MEMBER, party_org_id=member.branch_id).delete()
        audit_record(actor=by, action="party.transfer.out_of_city", obj=transfer, request=request)
    return transfer


def _decide(*, transfer: Transfer, by: User, state: str, reply: str) -> Transfer:
    transfer = Transfer.objects.select_for_update(of=("self",)).select_related("member", "to_org").get(pk=transfer.pk)
    if transfer.state != Transfer.State.PENDING:
        raise ValidationError(_("This transfer has been decided already."))
    transfer.state, transfer.decided_by, transfer.decided_at = state, by, timezone.now()
    transfer.reply = reply.strip()[:200]
    transfer.save()
    return transfer


def transfer_accept(*, by: User, transfer: Transfer, reply: str = "", request: HttpRequest | None = None) -> Transfer:
    with transaction.atomic():
        transfer = _decide(transfer=transfer, by=by, state=Transfer.State.ACCEPTED, reply=reply)
        # The row lock above serialises deciders; the member row follows under the same transaction.
        member = MemberRecord.objects.select_for_update().get(pk=transfer.member_id)
        old_branch_id = member.branch_id
        member.branch = transfer.to_org
        member.save(update_fields=["branch", "updated_at"])
        announce_member_changed(member.pk)
        _sync_membership(member, old_branch_id)
        # Posts on the old side's committees end with the move (their rows stay as history).
        committee_posts_end_outside(member=member, branch=transfer.to_org, until=timezone.localdate())
        audit_record(actor=by, action="party.transfer.accept", obj=transfer, request=request)
        _tell_requester(transfer, _("The transfer has been accepted"))
    return transfer


def transfer_reject(*, by: User, transfer: Transfer, reply: str, request: HttpRequest | None = None) -> Transfer:
    if not reply.strip():
        raise ValidationError(_("Say why the transfer is returned."))
    with transaction.atomic():
        transfer = _decide(transfer=transfer, by=by, state=Transfer.State.REJECTED, reply=reply)
        audit_record(actor=by, action="party.transfer.reject", obj=transfer, request=request)
        _tell_requester(transfer, _("The transfer has been returned"))
    return transfer


def transfer_cancel(*, by: User, transfer: Transfer, request: HttpRequest | None = None) -> Transfer:
    with transaction.atomic():
        transfer = _decide(transfer=transfer, by=by, state=Transfer.State.CANCELLED, reply="")
        audit_record(actor=by, action="party.transfer.cancel", obj=transfer, request=request)
    return transfer


def _tell_requester(transfer: Transfer, title: str) -> None:
    if transfer.requested_by_id and transfer.requested_by_id != transfer.decided_by_id:
        notification_send(
            recipient=transfer.requested_by,
            kind="party.transfer",
            title=title,
            body=f"{transfer.member.name} → {transfer.to_org.name}",
            url=reverse("party:transfer_detail", args=[transfer.pk]),
        )
