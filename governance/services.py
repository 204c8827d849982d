from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from core.models import Area, User
from core.services.audit import audit_record
from governance.models import Resident

# Fields whose old and new values must never be written into the audit log.
SENSITIVE_FIELDS = {"phone", "id_number", "care_tags", "birth_year", "name"}


@transaction.atomic
def resident_save(
    *, by: User, grid: Area, data: dict, resident: Resident | None = None, request: HttpRequest | None = None
) -> Resident:
    creating = resident is None
    resident = resident or Resident(grid=grid, created_by=by)
    changed = [k for k, v in data.items() if getattr(resident, k, None) != v]
    for key, value in data.items():
        setattr(resident, key, value)
    resident.grid = grid
    resident.full_clean()
    resident.save()
    audit_record(
        actor=by,
        action="governance.resident.create" if creating else "governance.resident.update",
        obj=resident,
        request=request,
        detail={"fields": sorted(changed)},  # names of changed fields only, never their values
    )
    return resident


def resident_reveal(*, by: User, resident: Resident, request: HttpRequest | None = None) -> Resident:
    """Record that someone looked at the unmasked phone and ID number."""
    audit_record(actor=by, action="governance.resident.reveal", obj=resident, request=request)
    return resident
