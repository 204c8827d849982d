"""Mobile members (流动党员): a rider registers himself from a phone, the caring branch confirms."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from core.services.audit import audit_record
from core.services.notifications import notification_send, notification_send_many
from party.access import keepers_of
from party.models import MemberRecord, MobileInfo, MobileRegistration
from party.services.members import _sync_membership, check_member_dates
from party.signals import announce_member_changed

REGISTRATION_FIELDS = (
    "name",
    "gender",
    "birth_year",
    "phone",
    "status",
    "joined_on",
    "occupation",
    "platform",
    "registered_with",
    "lives_in",
    "works_at",
    "caring_org",
)


def mobile_register(*, user: User, data: dict[str, Any]) -> MobileRegistration:
    check_member_dates({"joined_on": data.get("joined_on")})
    try:
        with transaction.atomic():
            registration = MobileRegistration(user=user, **{f: data[f] for f in REGISTRATION_FIELDS if f in data})
            registration.full_clean(exclude=["user", "caring_org"])
            registration.save()
            notification_send_many(
                recipients=list(keepers_of(registration.caring_org)),
                kind="party.mobile_registration",
                title=_("A mobile member has registered with your branch"),
                body=f"{registration.name} · {registration.get_occupation_display()} · {registration.platform}",
                url=reverse("party:registration_detail", args=[registration.pk]),
            )
    except IntegrityError:
        raise ValidationError(_("Your registration is already waiting for the branch.")) from None
    return registration


def registration_confirm(
    *, by: User, registration: MobileRegistration, request: HttpRequest | None = None
) -> MemberRecord:
    """Make (or update) the member's record under the caring branch, with the mobile details."""
    with transaction.atomic():
        registration = MobileRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.state != MobileRegistration.State.PENDING:
            raise ValidationError(_("This registration has been decided already."))
        record = (
            MemberRecord.objects.select_for_update().filter(user=registration.user).first()
            or MemberRecord.objects.select_for_update().filter(phone=registration.phone).first()
        )
        old_branch_id = record.branch_id if record else None
        if record is None:
            # The full-membership date is left for the branch to fill in from the member's file.
            record = MemberRecord(
                branch=registration.caring_org, status=registration.status, joined_on=registration.joined_on
            )
        # A record kept by another branch of the city stays there; only an unknown member is kept
        # by the caring branch (their relationship lies outside the city).
        record.user = registration.user if record.user_id in (None, registration.user_id) else record.user
        record.name, record.gender, record.birth_year = registration.name, registration.gender, registration.birth_year
        record.phone, record.occupation = registration.phone, registration.occupation
        record.work_unit = registration.platform
        record.is_mobile = True
        record.save()
        announce_member_changed(record.pk)
        MobileInfo.objects.update_or_create(
            member=record,
            defaults={
                "registered_with": registration.registered_with,
                "lives_in": registration.lives_in,
                "works_at": registration.works_at,
                "platform": registration.platform,
                "caring_org": registration.caring_org,
                "area": registration.caring_org.area if registration.caring_org.area_id else None,
                "since": timezone.localdate(),
            },
        )
        _sync_membership(record, old_branch_id if old_branch_id != record.branch_id else None)
        registration.state, registration.decided_by, registration.decided_at = (
            MobileRegistration.State.CONFIRMED,
            by,
            timezone.now(),
        )
        registration.record = record
        registration.save()
        audit_record(actor=by, action="party.mobile.confirm", obj=record, request=request)
        notification_send(
            recipient=registration.user,
            kind="party.mobile_registration",
            title=_("Your branch has confirmed your registration"),
            body=registration.caring_org.name,
            url=reverse("party:my_record"),
        )
    return record


def registration_reject(
    *, by: User, registration: MobileRegistration, reply: str, request: HttpRequest | None = None
) -> MobileRegistration:
    if not reply.strip():
        raise ValidationError(_("Tell the member why the registration is returned."))
    with transaction.atomic():
        registration = MobileRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.state != MobileRegistration.State.PENDING:
            raise ValidationError(_("This registration has been decided already."))
        registration.state, registration.decided_by, registration.decided_at = (
            MobileRegistration.State.REJECTED,
            by,
            timezone.now(),
        )
        registration.reply = reply.strip()[:200]
        registration.save()
        audit_record(actor=by, action="party.mobile.reject", obj=registration, request=request)
        notification_send(
            recipient=registration.user,
            kind="party.mobile_registration",
            title=_("Your registration was returned by the branch"),
            body=registration.reply,
            url=reverse("party:register"),
        )
    return registration
