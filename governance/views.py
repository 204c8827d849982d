from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import areas_visible_to
from core.models import Area
from core.services.audit import audit_record
from governance.access import access_grid_by_id, access_resident_by_id
from governance.forms import ResidentForm
from governance.services import resident_reveal, resident_save


@login_required
def grid_list(request: HttpRequest) -> HttpResponse:
    grids = areas_visible_to(request.user).filter(level=Area.Level.GRID).select_related("parent__parent")
    if not grids.exists():
        raise Http404
    page = Paginator(grids.order_by("path"), 50).get_page(request.GET.get("page"))
    return render(request, "governance/grid_list.html", {"page": page})


@login_required
def grid_detail(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = access_grid_by_id(request.user, grid_id)
    residents = grid.residents.all()
    page = Paginator(residents, 50).get_page(request.GET.get("page"))
    audit_record(
        actor=request.user,
        action="governance.grid.view_residents",
        obj=grid,
        request=request,
        detail={"page": page.number},
    )
    return render(request, "governance/grid_detail.html", {"grid": grid, "page": page})


@login_required
def resident_detail(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = access_resident_by_id(request.user, resident_id)
    audit_record(actor=request.user, action="governance.resident.view", obj=resident, request=request)
    return render(request, "governance/resident_detail.html", {"resident": resident, "revealed": False})


@login_required
@require_POST
def resident_reveal_view(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = access_resident_by_id(request.user, resident_id)
    resident_reveal(by=request.user, resident=resident, request=request)
    return render(request, "governance/resident_detail.html", {"resident": resident, "revealed": True})


@login_required
def resident_edit(request: HttpRequest, grid_id: int, resident_id: int | None = None) -> HttpResponse:
    grid = access_grid_by_id(request.user, grid_id, for_change=True)
    resident = access_resident_by_id(request.user, resident_id, for_change=True) if resident_id else None
    if resident is not None and resident.grid_id != grid.pk:
        raise Http404
    form = ResidentForm(request.POST or None, instance=resident)
    if request.method == "POST" and form.is_valid():
        saved = resident_save(by=request.user, grid=grid, data=form.cleaned_data, resident=resident, request=request)
        messages.success(request, _("Resident details saved."))
        return redirect("governance:resident_detail", resident_id=saved.pk)
    return render(request, "governance/resident_form.html", {"grid": grid, "form": form, "resident": resident})
