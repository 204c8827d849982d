"""Writes to role memberships (the trees themselves: core.services.trees)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.access import AREA_ROLES, PARTY_ORG_ROLES
from core.models import Area, Department, Membership, PartyOrg, Role, User

# Which scope each role is bound to. Editors may be bound to a department (they then edit
# only its work-update section) or to none (city-wide).
ROLE_SCOPE: dict[str, str | None] = {
    Role.RESIDENT: "area",
    Role.MEMBER: "party_org",
    Role.GRID_WORKER: "area",
    Role.COMMUNITY_STAFF: "area",
    Role.TOWN_STAFF: "area",
    Role.DEPARTMENT_STAFF: "department",
    Role.DEPARTMENT_SUPERVISOR: "department",
    Role.VENUE_OPERATOR: "party_org",
    Role.EDITOR: "department?",
    Role.REVIEWER: None,
    Role.OPS_ADMIN: None,
}
assert set(ROLE_SCOPE) == set(Role.values)
assert set(AREA_ROLES) | set(PARTY_ORG_ROLES) <= set(ROLE_SCOPE)


def membership_grant(
    *,
    user: User,
    role: str,
    area: Area | None = None,
    department: Department | None = None,
    party_org: PartyOrg | None = None,
) -> Membership:
    """Give a person a role at one place; the scope must match what the role needs."""
    scope = ROLE_SCOPE[Role(role)]
    given = {"area": area, "department": department, "party_org": party_org}
    needed = scope.rstrip("?") if scope else None
    optional = bool(scope and scope.endswith("?"))
    for key, value in given.items():
        if key == needed:
            if value is None and not optional:
                raise ValidationError(_("%(scope)s is required for this role.") % {"scope": _scope_label(key)})
        elif value is not None:
            raise ValidationError(_("%(scope)s must not be set for this role.") % {"scope": _scope_label(key)})
    if role in AREA_ROLES and area.level != AREA_ROLES[role]:
        raise ValidationError(_("The area's level is wrong for this role."))
    with transaction.atomic():
        membership, _created = Membership.objects.get_or_create(user=user, role=role, **given)
    user.__dict__.pop("_memberships_cache", None)
    return membership


def _scope_label(field_name: str) -> str:
    # The field's own verbose name, so a scope is called the same in forms, admin and errors.
    return capfirst(str(Membership._meta.get_field(field_name).verbose_name))
