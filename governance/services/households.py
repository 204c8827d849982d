"""Households: status and notes kept by grid workers; residents' correction requests."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from core.models import Area, Membership, Role, User
from core.services.audit import audit_record
from core.services.notifications import notification_send_many
from governance.models import Household
from governance.signals import announce_grids_changed

HOUSEHOLD_FIELDS = ("status", "occupant", "moved_in_on", "notes")


@transaction.atomic
def household_update(*, by: User, household: Household, data: dict, request: HttpRequest | None = None) -> Household:
    changed = sorted(k for k in HOUSEHOLD_FIELDS if k in data and getattr(household, k) != data[k])
    for key in changed:
        setattr(household, key, data[key])
    household.full_clean()
    household.save()
    announce_grids_changed([household.building.grid_id])
    audit_record(
        actor=by, action="governance.household.update", obj=household, request=request, detail={"fields": changed}
    )
    return household


def keepers_of(grid: Area) -> list[User]:
    """Who answers for a grid: its grid workers, else the staff of its community."""
    workers = [m.user for m in Membership.objects.filter(role=Role.GRID_WORKER, area=grid).select_related("user")]
    if workers:
        return workers
    return [
        m.user
        for m in Membership.objects.filter(role=Role.COMMUNITY_STAFF, area_id=grid.parent_id).select_related("user")
    ]


@transaction.atomic
def household_correction_request(*, by: User, household: Household, message: str) -> int:
    """A resident asks for their household's record to be corrected (PIPL art. 46).

    The grid's keepers get a notification that links to the household; the message goes to them,
    the audit log records only that a request was made.
    """
    grid = household.building.grid
    recipients = keepers_of(grid)
    notification_send_many(
        recipients=recipients,
        kind="governance.correction",
        title=_("Correction requested for %(label)s") % {"label": household.label},
        body=f"{by.get_full_name()}: {message}",
        url=reverse("governance:household_detail", args=[household.pk]),
    )
    audit_record(actor=by, action="governance.household.correction_request", obj=household)
    return len(recipients)
