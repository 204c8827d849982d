"""Layered authorisation (分层分类授权): the only way from a user-supplied id to a row.

A person's memberships place them in the trees. Area roles see their subtree; department
staff see their department; members and venue operators see their party organisation;
the operations centre sees everything. "Does not exist" and "not yours" both raise Http404
so that ids cannot be probed.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from core.models import Area, Department, Membership, PartyOrg, Role, User

# Who a request or socket is: a signed-in user or AnonymousUser. Every check here answers for both.
AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """The request a @login_required view gets: its user is signed in (for the type checker)."""

    user: User


# Roles that look after an area and everything under it.
AREA_ROLES = {
    Role.GRID_WORKER: Area.Level.GRID,
    Role.COMMUNITY_STAFF: Area.Level.VILLAGE,
    Role.TOWN_STAFF: Area.Level.TOWN,
}
PARTY_ORG_ROLES = {Role.MEMBER, Role.VENUE_OPERATOR}


def memberships_of(user: AnyUser) -> list[Membership]:
    """The user's memberships, loaded once per request/consumer and cached on the user object."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("area", "department", "party_org"))
        user.__dict__["_memberships_cache"] = cached  # on the instance; tests pop it to reload
    return cached


def has_role(user: AnyUser, *roles: str) -> bool:
    return any(m.role in roles for m in memberships_of(user))


def is_city_wide(user: AnyUser) -> bool:
    """Superusers and the operations centre see the whole city."""
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or has_role(user, Role.OPS_ADMIN)))


def is_member_audience(user: AnyUser) -> bool:
    """Who "members" means wherever something is for members only (courses, lessons, live events):
    signed-in, active people holding any role other than resident, and superusers. A resident is a
    citizen using the public side, never an audience for members-only content."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or any(m.role != Role.RESIDENT for m in memberships_of(user))


def _area_paths(user: AnyUser) -> list[str]:
    return [m.area.path for m in memberships_of(user) if m.role in AREA_ROLES and m.area is not None]


def area_scope_paths(user: AnyUser) -> list[str]:
    """Paths of the areas the user looks after through an area role (not the city-wide view)."""
    return _area_paths(user)


def areas_visible_to(user: AnyUser) -> QuerySet[Area]:
    if is_city_wide(user):
        return Area.objects.all()
    paths = _area_paths(user)
    if not paths:
        return Area.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Area.objects.filter(condition)


def can_view_area(user: AnyUser, area: Area) -> bool:
    return is_city_wide(user) or any(area.path.startswith(p) for p in _area_paths(user))


# Changing is for those who keep a place's records: grid workers their grids, community and town
# staff their subtree. The operations centre (and superusers) oversee the whole city but own no
# grid, so they view everything and change nothing: records stay with the people accountable for them.
def can_change_area(user: AnyUser, area: Area) -> bool:
    return bool(user.is_authenticated and user.is_active) and any(area.path.startswith(p) for p in _area_paths(user))


def access_area_by_id(user: AnyUser, area_id: int | str, *, for_change: bool = False, level: int | None = None) -> Area:
    try:
        area = Area.objects.get(pk=int(area_id))
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if level is not None and area.level != level:
        raise Http404
    allowed = can_change_area(user, area) if for_change else can_view_area(user, area)
    if not allowed:
        raise Http404
    return area


def departments_visible_to(user: AnyUser) -> QuerySet[Department]:
    if is_city_wide(user):
        return Department.objects.all()
    ids = [m.department_id for m in memberships_of(user) if m.department_id]
    return Department.objects.filter(pk__in=ids)


def access_department_by_id(user: AnyUser, department_id: int | str) -> Department:
    try:
        return departments_visible_to(user).get(pk=int(department_id))
    except (Department.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def party_orgs_visible_to(user: AnyUser) -> QuerySet[PartyOrg]:
    """Members see their own organisation; area staff see organisations in their areas."""
    if is_city_wide(user):
        return PartyOrg.objects.all()
    condition = Q()
    for m in memberships_of(user):
        if m.role in PARTY_ORG_ROLES and m.party_org_id:
            condition |= Q(pk=m.party_org_id)
        elif m.role in AREA_ROLES and m.area is not None:
            condition |= Q(area__path__startswith=m.area.path)
    if not condition:
        return PartyOrg.objects.none()
    return PartyOrg.objects.filter(condition)


def access_party_org_by_id(user: AnyUser, org_id: int | str) -> PartyOrg:
    try:
        return party_orgs_visible_to(user).get(pk=int(org_id))
    except (PartyOrg.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
