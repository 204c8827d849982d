"""Writes to a village's collective economy: entering, submitting, locking and correcting a year."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Area, User
from core.services.audit import audit_record
from villages.models import FIGURE_FIELDS, INCOME_FIELDS, Correction, Industry, Project, VillageMonth, VillageYear
from villages.signals import announce_year_changed

INDUSTRY_FIELDS = ("kind", "name", "scale", "unit", "output_value", "households")
PROJECT_FIELDS = ("name", "investment", "funding", "status", "note")


def _label(model, field: str) -> str:
    return str(model._meta.get_field(field).verbose_name)


def _locked_for(year: VillageYear, reason: str) -> bool:
    """True when a change must be recorded as a correction; refuses one without a reason."""
    if not year.is_locked:
        return False
    if not reason.strip():
        raise ValidationError({"reason": _("The year is locked: give the reason for the correction.")})
    return True


def village_year_save(
    *,
    by: User,
    village: Area,
    year: int,
    data: dict[str, Any],
    reason: str = "",
    request: HttpRequest | None = None,
) -> VillageYear:
    """Create or change a year's figures. On a locked year every changed figure is kept as a correction."""
    if village.level != Area.Level.VILLAGE:
        raise ValidationError(_("Collective economy is kept for villages and communities."))
    if year > timezone.localdate().year:
        raise ValidationError({"year": _("The year lies in the future.")})
    with transaction.atomic():
        try:
            vy, _created = VillageYear.objects.select_for_update().get_or_create(
                village=village, year=year, defaults={"entered_by": by}
            )
        except IntegrityError:  # created by someone else between our get and create
            vy = VillageYear.objects.select_for_update().get(village=village, year=year)
        correcting = _locked_for(vy, reason)
        corrections = []
        for name in (*FIGURE_FIELDS, "note"):
            if name not in data or data[name] is None:
                continue
            old, new = getattr(vy, name), data[name]
            if isinstance(old, Decimal):
                new = Decimal(new).quantize(Decimal("0.01"))
            if old != new:
                corrections.append(
                    Correction(
                        village_year=vy,
                        field=_label(VillageYear, name),
                        old_value=str(old)[:200],
                        new_value=str(new)[:200],
                        reason=reason.strip()[:200],
                        by=by,
                    )
                )
                setattr(vy, name, new)
        vy.full_clean(exclude=["village", "entered_by", "locked_by"])
        if not correcting:
            vy.entered_by = by
        vy.save()
        if correcting and corrections:
            Correction.objects.bulk_create(corrections)
        audit_record(
            actor=by,
            action="villages.year.correct" if correcting else "villages.year.save",
            obj=vy,
            request=request,
            detail={"fields": [c.field for c in corrections], "reason": reason.strip()[:200]},
        )
        announce_year_changed(vy.pk)
    return vy


def village_month_save(
    *, by: User, village_year: VillageYear, month: int, data: dict[str, Any], reason: str = ""
) -> VillageMonth:
    with transaction.atomic():
        vy = VillageYear.objects.select_for_update().get(pk=village_year.pk)
        correcting = _locked_for(vy, reason)
        row, _created = VillageMonth.objects.get_or_create(village_year=vy, month=month)
        corrections = []
        for name in (*INCOME_FIELDS, "expenditure"):
            if name in data and data[name] is not None:
                new = Decimal(data[name]).quantize(Decimal("0.01"))
                if getattr(row, name) != new:
                    corrections.append(
                        Correction(
                            village_year=vy,
                            field=_("Month %(month)s: %(figure)s")
                            % {"month": month, "figure": _label(VillageMonth, name)},
                            old_value=str(getattr(row, name)),
                            new_value=str(new),
                            reason=reason.strip()[:200],
                            by=by,
                        )
                    )
                    setattr(row, name, new)
        row.full_clean(exclude=["village_year"])
        row.save()
        if correcting:
            Correction.objects.bulk_create(corrections)
    return row


def village_year_fill_from_months(*, by: User, village_year: VillageYear, reason: str = "") -> VillageYear:
    """Set the year's income and expenditure to the sum of its months."""
    sums = {name: Decimal("0") for name in (*INCOME_FIELDS, "expenditure")}
    for month in village_year.months.all():
        for name in sums:
            sums[name] += getattr(month, name)
    return village_year_save(by=by, village=village_year.village, year=village_year.year, data=sums, reason=reason)


def village_year_submit(*, by: User, village_year: VillageYear, request: HttpRequest | None = None) -> VillageYear:
    with transaction.atomic():
        vy = VillageYear.objects.select_for_update().get(pk=village_year.pk)
        if vy.state != VillageYear.State.DRAFT:
            raise ValidationError(_("Only a year being entered can be submitted."))
        vy.state, vy.submitted_at = VillageYear.State.SUBMITTED, timezone.now()
        vy.save(update_fields=["state", "submitted_at", "updated_at"])
        audit_record(actor=by, action="villages.year.submit", obj=vy, request=request)
        announce_year_changed(vy.pk)
    return vy


def village_year_lock(*, by: User, village_year: VillageYear, request: HttpRequest | None = None) -> VillageYear:
    with transaction.atomic():
        vy = VillageYear.objects.select_for_update().get(pk=village_year.pk)
        if vy.state == VillageYear.State.LOCKED:
            raise ValidationError(_("The year is locked already."))
        vy.state, vy.locked_by, vy.locked_at = VillageYear.State.LOCKED, by, timezone.now()
        vy.save(update_fields=["state", "locked_by", "locked_at", "updated_at"])
        audit_record(actor=by, action="villages.year.lock", obj=vy, request=request)
        announce_year_changed(vy.pk)
    return vy


def village_year_return(
    *, by: User, village_year: VillageYear, reason: str, request: HttpRequest | None = None
) -> VillageYear:
    """The town sends a submitted year back to the village to be completed (not a locked one)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say what the village should complete.")})
    with transaction.atomic():
        vy = VillageYear.objects.select_for_update().get(pk=village_year.pk)
        if vy.state != VillageYear.State.SUBMITTED:
            raise ValidationError(_("Only a submitted year can be sent back."))
        vy.state = VillageYear.State.DRAFT
        vy.save(update_fields=["state", "updated_at"])
        audit_record(actor=by, action="villages.year.return", obj=vy, request=request, detail={"reason": reason[:200]})
        announce_year_changed(vy.pk)
    return vy


def industry_save(
    *, by: User, village_year: VillageYear, data: dict[str, Any], industry: Industry | None = None, reason: str = ""
) -> Industry:
    with transaction.atomic():
        vy = VillageYear.objects.select_for_update().get(pk=village_year.pk)
        correcting = _locked_for(vy, reason)
        if industry is None:
            industry = Industry(village_year=vy)
        elif industry.village_year_id != vy.pk:
            raise ValidationError(_("The industry belongs to another year."))
        before = {f: getattr(industry, f) for f in INDUSTRY_FIELDS} if industry.pk else {}
        for name in INDUSTRY_FIELDS:
            if name in data and data[name] is not None:
                setattr(industry, name, data[name])
        industry.full_clean(exclude=["village_year"])
        industry.save()
        announce_year_changed(vy.pk)
        if correcting:
            Correction.objects.bulk_create(
                [
                    Correction(
                        village_year=vy,
                        field=f"{_label(Industry, 'name')}「{industry.name}」{_label(Industry, f)}",
                        old_value=str(before.get(f, "—")),
                        new_value=str(getattr(industry, f)),
                        reason=reason.strip()[:200],
                        by=by,
                    )
                    for f in INDUSTRY_FIELDS
                    if before.get(f, "—") != getattr(industry, f)
                ]
            )
    return industry


def project_save(
    *, by: User, village_year: VillageYear, data: dict[str, Any], project: Project | None = None, reason: str = ""
) -> Project:
    with transaction.atomic():
        vy = VillageYear.objects.select_for_update().get(pk=village_year.pk)
        correcting = _locked_for(vy, reason)
        if project is None:
            project = Project(village_year=vy)
        elif project.village_year_id != vy.pk:
            raise ValidationError(_("The project belongs to another year."))
        before = {f: getattr(project, f) for f in PROJECT_FIELDS} if project.pk else {}
        for name in PROJECT_FIELDS:
            if name in data and data[name] is not None:
                setattr(project, name, data[name])
        project.full_clean(exclude=["village_year"])
        project.save()
        if correcting:
            Correction.objects.bulk_create(
                [
                    Correction(
                        village_year=vy,
                        field=f"{_label(Project, 'name')}「{project.name}」{_label(Project, f)}",
                        old_value=str(before.get(f, "—")),
                        new_value=str(getattr(project, f)),
                        reason=reason.strip()[:200],
                        by=by,
                    )
                    for f in PROJECT_FIELDS
                    if before.get(f, "—") != getattr(project, f)
                ]
            )
    return project
