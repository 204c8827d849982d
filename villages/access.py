"""Who may see, enter and lock a village's collective economy.

- Village/community staff: enter their own village's years while they are open.
- Town/street staff: see and enter their town's villages, and review and lock them (and correct a
  locked year, with a reason).
- The operations centre and superusers: all villages, including locking and corrections.
- The organisation department: all villages, read only.
Everyone else gets a 404, as for a village that does not exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from core.access import is_city_wide, memberships_of
from core.models import Area, Role, User
from party.access import is_org_department
from villages.models import VillageYear


def _area_paths(user: User, role: str) -> list[str]:
    return [m.area.path for m in memberships_of(user) if m.role == role and m.area_id]


def villages_visible_to(user: User) -> QuerySet[Area]:
    villages = Area.objects.filter(level=Area.Level.VILLAGE)
    if is_city_wide(user) or is_org_department(user):
        return villages
    paths = _area_paths(user, Role.TOWN_STAFF) + _area_paths(user, Role.COMMUNITY_STAFF)
    if not paths:
        return villages.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return villages.filter(condition)


def can_enter(user: User, village: Area) -> bool:
    if is_city_wide(user):
        return True
    return any(village.path.startswith(p) for p in _area_paths(user, Role.TOWN_STAFF)) or any(
        village.path.startswith(p) for p in _area_paths(user, Role.COMMUNITY_STAFF)
    )


def can_review(user: User, village: Area) -> bool:
    """Lock a year, send it back, correct it after locking: the town above it, or the city."""
    return is_city_wide(user) or any(village.path.startswith(p) for p in _area_paths(user, Role.TOWN_STAFF))


def access_village_by_id(user: User, village_id: int | str, *, for_change: bool = False) -> Area:
    try:
        village = villages_visible_to(user).select_related("parent").get(pk=int(village_id))
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not can_enter(user, village):
        raise Http404
    return village


def access_village_year(
    user: User, village_id: int | str, year: int | str, *, for_change: bool = False, for_review: bool = False
) -> VillageYear:
    village = access_village_by_id(user, village_id, for_change=for_change)
    if for_review and not can_review(user, village):
        raise Http404
    try:
        return VillageYear.objects.select_related("village").get(village=village, year=int(year))
    except (VillageYear.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def towns_visible_to(user: User) -> QuerySet[Area]:
    towns = Area.objects.filter(level=Area.Level.TOWN)
    if is_city_wide(user) or is_org_department(user):
        return towns
    return towns.filter(pk__in=villages_visible_to(user).values("parent_id"))
