"""Thin views: parse, fetch through access.py, call one service, render."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import AREA_ROLES, areas_visible_to, has_role, is_city_wide, memberships_of
from core.models import Area, Department, Role
from core.spreadsheets import xlsx_response
from governance.reports import selectors
from governance.reports.access import (
    access_photo_by_id,
    access_report_building_by_id,
    access_report_by_id,
    can_review,
    department_ids_of,
    report_households_for,
    require_ops,
)
from governance.reports.forms import (
    CalendarDayForm,
    CategoryForm,
    DispatchForm,
    ExtensionForm,
    FromForumForm,
    Open311KeyForm,
    RateForm,
    ReasonForm,
    ReportForm,
    ResolveForm,
    RuleForm,
    leaf_categories,
)
from governance.reports.models import (
    CalendarDay,
    Category,
    DispatchRule,
    Open311Key,
    Report,
    ReporterKind,
    ReviewRollup,
    Source,
)
from governance.reports.services import workflow
from governance.reports.services.photos import photos_process
from governance.reports.services.submit import report_by_key, report_submit, reports_nearby
from governance.reports.services.workflow import TransitionRefusedError

S = Report.Status


def _reporter_kinds(user) -> list[str]:
    if has_role(user, Role.GRID_WORKER):
        return [ReporterKind.GRID_WORKER, ReporterKind.RESIDENT]
    return [ReporterKind.RESIDENT, ReporterKind.RIDER]


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    paths = [m.area.path for m in memberships_of(request.user) if m.role in AREA_ROLES and m.area_id]
    scope = request.GET.get("scope", "mine")
    if scope == "area" and (paths or is_city_wide(request.user)):
        qs = (
            Report.objects.select_related("category", "department", "grid")
            if is_city_wide(request.user)
            else selectors.area_reports(request.user, paths)
        )
    else:
        scope = "mine"
        qs = selectors.my_reports(request.user)
    page = Paginator(qs.order_by("-created_at", "-id"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/report_list.html",
        {
            "page": page,
            "scope": scope,
            "has_area": bool(paths) or is_city_wide(request.user),
            "is_department": bool(department_ids_of(request.user)),
            "is_ops": is_city_wide(request.user),
        },
    )


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    kinds = _reporter_kinds(request.user)
    if request.method == "POST":
        key = request.POST.get("idempotency_key", "")[:64]
        existing = report_by_key(reporter=request.user, idempotency_key=key)
        if existing is not None:  # a retry of a report that already arrived
            return redirect("governance:reports:detail", existing.pk)
        form = ReportForm(request.POST, request.FILES, kinds=kinds, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            same_as = None
            if data.get("same_as"):
                same_as = Report.objects.filter(
                    pk=data["same_as"], status__in=Report.OPEN_STATUSES, category=data["category"]
                ).first()
            try:
                photos = photos_process(data["photos"])
                submitted = report_submit(
                    reporter=request.user,
                    category=data["category"],
                    description=data["description"],
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                    accuracy_m=data.get("accuracy_m"),
                    address=data.get("address", ""),
                    building=data.get("building"),
                    household=data.get("household"),
                    reporter_kind=data["reporter_kind"],
                    anonymous=data["anonymous"],
                    idempotency_key=key,
                    photos=photos,
                    same_as=same_as,
                )
            except ValidationError as e:
                form.add_error("photos", e)
            except TransitionRefusedError as e:
                form.add_error(None, e.message)
            else:
                report = submitted.report
                if report.status == S.MERGED:
                    messages.success(request, _("Thank you. You now follow the report of the same problem."))
                    return redirect("governance:reports:detail", report.merged_into_id)
                messages.success(
                    request, _("Thank you. Your report %(number)s was received.") % {"number": report.number}
                )
                return redirect("governance:reports:detail", report.pk)
    else:
        form = ReportForm(kinds=kinds, initial={"reporter_kind": kinds[0]}, user=request.user)
    return render(request, "reports/report_new.html", {"form": form, **_map_context(), **_places_context(request.user)})


PLACES_LISTED = 200


def _places_context(user) -> dict:
    # A grid worker's few buildings are listed outright; a town's or the city's are searched by name.
    buildings = list(selectors.report_buildings(user)[: PLACES_LISTED + 1])
    return {"place_buildings": buildings[:PLACES_LISTED], "places_searchable": len(buildings) > PLACES_LISTED}


@login_required
@require_GET
def report_places(request: HttpRequest) -> JsonResponse:
    """Buildings matching ?q=, or the homes of ?building=, among those the reporter may pick."""
    if request.GET.get("building"):
        building = access_report_building_by_id(request.user, request.GET["building"])
        homes = report_households_for(request.user, building).order_by("unit", "floor", "room")
        return JsonResponse(
            {
                "building": selectors.place_json(building),
                "households": [{"id": h.pk, "label": h.label} for h in homes[:2000]],
            }
        )
    q = request.GET.get("q", "").strip()[:60]
    buildings = selectors.report_buildings(request.user, q=q)[:30] if q else []
    return JsonResponse({"buildings": [selectors.place_json(b) for b in buildings]})


def _map_context() -> dict:
    # The map needs Leaflet from static/vendor; without it the form keeps its latitude/longitude fields.
    city = Area.objects.filter(level=Area.Level.CITY, latitude__isnull=False).first()
    return {
        "leaflet": finders.find("vendor/leaflet-1.9.4/leaflet.js") is not None,
        "map_centre": (city.latitude, city.longitude) if city else ("", ""),
        # Tiles as the one map (governance.geo) configures them; none means a plain pin on the outline.
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }


@login_required
@require_GET
def report_nearby(request: HttpRequest) -> JsonResponse:
    """ "Same problem?": open reports of the category within 50 m and 7 days (public fields only)."""
    try:
        category = leaf_categories().get(pk=int(request.GET.get("category", "")))
        lat, lng = float(request.GET["latitude"]), float(request.GET["longitude"])
    except (ValueError, KeyError, Category.DoesNotExist):
        return JsonResponse({"reports": []})
    if not category.is_public:
        return JsonResponse({"reports": []})
    found = reports_nearby(category=category, latitude=lat, longitude=lng)
    return JsonResponse(
        {
            "reports": [
                {
                    "id": r.pk,
                    "number": r.number,
                    "category": r.category.name,
                    "status": r.get_status_display(),
                    "distance_m": d,
                    "reported_at": timezone.localtime(r.created_at).strftime("%m-%d %H:%M"),
                }
                for r, d in found[:5]
            ]
        }
    )


def _actions_for(user, report: Report) -> dict[str, bool]:
    ops = is_city_wide(user)
    handler = workflow.is_handler(user, report)
    return {
        "dispatch": ops and report.status == S.PENDING,
        "arbitrate": ops and report.status == S.RETURNED,
        "dismiss": ops and report.status in (S.PENDING, S.RETURNED),
        "decide_extension": ops and report.status == S.SIGNED and bool(report.pending_extension_hours),
        "sign": handler and report.status == S.DISPATCHED,
        "return": handler and report.status == S.DISPATCHED and not report.assignment.by_arbitration,
        "progress": handler and report.status == S.SIGNED,
        "extension": handler and report.status == S.SIGNED and not report.pending_extension_hours,
        "resolve": handler and report.status == S.SIGNED,
        "rate": report.reporter_id == user.pk and report.status == S.RESOLVED,
        "merge": ops and report.status in Report.OPEN_STATUSES,
    }


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = access_report_by_id(request.user, report_id)
    photos = list(report.photos.all())
    context = {
        "report": report,
        "reporter": selectors.reporter_label(request.user, report),
        "home": selectors.reporter_home(request.user, report),
        "events": selectors.timeline(report),
        "report_photos": [p for p in photos if p.kind == "report"],
        "result_photos": [p for p in photos if p.kind == "result"],
        "actions": _actions_for(request.user, report),
        "dispatch_form": DispatchForm(),
        "reason_form": ReasonForm(),
        "extension_form": ExtensionForm(),
        "resolve_form": ResolveForm(),
        "rate_form": RateForm(),
        "merged_count": report.merged_reports.count(),
        "forum_url": selectors.forum_topic_url(request.user, report),
        # Overdue now: its current deadline passed and was escalated (a reopen or an extension clears it).
        "overdue": bool(report.assignment and report.assignment.escalated_at and report.is_open),
    }
    template = "reports/_detail_live.html" if request.GET.get("fragment") else "reports/report_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def report_act(request: HttpRequest, report_id: int, action: str) -> HttpResponse:
    report = access_report_by_id(request.user, report_id)
    user, post = request.user, request.POST
    try:
        if action == "sign":
            workflow.report_sign(report=report, by=user)
        elif action == "return":
            workflow.report_return(report=report, by=user, reason=post.get("note", ""))
        elif action == "progress":
            workflow.report_progress(report=report, by=user, note=post.get("note", ""))
        elif action == "extension":
            form = ExtensionForm(post)
            if not form.is_valid():
                raise TransitionRefusedError(_("Give the extra hours (1–720) and the reason."))
            workflow.report_request_extension(
                report=report, by=user, hours=form.cleaned_data["hours"], reason=form.cleaned_data["note"]
            )
        elif action in ("approve_extension", "reject_extension"):
            workflow.report_decide_extension(
                report=report, by=user, approve=action == "approve_extension", note=post.get("note", "")
            )
        elif action == "resolve":
            form = ResolveForm(post, request.FILES)
            if not form.is_valid():
                raise TransitionRefusedError(_("Describe the result (photos up to 9)."))
            photos = photos_process(form.cleaned_data["photos"])
            workflow.report_resolve(report=report, by=user, result=form.cleaned_data["result"], photos=photos)
        elif action == "rate":
            workflow.report_rate(report=report, by=user, rating=post.get("rating", ""), comment=post.get("comment", ""))
        elif action in ("dispatch", "arbitrate"):
            form = DispatchForm(post)
            if not form.is_valid():
                raise TransitionRefusedError(_("Choose a department."))
            service = workflow.report_dispatch if action == "dispatch" else workflow.report_arbitrate
            service(
                report=report,
                by=user,
                department=form.cleaned_data["department"],
                deadline_hours=form.cleaned_data["deadline_hours"],
                note=form.cleaned_data["note"],
            )
        elif action == "dismiss":
            workflow.report_dismiss(report=report, by=user, reason=post.get("note", ""))
        elif action == "merge":
            into = access_report_by_id(user, post.get("into", ""))
            workflow.report_merge(report=report, into=into, by=user)
        else:
            raise Http404
    except TransitionRefusedError as e:
        messages.error(request, e.message)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("Done."))
    return redirect("governance:reports:detail", report.pk)


@login_required
def report_photo(request: HttpRequest, photo_id: int) -> FileResponse:
    photo = access_photo_by_id(request.user, photo_id)
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def department_queue(request: HttpRequest) -> HttpResponse:
    ids = department_ids_of(request.user)
    if not ids:
        raise Http404
    tab = request.GET.get("tab", "new")
    if tab not in ("new", "handling", "overdue", "done"):
        tab = "new"
    page = Paginator(selectors.department_queue(ids, tab), 30).get_page(request.GET.get("page"))
    departments = Department.objects.filter(pk__in=ids)
    return render(request, "reports/department_queue.html", {"page": page, "tab": tab, "departments": departments})


@login_required
def centre_queue(request: HttpRequest) -> HttpResponse:
    require_ops(request.user)
    tab = request.GET.get("tab", "pending")
    if tab not in ("pending", "returned", "extensions", "overdue"):
        tab = "pending"
    page = Paginator(selectors.centre_queue(tab), 30).get_page(request.GET.get("page"))
    return render(request, "reports/centre_queue.html", {"page": page, "tab": tab, "counts": selectors.centre_counts()})


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    require_ops(request.user)
    rules = DispatchRule.objects.select_related("category", "category__parent", "area", "department")
    return render(request, "reports/rule_list.html", {"rules": rules})


@login_required
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    require_ops(request.user)
    rule = get_object_or_404(DispatchRule, pk=rule_id) if rule_id else None
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        from governance.reports.services.rules import rule_save

        rule_save(form=form, by=request.user, request=request)
        messages.success(request, _("Rule saved."))
        return redirect("governance:reports:rules")
    return render(request, "reports/rule_form.html", {"form": form, "rule": rule})


@login_required
def work_calendar(request: HttpRequest) -> HttpResponse:
    """The work calendar behind working-day deadlines: a year's holidays and make-up working days."""
    require_ops(request.user)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2000), 2100)
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from governance.reports.services.rules import calendar_day_save

        day = calendar_day_save(form=form, by=request.user, request=request)
        messages.success(request, _("Saved: %(day)s.") % {"day": day})
        return redirect(f"{reverse('governance:reports:calendar')}?year={day.date.year}")
    days = CalendarDay.objects.filter(date__year=year)
    context = {"form": form, "days": days, "year": year, "years": (year - 1, year + 1)}
    return render(request, "reports/work_calendar.html", context)


@login_required
@require_POST
def work_calendar_delete(request: HttpRequest, day_id: int) -> HttpResponse:
    require_ops(request.user)
    day = get_object_or_404(CalendarDay, pk=day_id)
    from governance.reports.services.rules import calendar_day_delete

    year = day.date.year
    calendar_day_delete(day=day, by=request.user, request=request)
    messages.success(request, _("Removed from the work calendar."))
    return redirect(f"{reverse('governance:reports:calendar')}?year={year}")


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    require_ops(request.user)
    roots = Category.objects.filter(parent__isnull=True).prefetch_related("children")
    return render(request, "reports/category_list.html", {"roots": roots})


@login_required
def category_edit(request: HttpRequest, category_id: int | None = None) -> HttpResponse:
    require_ops(request.user)
    category = get_object_or_404(Category, pk=category_id) if category_id else None
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        from governance.reports.services.rules import category_save

        category_save(form=form, by=request.user, request=request)
        messages.success(request, _("Category saved."))
        return redirect("governance:reports:categories")
    return render(request, "reports/category_form.html", {"form": form, "category": category})


@login_required
def open311_keys(request: HttpRequest) -> HttpResponse:
    require_ops(request.user)
    from governance.reports.services.rules import open311_key_issue

    form = Open311KeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = open311_key_issue(name=form.cleaned_data["name"], by=request.user, request=request)
    keys = Open311Key.objects.order_by("-created_at")
    return render(request, "reports/open311_keys.html", {"form": form, "keys": keys, "issued": issued})


# --- performance review -------------------------------------------------------------------------


def _review_params(request: HttpRequest) -> tuple[str, dt.date]:
    period = request.GET.get("period", "year")
    if period not in ReviewRollup.Period.values:
        period = "year"
    try:
        start = dt.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = selectors.current_period_start(period)
    start = selectors.current_period_start(period, start)
    return period, start


def _review_scope(user) -> tuple[list[Department], list[Area]]:
    if is_city_wide(user):
        departments = list(Department.objects.order_by("code"))
        areas = list(Area.objects.filter(level=Area.Level.TOWN).order_by("path"))
        return departments, areas
    departments = list(Department.objects.filter(pk__in=department_ids_of(user)))
    paths = [m.area for m in memberships_of(user) if m.role in AREA_ROLES and m.area_id]
    areas = list({a.pk: a for a in paths}.values())
    # Community and town staff also see the areas under theirs.
    children = list(areas_visible_to(user).filter(parent__in=areas, level__lt=Area.Level.GRID)) if areas else []
    return departments, areas + children


@login_required
def review(request: HttpRequest) -> HttpResponse:
    if not can_review(request.user):
        raise Http404
    period, start = _review_params(request)
    departments, areas = _review_scope(request.user)
    dept_rows = selectors.review_rows(
        period=period, period_start=start, dimension="department", departments=departments
    )
    area_rows = selectors.review_rows(period=period, period_start=start, dimension="area", areas=areas)
    return render(
        request,
        "reports/review.html",
        {
            "period": period,
            "start": start,
            "periods": ReviewRollup.Period.choices,
            "dept_rows": dept_rows,
            "area_rows": area_rows,
            "dept_total": selectors.review_total(dept_rows, _("Total")) if len(dept_rows) > 1 else None,
            "is_ops": is_city_wide(request.user),
            "previous": selectors.previous_start(period, start),
            "next": selectors.next_start(period, start),
        },
    )


@login_required
def review_export(request: HttpRequest) -> HttpResponse:
    if not can_review(request.user):
        raise Http404
    from governance.reports.services.export import review_workbook

    period, start = _review_params(request)
    departments, areas = _review_scope(request.user)
    dept_rows = selectors.review_rows(
        period=period, period_start=start, dimension="department", departments=departments
    )
    area_rows = selectors.review_rows(period=period, period_start=start, dimension="area", areas=areas)
    content = review_workbook(period=period, start=start, dept_rows=dept_rows, area_rows=area_rows)
    return xlsx_response(content, f"review-{period}-{start:%Y%m%d}.xlsx")


@login_required
def report_from_forum(request: HttpRequest, topic_id: int) -> HttpResponse:
    """A forum moderator turns a question that is really a problem into a report (links both ways)."""
    from forum.access import access_topic_by_id, can_moderate, permission_handler

    handler = permission_handler(request)
    topic = access_topic_by_id(request.user, topic_id, handler=handler)
    if not can_moderate(request.user, topic.forum, handler=handler):
        raise Http404
    existing = Report.objects.filter(forum_topic_id=topic.pk).first()
    if existing is not None:
        return redirect("governance:reports:detail", existing.pk)
    first_post = topic.first_post
    initial = {"description": f"{topic.subject}\n{first_post.content.raw if first_post else ''}"[:2000]}
    form = FromForumForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        report = report_submit(
            reporter=topic.poster or request.user,
            category=form.cleaned_data["category"],
            description=form.cleaned_data["description"],
            address=form.cleaned_data["address"],
            source=Source.FORUM,
            forum_topic_id=topic.pk,
            idempotency_key=f"forum-{topic.pk}",
        ).report
        messages.success(request, _("The question is now report %(number)s.") % {"number": report.number})
        return redirect("governance:reports:detail", report.pk)
    return render(request, "reports/from_forum.html", {"form": form, "topic": topic})
