"""Granting the party-work roles that decide who keeps which records."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.models import PartyOrg, User
from party.models import PartyRole


def party_role_grant(*, user: User, kind: str, party_org: PartyOrg | None = None) -> PartyRole:
    if (kind == PartyRole.Kind.ORG_DEPARTMENT) != (party_org is None):
        raise ValidationError(_("Only the organisation department is city-wide; other roles need an organisation."))
    role, _created = PartyRole.objects.get_or_create(user=user, kind=kind, party_org=party_org)
    user.__dict__.pop("_party_roles_cache", None)
    return role
