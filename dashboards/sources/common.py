"""Pieces the sources share: who a member belongs to, date filters, rows from a values queryset."""

from __future__ import annotations

import datetime

from django.db.models import DateField, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate, TruncMonth

from core.models import Membership, PartyOrg, Role


def member_org_subquery(user_field: str = "user_id") -> Subquery:
    """A member's party organisation: their member role with the lowest id. One organisation per
    member, so that no figure counts a person twice up the tree."""
    return Subquery(
        Membership.objects.filter(user_id=OuterRef(user_field), role=Role.MEMBER)
        .order_by("pk")
        .values("party_org_id")[:1]
    )


def member_org_id(user_id: int) -> int | None:
    return (
        Membership.objects.filter(user_id=user_id, role=Role.MEMBER)
        .order_by("pk")
        .values_list("party_org_id", flat=True)
        .first()
    )


def under_party(qs: QuerySet, field: str, under: str | None) -> QuerySet:
    if not under:
        return qs
    return qs.filter(**{f"{field}__in": PartyOrg.objects.filter(path__startswith=under).values("pk")})


def period_of(field: str, *, by_month: bool, is_datetime: bool):
    if is_datetime:
        return TruncMonth(field, output_field=DateField()) if by_month else TruncDate(field, output_field=DateField())
    return TruncMonth(field, output_field=DateField()) if by_month else F(field)


def date_range(qs: QuerySet, field: str, start: datetime.date | None, end: datetime.date | None, *, is_datetime: bool):
    lookup = f"{field}__date" if is_datetime else field
    if start:
        qs = qs.filter(**{f"{lookup}__gte": start})
    if end:
        qs = qs.filter(**{f"{lookup}__lte": end})
    return qs


def as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value
