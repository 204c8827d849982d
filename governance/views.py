from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.access import AREA_ROLES, access_area_by_id, can_change_area, can_view_area, is_city_wide, memberships_of
from core.models import Area
from core.services.audit import audit_record
from governance.access import (
    access_building_by_id,
    access_grid_by_id,
    access_household_by_id,
    access_resident_by_id,
    access_visit_by_id,
    can_import,
    grids_visible_to,
    own_households,
    worker_grid_ids,
)
from governance.forms import (
    BuildingForm,
    CorrectionForm,
    HouseholdForm,
    MoveOutForm,
    ResidentForm,
    RevealForm,
    VisitForm,
    VisitReportForm,
)
from governance.models import Resident, Visit
from governance.reports.services.workflow import TransitionRefusedError
from governance.selectors import (
    VisitCounts,
    area_visit_rows,
    building_plan,
    grid_card,
    grid_resident_page,
    household_visits,
    resident_visit_history,
    residents_to_visit,
    visit_counts_by_grid,
)
from governance.services.buildings import building_save
from governance.services.households import household_correction_request, household_update
from governance.services.residents import resident_move_out, resident_reveal, resident_save
from governance.services.visits import visit_raise_report, visit_record, visit_report

VISIT_PAGE_SIZE = 30


def _form_errors_from(form, exc: ValidationError) -> None:
    for field_name, errors in exc.message_dict.items():
        target = field_name if field_name in form.fields else None
        if field_name == "phone" and "phone_new" in form.fields:
            target = "phone_new"
        if field_name == "id_number" and "id_number_new" in form.fields:
            target = "id_number_new"
        for error in errors:
            form.add_error(target, error)


@login_required
def grid_list(request: HttpRequest) -> HttpResponse:
    grids = grids_visible_to(request.user).select_related("parent__parent")
    if not grids.exists():
        if own_households(request.user).exists():
            return redirect("governance:my_household")
        raise Http404
    page = Paginator(grids.order_by("path"), 50).get_page(request.GET.get("page"))
    return render(request, "governance/grid_list.html", {"page": page, "can_import": can_import(request.user)})


@never_cache
@login_required
def grid_detail(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = access_grid_by_id(request.user, grid_id)
    card = grid_card(grid)
    page = grid_resident_page(
        grid=grid, number=request.GET.get("page"), total=card.residents, today=timezone.localdate()
    )
    audit_record(
        actor=request.user,
        action="governance.grid.view_residents",
        obj=grid,
        request=request,
        detail={"page": page.number},
    )
    context = {"grid": grid, "card": card, "page": page, "can_change": can_change_area(request.user, grid)}
    return render(request, "governance/grid_detail.html", context)


@login_required
def building_detail(request: HttpRequest, building_id: int) -> HttpResponse:
    building = access_building_by_id(request.user, building_id)
    plan = building_plan(building)
    can_change = can_change_area(request.user, building.grid)
    return render(
        request, "governance/building_detail.html", {"plan": plan, "building": building, "can_change": can_change}
    )


@login_required
def building_edit(request: HttpRequest, grid_id: int | None = None, building_id: int | None = None) -> HttpResponse:
    if building_id is not None:
        building = access_building_by_id(request.user, building_id, for_change=True)
        grid = building.grid
        initial = BuildingForm.initial_for(building)
    else:
        building = None
        grid = access_grid_by_id(request.user, grid_id, for_change=True)
        initial = {}
    form = BuildingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved, result = building_save(
                by=request.user, grid=grid, data=form.cleaned_data, building=building, request=request
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(
                request,
                _("Building saved: %(created)d households added, %(removed)d removed.")
                % {"created": result.created, "removed": result.removed},
            )
            if result.conflicts:
                messages.warning(
                    request,
                    _("%(n)d households outside the new model hold residents or records and were kept: %(labels)s")
                    % {"n": len(result.conflicts), "labels": "、".join(h.label for h in result.conflicts[:20])},
                )
            return redirect("governance:building_detail", building_id=saved.pk)
    return render(request, "governance/building_form.html", {"form": form, "grid": grid, "building": building})


@never_cache
@login_required
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = access_household_by_id(request.user, household_id)
    grid = household.building.grid
    if not can_view_area(request.user, grid):  # a resident reading their own home
        return redirect("governance:my_household")
    residents = (
        household.residents.select_related("guardian").prefetch_related("care_tags").order_by("moved_out_on", "pk")
    )
    audit_record(actor=request.user, action="governance.household.view", obj=household, request=request)
    context = {
        "household": household,
        "building": household.building,
        "current": [r for r in residents if r.moved_out_on is None],
        "archived": [r for r in residents if r.moved_out_on is not None],
        "can_change": can_change_area(request.user, grid),
    }
    return render(request, "governance/household_detail.html", context)


@login_required
def household_edit(request: HttpRequest, household_id: int) -> HttpResponse:
    household = access_household_by_id(request.user, household_id, for_change=True)
    form = HouseholdForm(request.POST or None, instance=household)
    if request.method == "POST" and form.is_valid():
        household_update(by=request.user, household=household, data=form.cleaned_data, request=request)
        messages.success(request, _("Household saved."))
        return redirect("governance:household_detail", household_id=household.pk)
    return render(request, "governance/household_form.html", {"form": form, "household": household})


@never_cache
@login_required
def resident_detail(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = access_resident_by_id(request.user, resident_id)
    audit_record(actor=request.user, action="governance.resident.view", obj=resident, request=request)
    context = _resident_context(request, resident, revealed=False, reveal_form=RevealForm())
    return render(request, "governance/resident_detail.html", context)


def _resident_context(request: HttpRequest, resident: Resident, **extra) -> dict:
    return {
        "resident": resident,
        "move_out_form": MoveOutForm(),
        "can_change": can_change_area(request.user, resident.grid),
        "visits": resident_visit_history(resident),
        **extra,
    }


@never_cache
@login_required
@require_POST
def resident_reveal_view(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = access_resident_by_id(request.user, resident_id)
    form = RevealForm(request.POST)
    revealed = False
    if form.is_valid():
        resident_reveal(by=request.user, resident=resident, reason=form.cleaned_data["reason"], request=request)
        revealed = True
    context = _resident_context(request, resident, revealed=revealed, reveal_form=form)
    return render(request, "governance/resident_detail.html", context, status=200 if revealed else 400)


@never_cache
@login_required
def resident_edit(
    request: HttpRequest, household_id: int | None = None, resident_id: int | None = None
) -> HttpResponse:
    if resident_id is not None:
        resident = access_resident_by_id(request.user, resident_id, for_change=True)
        if resident.household_id is None or resident.moved_out_on is not None:
            raise Http404
        household = access_household_by_id(request.user, resident.household_id, for_change=True)
    else:
        resident = None
        household = access_household_by_id(request.user, household_id, for_change=True)
    form = ResidentForm(request.POST or None, instance=resident, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            saved = resident_save(
                by=request.user,
                household=household,
                data=form.service_data(),
                care_tags=list(form.cleaned_data["care_tags"]),
                resident=resident,
                request=request,
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Resident details saved."))
            return redirect("governance:resident_detail", resident_id=saved.pk)
    return render(
        request, "governance/resident_form.html", {"household": household, "form": form, "resident": resident}
    )


@login_required
@require_POST
def resident_move_out_view(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = access_resident_by_id(request.user, resident_id, for_change=True)
    form = MoveOutForm(request.POST)
    if form.is_valid():
        try:
            resident_move_out(by=request.user, resident=resident, on=form.cleaned_data["moved_out_on"], request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Moved out: the record is archived with its history."))
    else:
        messages.error(request, _("Enter the date of moving out."))
    return redirect("governance:resident_detail", resident_id=resident.pk)


@never_cache
@login_required
def my_household(request: HttpRequest) -> HttpResponse:
    """A signed-in resident reads what is held about their household (PIPL right of access)."""
    households = list(own_households(request.user).select_related("building__grid"))
    if not households:
        raise Http404
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        household = access_household_by_id(request.user, request.POST.get("household"))
        household_correction_request(by=request.user, household=household, message=form.cleaned_data["message"])
        messages.success(request, _("Your request was sent to your grid worker."))
        return redirect("governance:my_household")
    records = []
    for household in households:
        residents = list(household.residents.current().prefetch_related("care_tags").order_by("pk"))
        records.append({"household": household, "residents": residents, "visits": household_visits(household)})
    audit_record(actor=request.user, action="governance.household.view_own", request=request)
    return render(request, "governance/my_household.html", {"records": records, "form": form})


# --- Visits (定期联系走访) ------------------------------------------------------------------------


@never_cache
@login_required
def visits_mine(request: HttpRequest) -> HttpResponse:
    """我的走访: a grid worker's residents overdue or due within the week, on a phone."""
    grid_ids = worker_grid_ids(request.user)
    if not grid_ids:
        raise Http404
    today = timezone.localdate()
    overdue_only = request.GET.get("show") == "overdue"
    totals = VisitCounts.total(visit_counts_by_grid(grid_ids=grid_ids, today=today).values())
    page = Paginator(
        residents_to_visit(grid_ids, today=today, overdue_only=overdue_only),
        VISIT_PAGE_SIZE,
        allow_empty_first_page=True,
    ).get_page(request.GET.get("page"))
    context = {"page": page, "totals": totals, "today": today, "overdue_only": overdue_only}
    return render(request, "governance/visits_mine.html", context)


@never_cache
@login_required
def visit_create(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = access_resident_by_id(request.user, resident_id, for_change=True)
    if resident.moved_out_on is not None:
        raise Http404
    back = "mine" if request.GET.get("from") == "mine" else ""
    form = VisitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = visit_record(
                resident=resident,
                by=request.user,
                visited_on=data["visited_on"],
                outcome=data["outcome"],
                note=data["note"],
                photo=data["photo"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                _form_errors_from(form, exc)
            else:
                form.add_error("photo" if data["photo"] else None, exc)
        else:
            messages.success(request, _("Visit recorded. Next visit due: %(due)s") % {"due": _due_text(visit)})
            if visit.needs_action:
                url = reverse("governance:visit_report", args=[visit.pk])
                return redirect(f"{url}?from=mine" if back else url)
            if back:
                return redirect("governance:visits_mine")
            return redirect("governance:resident_detail", resident_id=resident.pk)
    context = {"resident": resident, "form": form, "back": back}
    return render(request, "governance/visit_form.html", context)


def _due_text(visit: Visit) -> str:
    due = Resident.objects.filter(pk=visit.resident_id).values_list("next_visit_due", flat=True).first()
    return date_format(due, "SHORT_DATE_FORMAT") if due else _("no plan")


@never_cache
@login_required
def visit_report_create(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Offer to raise what a visit found as a problem report, with its grid and address filled in."""
    visit = access_visit_by_id(request.user, visit_id, for_change=True)
    if not visit.needs_action:
        raise Http404
    existing = visit_report(visit)
    if existing is not None:
        return redirect("governance:reports:detail", existing.pk)
    resident = visit.resident
    household = resident.household
    address = f"{household.building.address} {household.label}" if household else visit.grid.name
    initial = {"description": visit.note, "address": address[:200]}
    form = VisitReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            report = visit_raise_report(
                visit=visit,
                by=request.user,
                category=form.cleaned_data["category"],
                description=form.cleaned_data["description"],
                address=form.cleaned_data["address"],
            )
        except TransitionRefusedError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Raised as problem report %(number)s.") % {"number": report.number})
            return redirect("governance:reports:detail", report.pk)
    back = reverse("governance:visits_mine") if request.GET.get("from") == "mine" else None
    back = back or reverse("governance:resident_detail", args=[resident.pk])
    return render(request, "governance/visit_report.html", {"visit": visit, "form": form, "back": back})


@login_required
def visit_photo(request: HttpRequest, visit_id: int) -> FileResponse:
    visit = access_visit_by_id(request.user, visit_id)
    if not visit.photo:
        raise Http404
    response = FileResponse(visit.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _top_areas(user) -> list[Area]:
    if is_city_wide(user):
        return list(Area.objects.filter(parent__isnull=True).order_by("path"))
    areas = {m.area.path: m.area for m in memberships_of(user) if m.role in AREA_ROLES and m.area_id}
    # A place inside another of the person's places is counted there already.
    return [a for p, a in sorted(areas.items()) if not any(p != q and p.startswith(q) for q in areas)]


@never_cache
@login_required
def visits_overview(request: HttpRequest) -> HttpResponse:
    """Staff's entry to the overdue visits: their places, or straight into their one place."""
    areas = _top_areas(request.user)
    if not areas:
        raise Http404
    if len(areas) == 1:
        return _visits_area_page(request, areas[0])
    today = timezone.localdate()
    context = {"rows": area_visit_rows(areas, today=today), "area": None, "crumbs": [], "today": today}
    return render(request, "governance/visits_area.html", context)


@never_cache
@login_required
def visits_area(request: HttpRequest, area_id: int) -> HttpResponse:
    """Overdue visits per town, community or grid under one area; at a grid, per resident."""
    return _visits_area_page(request, access_area_by_id(request.user, area_id))


def _visits_area_page(request: HttpRequest, area: Area) -> HttpResponse:
    today = timezone.localdate()
    crumbs = [a for a in Area.objects.filter(path__in=_ancestor_paths(area)) if can_view_area(request.user, a)]
    context = {"area": area, "crumbs": crumbs, "today": today}
    if area.level == Area.Level.GRID:
        overdue_only = request.GET.get("show") != "due"
        context["totals"] = VisitCounts.total(visit_counts_by_grid(grid_ids=[area.pk], today=today).values())
        context["overdue_only"] = overdue_only
        context["page"] = Paginator(
            residents_to_visit([area.pk], today=today, overdue_only=overdue_only), VISIT_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        context["can_change"] = can_change_area(request.user, area)
        context["is_grid"] = True
        audit_record(actor=request.user, action="governance.grid.view_visits", obj=area, request=request)
    else:
        rows = area_visit_rows(list(area.children.all()), today=today)
        context["rows"], context["totals"] = rows, VisitCounts.total(row.counts for row in rows)
    return render(request, "governance/visits_area.html", context)


def _ancestor_paths(area: Area) -> list[str]:
    parts = [p for p in area.path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
