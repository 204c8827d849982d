"""Who sees which report: the only way from a user-supplied id to a report, a photo or a rule.

- the reporter (and everyone following it after a merge): their own reports;
- grid workers, community and town staff: reports located in their areas;
- department staff and the department's supervisor (分管领导): reports ever dispatched to their
  department (reporter masked when anonymous); only staff act on them, the supervisor oversees;
- the operations centre: everything, plus rules, arbitration and Open311 keys.
Anything else is a 404, the same as for an id that does not exist.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from core.access import AREA_ROLES, is_city_wide, memberships_of
from core.models import Role, User
from governance.access import buildings_visible_to, own_households
from governance.models import Building, Household
from governance.reports.models import Assignment, Report, ReportFollower, ReportPhoto

DEPARTMENT_ROLES = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_SUPERVISOR)


def _department_ids(user: User) -> list[int]:
    return sorted({m.department_id for m in memberships_of(user) if m.role in DEPARTMENT_ROLES and m.department_id})


def _area_paths(user: User) -> list[str]:
    return [m.area.path for m in memberships_of(user) if m.role in AREA_ROLES and m.area_id]


def reports_visible_to(user: User) -> QuerySet[Report]:
    if not user.is_authenticated or not user.is_active:
        return Report.objects.none()
    if is_city_wide(user):
        return Report.objects.all()
    condition = Q(reporter=user) | Q(Exists(ReportFollower.objects.filter(report=OuterRef("pk"), user=user)))
    for path in _area_paths(user):
        condition |= Q(area_path__startswith=path)
    departments = _department_ids(user)
    if departments:
        condition |= Q(Exists(Assignment.objects.filter(report=OuterRef("pk"), department_id__in=departments)))
    return Report.objects.filter(condition)


def access_report_by_id(user: User, report_id: int | str) -> Report:
    try:
        pk = int(report_id)
    except (TypeError, ValueError):
        raise Http404 from None
    report = (
        reports_visible_to(user)
        .select_related("category", "category__parent", "department", "grid", "reporter", "assignment")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return report


def access_photo_by_id(user: User, photo_id: int | str) -> ReportPhoto:
    try:
        pk = int(photo_id)
    except (TypeError, ValueError):
        raise Http404 from None
    photo = ReportPhoto.objects.filter(pk=pk, report__in=reports_visible_to(user)).first()
    if photo is None:
        raise Http404
    return photo


# --- places a reporter may pick from the grid data ----------------------------------------------------
# Grid, community and town staff (and the centre) pick among the buildings they may see; a resident
# among the buildings of their own households; anyone else (a rider) has no grid data and uses the
# phone's location, a pin or an address.


def report_buildings_for(user: User) -> QuerySet[Building]:
    if not user.is_authenticated or not user.is_active:
        return Building.objects.none()
    own = own_households(user).values("building_id")
    if is_city_wide(user) or _area_paths(user):
        return (buildings_visible_to(user) | Building.objects.filter(pk__in=own)).distinct()
    return Building.objects.filter(pk__in=own)


def report_households_for(user: User, building: Building) -> QuerySet[Household]:
    """The homes of a building the user may pick: all of it for its staff, else only their own."""
    homes = building.households.filter(outside_model=False)
    if is_city_wide(user) or any(building.grid.path.startswith(p) for p in _area_paths(user)):
        return homes
    return homes.filter(pk__in=own_households(user).values("pk"))


def access_report_building_by_id(user: User, building_id: int | str) -> Building:
    try:
        pk = int(building_id)
    except (TypeError, ValueError):
        raise Http404 from None
    building = report_buildings_for(user).select_related("grid").filter(pk=pk).first()
    if building is None:
        raise Http404
    return building


def access_report_household_by_id(user: User, building: Building, household_id: int | str) -> Household:
    try:
        pk = int(household_id)
    except (TypeError, ValueError):
        raise Http404 from None
    household = report_households_for(user, building).filter(pk=pk).first()
    if household is None:
        raise Http404
    return household


def can_see_reporter(user: User, report: Report) -> bool:
    """Anonymity is towards the departments: the centre and the area's staff still know who reported."""
    if report.reporter_id == user.pk or is_city_wide(user):
        return True
    if any(report.area_path.startswith(p) for p in _area_paths(user)) and report.area_path:
        return True
    return not report.anonymous


def is_department_viewer(user: User) -> bool:
    return bool(_department_ids(user))


def department_ids_of(user: User) -> list[int]:
    return _department_ids(user)


def can_manage_rules(user: User) -> bool:
    return is_city_wide(user)


def require_ops(user: User) -> None:
    """Pages for the operations centre only (queue, rules, keys): a 404 for everyone else."""
    if not is_city_wide(user):
        raise Http404


def can_review(user: User) -> bool:
    return is_city_wide(user) or bool(_department_ids(user)) or bool(_area_paths(user))
