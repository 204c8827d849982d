"""Who sees which areas on the map, and who may redraw a boundary. 404 for everything else.

- Operations centre (and superusers): every area, with the grids' household and worker data.
- Town staff, community staff, grid workers: their areas and everything below, the same data.
- Department staff: every area's outline, name and buildings (reports reach them by place), but no
  residents data: no household or population counts, no visits.
- Everyone else (residents, members, editors …): nothing.

Boundaries are drawn by community staff for their community's grids, by town staff for their
town's communities and grids, and by the operations centre anywhere. Grid workers keep grid data
but do not move grid borders: the community decides those.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from core.access import AREA_ROLES, has_role, is_city_wide, memberships_of
from core.models import Area, Role, User

# Which role may redraw which levels below (and at) the area of their membership.
BOUNDARY_EDIT_LEVELS: dict[str, tuple[int, ...]] = {
    Role.COMMUNITY_STAFF: (Area.Level.GRID,),
    Role.TOWN_STAFF: (Area.Level.VILLAGE, Area.Level.GRID),
}


@dataclass(frozen=True)
class MapScope:
    """What one person's map shows. `paths` None means the whole tree."""

    paths: tuple[str, ...] | None
    residents_data: bool

    def covers(self, area: Area) -> bool:
        return self.paths is None or any(area.path.startswith(p) for p in self.paths)

    def areas(self) -> QuerySet[Area]:
        if self.paths is None:
            return Area.objects.all()
        condition = Q()
        for path in self.paths:
            condition |= Q(path__startswith=path)
        return Area.objects.filter(condition)


def map_scope_of(user: User) -> MapScope | None:
    """The person's map, or None when they have none."""
    if is_city_wide(user):
        return MapScope(paths=None, residents_data=True)
    area_paths = sorted({m.area.path for m in memberships_of(user) if m.role in AREA_ROLES and m.area_id})
    if area_paths:
        # Drop paths inside another of the person's paths: each area is then reached once.
        top = tuple(p for p in area_paths if not any(p != q and p.startswith(q) for q in area_paths))
        return MapScope(paths=top, residents_data=True)
    if has_role(user, Role.DEPARTMENT_STAFF):
        return MapScope(paths=None, residents_data=False)
    return None


def access_map_scope(user: User) -> MapScope:
    scope = map_scope_of(user)
    if scope is None:
        raise Http404
    return scope


def access_map_area_by_id(user: User, area_id: int | str) -> tuple[Area, MapScope]:
    scope = access_map_scope(user)
    try:
        area = Area.objects.select_related("parent").get(pk=int(area_id))
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not scope.covers(area):
        raise Http404
    return area, scope


def can_edit_boundary(user: User, area: Area) -> bool:
    if is_city_wide(user):
        return True
    return any(
        m.area_id and area.level in BOUNDARY_EDIT_LEVELS.get(m.role, ()) and area.path.startswith(m.area.path)
        for m in memberships_of(user)
    )


def may_edit_boundaries(user: User) -> bool:
    """Whether the person may redraw any boundary at all (shows the editing tools and the import)."""
    return is_city_wide(user) or any(m.role in BOUNDARY_EDIT_LEVELS and m.area_id for m in memberships_of(user))


def access_boundary_area_by_id(user: User, area_id: int | str) -> Area:
    """An area whose boundary this person may redraw; 404 otherwise (also for areas they only see)."""
    try:
        area = Area.objects.select_related("parent").get(pk=int(area_id))
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can_edit_boundary(user, area):
        raise Http404
    return area
