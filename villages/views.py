"""Village collective economy pages: thin — reach rows through villages.access, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from villages import selectors
from villages.access import (
    access_village_by_id,
    access_village_year,
    can_enter,
    can_review,
    towns_visible_to,
    villages_visible_to,
)
from villages.forms import IndustryForm, ProjectForm, ReturnForm, VillageMonthForm, VillageYearForm
from villages.models import VillageYear
from villages.services.economy import (
    industry_save,
    project_save,
    village_month_save,
    village_year_fill_from_months,
    village_year_lock,
    village_year_return,
    village_year_save,
    village_year_submit,
)


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _year_param(request: HttpRequest, default: int) -> int:
    try:
        year = int(request.GET.get("year", default))
    except ValueError:
        year = default
    return min(max(year, 2000), timezone.localdate().year)


def _last_full_year() -> int:
    return timezone.localdate().year - 1


@login_required
def index(request: HttpRequest) -> HttpResponse:
    villages = villages_visible_to(request.user)
    count = villages.count()
    if not count:
        raise Http404
    if count == 1:
        return redirect("villages:village_detail", village_id=villages.get().pk)
    year = _year_param(request, _last_full_year())
    rows = selectors.village_income_rows(year, villages)
    entered = {r.village.pk for r in rows}
    context = {
        "year": year,
        "years": _recent_years(),
        "rows": rows,
        "missing": villages.exclude(pk__in=entered).select_related("parent").order_by("path"),
        "totals": selectors.economy_totals(year, villages),
        "weak_line": selectors.weak_line(),
    }
    return render(request, "villages/index.html", context)


def _recent_years() -> list[int]:
    today = timezone.localdate()
    return list(range(today.year, today.year - 5, -1))


@login_required
def village_detail(request: HttpRequest, village_id: int) -> HttpResponse:
    village = access_village_by_id(request.user, village_id)
    years = selectors.village_years(village)
    latest = years[0] if years else None
    top = max([y.total_income for y in years], default=0) or 1
    context = {
        "village": village,
        "years": [(y, round(100 * y.total_income / top)) for y in years],
        "latest": latest,
        "industries": selectors.industry_by_kind(latest) if latest else {},
        "projects": latest.projects.all() if latest else [],
        "can_enter": can_enter(request.user, village),
        "weak_line": selectors.weak_line(),
        "this_year": timezone.localdate().year,
        "new_years": [y for y in _recent_years() if y not in {v.year for v in years}],
    }
    return render(request, "villages/village_detail.html", context)


@login_required
def year_detail(request: HttpRequest, village_id: int, year: int) -> HttpResponse:
    """A year's figures, months, industries and projects; the forms each person may use on them."""
    village = access_village_by_id(request.user, village_id)
    vy = VillageYear.objects.filter(village=village, year=year).first()
    if vy is None:
        if not can_enter(request.user, village) or not 2000 <= year <= timezone.localdate().year:
            raise Http404
        vy = VillageYear(village=village, year=year)
    editable = can_enter(request.user, village) and (not vy.is_locked or can_review(request.user, village))
    form = VillageYearForm(request.POST or None, instance=vy, prefix="year")
    if request.method == "POST" and "save_year" in request.POST:
        access_village_by_id(request.user, village_id, for_change=True)
        if not editable:
            raise Http404
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
            try:
                village_year_save(
                    by=request.user,
                    village=village,
                    year=year,
                    data=data,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("villages:year_detail", village_id=village.pk, year=year)
    context = {
        "village": village,
        "vy": vy,
        "form": form,
        "editable": editable,
        "can_review": can_review(request.user, village),
        "months": vy.months.all() if vy.pk else [],
        "industries": vy.industries.all() if vy.pk else [],
        "projects": vy.projects.all() if vy.pk else [],
        "corrections": vy.corrections.select_related("by")[:100] if vy.pk else [],
        "month_form": VillageMonthForm(prefix="month"),
        "industry_form": IndustryForm(prefix="industry"),
        "project_form": ProjectForm(prefix="project"),
        "return_form": ReturnForm(prefix="return"),
        "weak_line": selectors.weak_line(),
    }
    return render(request, "villages/year_detail.html", context)


def _editable_year(request: HttpRequest, village_id: int, year: int) -> VillageYear:
    vy = access_village_year(request.user, village_id, year, for_change=True)
    if vy.is_locked and not can_review(request.user, vy.village):
        raise Http404
    return vy


@login_required
@require_POST
def year_add_row(request: HttpRequest, village_id: int, year: int, what: str) -> HttpResponse:
    """Add a month, an industry or a project to a year (a correction once it is locked)."""
    vy = _editable_year(request, village_id, year)
    forms = {"month": VillageMonthForm, "industry": IndustryForm, "project": ProjectForm}
    if what not in forms:
        raise Http404
    form = forms[what](request.POST, prefix=what)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        reason = form.cleaned_data["reason"]
        try:
            if what == "month":
                village_month_save(by=request.user, village_year=vy, month=data.pop("month"), data=data, reason=reason)
            elif what == "industry":
                industry_save(by=request.user, village_year=vy, data=data, reason=reason)
            else:
                project_save(by=request.user, village_year=vy, data=data, reason=reason)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(
            request,
            " ".join(
                f"{form.fields[k].label if k in form.fields else ''}: {' '.join(v)}" for k, v in form.errors.items()
            ),
        )
    return redirect("villages:year_detail", village_id=vy.village_id, year=vy.year)


@login_required
@require_POST
def year_action(request: HttpRequest, village_id: int, year: int, action: str) -> HttpResponse:
    try:
        if action == "submit":
            vy = access_village_year(request.user, village_id, year, for_change=True)
            village_year_submit(by=request.user, village_year=vy, request=request)
            messages.success(request, _("Submitted to the town for review."))
        elif action == "lock":
            vy = access_village_year(request.user, village_id, year, for_review=True)
            village_year_lock(by=request.user, village_year=vy, request=request)
            messages.success(request, _("Reviewed and locked."))
        elif action == "return":
            vy = access_village_year(request.user, village_id, year, for_review=True)
            form = ReturnForm(request.POST, prefix="return")
            village_year_return(
                by=request.user, village_year=vy, reason=form.data.get("return-reason", ""), request=request
            )
            messages.success(request, _("Sent back to the village."))
        elif action == "fill":
            vy = _editable_year(request, village_id, year)
            village_year_fill_from_months(by=request.user, village_year=vy, reason=request.POST.get("reason", ""))
            messages.success(request, _("The year's figures now add up its months."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("villages:year_detail", village_id=village_id, year=year)


@login_required
def analysis(request: HttpRequest) -> HttpResponse:
    """Income per village and its trend, weak villages, industry mix per town."""
    villages = villages_visible_to(request.user)
    if not villages.exists():
        raise Http404
    year = _year_param(request, _last_full_year())
    years = [year - 2, year - 1, year]
    rows = selectors.village_income_rows(year, villages)
    top = max([r.total for r in rows], default=0) or 1
    line = selectors.weak_line()
    towns = selectors.income_by_town(years, villages)
    mix = selectors.industry_mix_by_town(year, villages)
    context = {
        "year": year,
        "years": years,
        "all_years": _recent_years(),
        "rows": [(r, round(100 * r.total / top)) for r in rows],
        "weak": [r for r in rows if r.is_weak],
        "weak_line": line,
        "line_percent": round(100 * line / top) if top else 0,
        "towns": [(t, [(y, t.by_year.get(y), t.villages.get(y, 0), t.weak.get(y, 0)) for y in years]) for t in towns],
        "mix": mix,
        "totals": selectors.economy_totals(year, villages),
        "town_count": towns_visible_to(request.user).count(),
    }
    return render(request, "villages/analysis.html", context)
