"""The only way from a user-supplied id to governance rows. 404 for missing and for not yours.

Who sees what (分层分类授权): grid workers their grids, community staff their community's grids,
town staff their town, the operations centre everything (to view), departments and party members
no residents at all, a resident their own household only. Changing follows `core.access.can_change_area`:
only those who keep a place's records change them.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from core.access import (
    access_area_by_id,
    area_scope_paths,
    can_change_area,
    can_view_area,
    has_role,
    is_city_wide,
    memberships_of,
)
from core.models import Area, Role, User
from governance.models import Building, Household, ImportJob, Resident, Visit


def access_grid_by_id(user: User, grid_id: int | str, *, for_change: bool = False) -> Area:
    return access_area_by_id(user, grid_id, for_change=for_change, level=Area.Level.GRID)


def _grid_condition(user: User, prefix: str) -> Q | None:
    """A filter on `<prefix>path` for the grids the user may view; None when that is everything."""
    if is_city_wide(user):
        return None
    paths = area_scope_paths(user)
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{prefix}path__startswith": path})
    return condition


def grids_visible_to(user: User) -> QuerySet[Area]:
    condition = _grid_condition(user, "")
    qs = Area.objects.filter(level=Area.Level.GRID)
    return qs if condition is None else qs.filter(condition)


def grids_changeable_by(user: User) -> QuerySet[Area]:
    """Grids whose records the user keeps (can_change_area): where an import may write."""
    if not (user.is_authenticated and user.is_active):
        return Area.objects.none()
    condition = Q(pk__in=[])
    for path in area_scope_paths(user):
        condition |= Q(path__startswith=path)
    return Area.objects.filter(condition, level=Area.Level.GRID)


def can_import(user: User) -> bool:
    return grids_changeable_by(user).exists()


def can_export(user: User) -> bool:
    return grids_visible_to(user).exists()


def buildings_visible_to(user: User) -> QuerySet[Building]:
    condition = _grid_condition(user, "grid__")
    return Building.objects.all() if condition is None else Building.objects.filter(condition)


def residents_visible_to(user: User) -> QuerySet[Resident]:
    """Residents a person may see as staff (not their own household: see own_households)."""
    condition = _grid_condition(user, "grid__")
    return Resident.objects.all() if condition is None else Resident.objects.filter(condition)


def own_households(user: User) -> QuerySet[Household]:
    """The households whose record a signed-in resident may read: those they are linked to."""
    if not (user.is_authenticated and user.is_active and has_role(user, Role.RESIDENT)):
        return Household.objects.none()
    return Household.objects.filter(residents__account=user, residents__moved_out_on__isnull=True).distinct()


def worker_grid_ids(user: User) -> list[int]:
    """The grids a person keeps as their grid worker: the scope of 我的走访."""
    return sorted({m.area_id for m in memberships_of(user) if m.role == Role.GRID_WORKER and m.area_id})


def _allowed(user: User, grid: Area, for_change: bool) -> bool:
    return can_change_area(user, grid) if for_change else can_view_area(user, grid)


def _int(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def access_building_by_id(user: User, building_id: int | str, *, for_change: bool = False) -> Building:
    building = Building.objects.select_related("grid").filter(pk=_int(building_id)).first()
    if building is None or not _allowed(user, building.grid, for_change):
        raise Http404
    return building


def access_household_by_id(user: User, household_id: int | str, *, for_change: bool = False) -> Household:
    household = Household.objects.select_related("building__grid").filter(pk=_int(household_id)).first()
    if household is None:
        raise Http404
    if _allowed(user, household.building.grid, for_change):
        return household
    # A resident reads (never changes) the record of their own household.
    if not for_change and own_households(user).filter(pk=household.pk).exists():
        return household
    raise Http404


def access_resident_by_id(user: User, resident_id: int | str, *, for_change: bool = False) -> Resident:
    resident = Resident.objects.select_related("grid", "household__building").filter(pk=_int(resident_id)).first()
    if resident is None or not _allowed(user, resident.grid, for_change):
        raise Http404
    return resident


def access_visit_by_id(user: User, visit_id: int | str, *, for_change: bool = False) -> Visit:
    visit = Visit.objects.select_related("grid", "resident__household__building").filter(pk=_int(visit_id)).first()
    if visit is None or not _allowed(user, visit.grid, for_change):
        raise Http404
    return visit


def access_import_job_by_id(user: User, job_id: int | str) -> ImportJob:
    """An import's report is its importer's alone: it names rows of the file they uploaded."""
    job = ImportJob.objects.filter(pk=_int(job_id)).first()
    if job is None or not (user.is_authenticated and user.is_active) or job.created_by_id != user.pk:
        raise Http404
    return job
