"""Residents: register, change, move out (archive), reveal; the visit plan their tags imply."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import blind_index
from core.models import User
from core.services.audit import audit_record
from governance.models import CareTag, Household, Resident
from governance.signals import announce_grids_changed

ID_INDEX_PURPOSE = "resident.id_number"
PHONE_INDEX_PURPOSE = "resident.phone"
# Fields a person edits; the audit log records which of them changed, never their values.
EDITABLE_FIELDS = ("name", "birth_year", "relation", "phone", "id_number", "guardian", "moved_in_on")


def id_number_hash(value: str) -> str:
    return blind_index(value.upper(), purpose=ID_INDEX_PURPOSE) if value else ""


def visit_plan_for(tags: list[CareTag], *, last_visited_on: datetime.date | None, today: datetime.date):
    """(interval in days, next due date) for these tags: the most frequent tier wins.

    Someone never visited is due today; otherwise the next visit is due one interval after the last.
    """
    intervals = [t.visit_interval_days for t in tags if t.is_active and t.visit_interval_days]
    if not intervals:
        return None, None
    interval = min(intervals)
    if last_visited_on is None:
        return interval, today
    return interval, last_visited_on + datetime.timedelta(days=interval)


def resident_refresh_visit_plan(*, resident: Resident, today: datetime.date | None = None) -> None:
    today = today or timezone.localdate()
    interval, due = visit_plan_for(
        list(resident.care_tags.all()), last_visited_on=resident.last_visited_on, today=today
    )
    if resident.moved_out_on is not None:
        interval, due = None, None
    if (resident.visit_interval_days, resident.next_visit_due) != (interval, due):
        resident.visit_interval_days, resident.next_visit_due = interval, due
        resident.save(update_fields=["visit_interval_days", "next_visit_due", "updated_at"])


def _check_guardian(resident: Resident) -> None:
    # PIPL art. 31: a child under 14 is recorded only together with a guardian who answers for them.
    if not resident.needs_guardian:
        return
    guardian = resident.guardian
    if guardian is None:
        raise ValidationError({"guardian": _("A child under 14 is recorded only with a guardian.")})
    if guardian.pk == resident.pk or guardian.needs_guardian or guardian.moved_out_on is not None:
        raise ValidationError({"guardian": _("The guardian must be an adult resident who lives here.")})


@transaction.atomic
def resident_save(
    *,
    by: User,
    household: Household,
    data: dict,
    care_tags: list[CareTag] | None = None,
    resident: Resident | None = None,
    request: HttpRequest | None = None,
) -> Resident:
    """Create or change a resident of `household`.

    `data` holds only fields the person actually submitted: an empty phone or ID number from an
    edit form means "keep", so the form never needs the stored values (see ResidentForm).
    """
    creating = resident is None
    grid = household.building.grid
    if resident is None:
        resident = Resident(grid=grid, household=household, created_by=by)
    # Compare with the stored row, not the instance: a ModelForm has already copied the new values
    # onto it. The audit names the fields whose values really change.
    stored = Resident.objects.filter(pk=resident.pk).first() if not creating else None
    changed = (
        [k for k, v in data.items() if k in EDITABLE_FIELDS and (stored is None or getattr(stored, k, None) != v)]
        if not creating
        else sorted(k for k, v in data.items() if k in EDITABLE_FIELDS and v)
    )
    if not creating and resident.household_id != household.pk:
        changed.append("household")
    for key, value in data.items():
        setattr(resident, key, value)
    if resident.id_number:
        resident.id_number = resident.id_number.upper()
    resident.household, resident.grid = household, grid
    resident.id_number_hash = id_number_hash(resident.id_number)
    resident.phone_hash = blind_index(resident.phone, purpose=PHONE_INDEX_PURPOSE) if resident.phone else ""
    resident.full_clean(exclude=["care_tags"])
    _check_guardian(resident)
    if resident.id_number_hash:
        duplicate = Resident.objects.filter(id_number_hash=resident.id_number_hash).exclude(pk=resident.pk)
        if duplicate.exists():
            raise ValidationError({"id_number": _("A resident with this ID card number is already registered.")})
    resident.save()
    if care_tags is not None:
        before = set(resident.care_tags.values_list("pk", flat=True)) if not creating else set()
        if before != {t.pk for t in care_tags}:
            changed.append("care_tags")
            resident.care_tags.set(care_tags)
    resident_refresh_visit_plan(resident=resident)
    if household.status == Household.Status.VACANT:
        household.status = Household.Status.OWNER if resident.relation != "tenant" else Household.Status.RENTED
        household.save(update_fields=["status", "updated_at"])
    # A resident who changed household may have left another grid.
    announce_grids_changed([grid.pk, stored.grid_id if stored is not None else None])
    audit_record(
        actor=by,
        action="governance.resident.create" if creating else "governance.resident.update",
        obj=resident,
        request=request,
        detail={"fields": sorted(set(changed))},  # names of changed fields only, never their values
    )
    return resident


@transaction.atomic
def resident_move_out(
    *, by: User, resident: Resident, on: datetime.date, request: HttpRequest | None = None
) -> Resident:
    """Archive a resident who left: kept with their history, out of current lists and visit plans."""
    if resident.moved_out_on is not None:
        return resident
    if on > timezone.localdate():
        raise ValidationError({"moved_out_on": _("The date cannot be in the future.")})
    resident.moved_out_on = on
    resident.visit_interval_days = None
    resident.next_visit_due = None
    resident.save(update_fields=["moved_out_on", "visit_interval_days", "next_visit_due", "updated_at"])
    announce_grids_changed([resident.grid_id])
    audit_record(
        actor=by,
        action="governance.resident.move_out",
        obj=resident,
        request=request,
        detail={"fields": ["moved_out_on"]},
    )
    return resident


def resident_reveal(*, by: User, resident: Resident, reason: str, request: HttpRequest | None = None) -> Resident:
    """Record that someone looked at the unmasked phone and ID number, and why (never the values)."""
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise ValidationError({"reason": _("Say why you need the full details.")})
    audit_record(
        actor=by, action="governance.resident.reveal", obj=resident, request=request, detail={"reason": reason}
    )
    return resident
