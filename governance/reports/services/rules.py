"""The operations centre's settings: categories, dispatch rules, Open311 keys (all audited)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest

from core.models import User
from core.services.audit import audit_record
from governance.reports.models import CalendarDay, Category, DispatchRule, Open311Key


def rule_save(*, form: ModelForm, by: User, request: HttpRequest | None = None) -> DispatchRule:
    with transaction.atomic():
        rule = form.save(commit=False)
        rule.updated_by = by
        rule.save()
        audit_record(
            actor=by,
            action="reports.rule.save",
            obj=rule,
            request=request,
            detail=form.cleaned_data
            and {
                "department": rule.department_id,
                "deadline_hours": rule.deadline_hours,
                "working_days": rule.working_days,
                "area": rule.area_id,
            },
        )
    return rule


def calendar_day_save(*, form: ModelForm, by: User, request: HttpRequest | None = None) -> CalendarDay:
    """Enter a holiday or a make-up working day; a date entered before is changed in place. Deadlines
    already set stay as they are: the calendar counts for dispatches, extensions and reopens from now."""
    data = form.cleaned_data
    with transaction.atomic():
        day, _ = CalendarDay.objects.update_or_create(
            date=data["date"], defaults={"kind": data["kind"], "name": data.get("name", ""), "updated_by": by}
        )
        audit_record(
            actor=by,
            action="reports.calendar.save",
            obj=day,
            request=request,
            detail={"date": day.date.isoformat(), "kind": day.kind},
        )
    return day


def calendar_day_delete(*, day: CalendarDay, by: User, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        audit_record(
            actor=by,
            action="reports.calendar.delete",
            obj=day,
            request=request,
            detail={"date": day.date.isoformat(), "kind": day.kind},
        )
        day.delete()


def category_save(*, form: ModelForm, by: User, request: HttpRequest | None = None) -> Category:
    with transaction.atomic():
        category = form.save()
        audit_record(actor=by, action="reports.category.save", obj=category, request=request)
    return category


def open311_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    row: Open311Key
    key: str  # shown once, never stored


def open311_key_issue(*, name: str, by: User, request: HttpRequest | None = None) -> IssuedKey:
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        account, _ = User.objects.get_or_create(username="open311", defaults={"name": "Open311", "is_active": False})
        row = Open311Key.objects.create(
            name=name, key_hash=open311_key_hash(key), prefix=key[:8], account=account, created_by=by
        )
        audit_record(actor=by, action="reports.open311_key.issue", obj=row, request=request)
    return IssuedKey(row, key)


def open311_key_check(key: str) -> Open311Key | None:
    if not key:
        return None
    return Open311Key.objects.filter(key_hash=open311_key_hash(key), is_active=True).select_related("account").first()
