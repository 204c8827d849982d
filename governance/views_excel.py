"""Excel in and out: the import page and its template, an import's report and progress, the export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache

from core.access import access_area_by_id, areas_visible_to
from core.models import Area
from core.spreadsheets import xlsx_response
from governance.access import access_import_job_by_id, can_export, can_import, grids_changeable_by
from governance.exports import import_template
from governance.forms import ExportForm, ImportForm
from governance.models import ImportJob
from governance.services.exports import grid_data_export
from governance.services.imports import (
    MAX_BYTES,
    MAX_ROWS,
    STATUS_LABELS,
    import_job_create,
    import_job_is_stalled,
)

# More than this many areas make the export's drop-down unusable: a town's staff choose among their
# villages and grids, the operations centre among towns and villages (a grid through its own page).
EXPORT_CHOICES_LIMIT = 800


@never_cache
@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    if not can_import(request.user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            by=request.user, upload=form.cleaned_data["file"], mode=form.cleaned_data["mode"], language=get_language()
        )
        return redirect("governance:import_job", job_id=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user)[:10]
    context = {"form": form, "jobs": jobs, "max_mb": MAX_BYTES // (1024 * 1024), "max_rows": MAX_ROWS}
    return render(request, "governance/import.html", context, status=400 if form.errors else 200)


@login_required
def import_template_download(request: HttpRequest) -> HttpResponse:
    if not can_import(request.user):
        raise Http404
    grids = list(grids_changeable_by(request.user).order_by("path")[:1000])
    return xlsx_response(import_template(grids), "楼栋房屋居民导入模板.xlsx")


def _status_json(job: ImportJob) -> dict:
    return {
        "status": job.status,
        "label": job.get_status_display(),
        "progress": round(job.progress, 3),
        "finished": job.is_finished,
        "stalled": import_job_is_stalled(job),
    }


@never_cache
@login_required
def import_job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = access_import_job_by_id(request.user, job_id)
    rows = [{**row, "status_label": str(STATUS_LABELS.get(row["status"], row["status"]))} for row in job.report or []]
    total = (job.summary or {}).get("total", {})
    shown = len(rows)
    context = {
        "job": job,
        "rows": rows,
        "total": total,
        "errors": total.get("error", 0) + total.get("skipped", 0),
        "not_shown": max(0, total.get("error", 0) + total.get("skipped", 0) - shown),
        "state": _status_json(job),
    }
    return render(request, "governance/import_job.html", context)


@never_cache
@login_required
def import_job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    job = access_import_job_by_id(request.user, job_id)
    return JsonResponse(_status_json(job))


def _export_areas(user) -> list[Area]:
    areas = areas_visible_to(user).filter(level__gte=Area.Level.TOWN).order_by("path")
    if areas.count() > EXPORT_CHOICES_LIMIT:
        areas = areas.filter(level__lt=Area.Level.GRID)
    return list(areas[:EXPORT_CHOICES_LIMIT])


@never_cache
@login_required
def export_start(request: HttpRequest) -> HttpResponse:
    if not can_export(request.user):
        raise Http404
    initial_area = None
    if request.GET.get("area"):
        initial_area = access_area_by_id(request.user, request.GET["area"])
    areas = _export_areas(request.user)
    if initial_area is not None and initial_area not in areas:
        areas.append(initial_area)
    form = ExportForm(
        request.POST if request.method == "POST" else None,
        areas=areas,
        initial={"area": str(initial_area.pk) if initial_area else ""},
    )
    if request.method == "POST" and form.is_valid():
        area_id = form.cleaned_data["area"]
        area = access_area_by_id(request.user, area_id) if area_id else None
        try:
            content, _counts = grid_data_export(
                by=request.user, area=area, reveal_reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            form.add_error("reason", exc.message_dict.get("reason", exc.messages))
        else:
            name = area.name if area is not None else "网格数据"
            return xlsx_response(content, f"{name}楼栋房屋居民{timezone.localdate():%Y%m%d}.xlsx")
    return render(request, "governance/export.html", {"form": form}, status=400 if form.errors else 200)
