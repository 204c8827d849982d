from __future__ import annotations

from django.http import Http404

from core.access import access_area_by_id, can_change_area, can_view_area
from core.models import Area, User
from governance.models import Resident


def access_grid_by_id(user: User, grid_id: int | str, *, for_change: bool = False) -> Area:
    return access_area_by_id(user, grid_id, for_change=for_change, level=Area.Level.GRID)


def access_resident_by_id(user: User, resident_id: int | str, *, for_change: bool = False) -> Resident:
    try:
        resident = Resident.objects.select_related("grid").get(pk=int(resident_id))
    except (Resident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    allowed = can_change_area(user, resident.grid) if for_change else can_view_area(user, resident.grid)
    if not allowed:
        raise Http404
    return resident
