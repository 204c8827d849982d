"""The audited Excel export of what a person may see (buildings, households, residents of their scope)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.models import Area, User
from core.services.audit import audit_record
from governance.access import buildings_visible_to, residents_visible_to
from governance.exports import scope_workbook
from governance.models import Household


def grid_data_export(
    *, by: User, area: Area | None, reveal_reason: str = "", request: HttpRequest | None = None
) -> tuple[bytes, dict[str, int]]:
    """The workbook of the person's scope (or of `area` within it, already checked by the caller).

    Phone and ID numbers are masked unless a reason is given; then the export is a reveal of every
    resident in it, and is audited as one with its reason — like `resident_reveal`, never the values.
    """
    reason = " ".join((reveal_reason or "").split())[:200]
    reveal = bool(reason)
    if reveal_reason and not reason:
        raise ValidationError({"reason": _("Say why you need the full details.")})
    buildings = buildings_visible_to(by)
    residents = residents_visible_to(by).current()
    if area is not None:
        buildings = buildings.filter(grid__path__startswith=area.path)
        residents = residents.filter(grid__path__startswith=area.path)
    households = Household.objects.filter(building__in=buildings.values("pk"))
    content, counts = scope_workbook(buildings=buildings, households=households, residents=residents, reveal=reveal)
    detail: dict = {"area": area.code if area is not None else "", "revealed": reveal, "rows": counts}
    if reveal:
        detail["reason"] = reason
    audit_record(
        actor=by,
        action="governance.export.reveal" if reveal else "governance.export",
        obj=area,
        request=request,
        detail=detail,
    )
    return content, counts
