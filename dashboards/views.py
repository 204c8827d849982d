"""Thin views: parse, go through access, read the figures, render."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.services.audit import audit_record
from dashboards import selectors
from dashboards.access import (
    access_dashboard_by_key,
    access_dashboard_node,
    access_screen_area,
    can_view_screen,
    dashboards_for,
    screen_areas_of,
)
from dashboards.exports import workbook_for
from dashboards.registry import Metric
from dashboards.screen import screen_snapshot


def _page(request: HttpRequest, key: str):
    dashboard, roots = access_dashboard_by_key(request.user, key)
    node = access_dashboard_node(request.user, dashboard, roots, request.GET.get("node"))
    period = selectors.parse_period(request.GET, default_months=dashboard.default_months)
    return dashboard, roots, node, period


RECORDS_PAGE_SIZE = 50


def _url(name: str, key: str, node, period: selectors.Period) -> str:
    return f"{reverse(name, args=[key])}?node={node.pk}&{period.query()}"


def _records_url(key: str):
    def url(metric: Metric, node, period: selectors.Period, record_key: str) -> str:
        extra = {"metric": metric.key, **({"key": record_key} if record_key else {})}
        return f"{_url('dashboards:records', key, node, period)}&{urlencode(extra)}"

    return url


@login_required
def index(request: HttpRequest) -> HttpResponse:
    dashboards = dashboards_for(request.user)
    # The centre's own screen, or the towns' and communities' the person looks after.
    screens = [None] if can_view_screen(request.user) else screen_areas_of(request.user)
    if not dashboards and not screens:
        raise Http404
    return render(request, "dashboards/index.html", {"dashboards": dashboards, "screens": screens})


@login_required
def dashboard_page(request: HttpRequest, key: str) -> HttpResponse:
    dashboard, roots, node, period = _page(request, key)
    figures = selectors.figures_from_rollups(dashboard, node, period)
    charts = selectors.chart_views(
        dashboard,
        node,
        period,
        figures,
        child_url=lambda c: _url("dashboards:dashboard", key, c, period),
        records_url=_records_url(key),
    )
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "dashboard": dashboard,
            "node": node,
            "roots": roots if len(roots) > 1 else [],
            "crumbs": selectors.ancestors_of(dashboard, node, roots),
            "period": period,
            "charts": charts,
            "charts_json": {"charts": [c.as_json() for c in charts]},
            "as_of": timezone.now(),
            "reconciled": selectors.last_reconciled(dashboard),
            "export_url": _url("dashboards:export", key, node, period),
            "records_url": _url("dashboards:records", key, node, period),
        },
    )


@login_required
def export(request: HttpRequest, key: str) -> HttpResponse:
    dashboard, _roots, node, period = _page(request, key)
    figures = selectors.figures_from_rollups(dashboard, node, period)
    charts = selectors.chart_views(dashboard, node, period, figures, child_url=lambda c: "")
    book = workbook_for(dashboard=dashboard, node=node, period=period, charts=charts, as_of=timezone.now())
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"dashboard-{dashboard.key}-{node.pk}-{period.start:%Y%m}-{period.end:%Y%m}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def records(request: HttpRequest, key: str) -> HttpResponse:
    dashboard, _roots, node, period = _page(request, key)
    if request.GET.get("metric"):
        return _metric_records(request, key, dashboard, node, period)
    rows = (
        dashboard.records(user=request.user, node=node, start=period.start, end=period.end) if dashboard.records else []
    )
    return _render_records(request, key, dashboard, node, period, rows=rows)


def _render_records(
    request: HttpRequest, key: str, dashboard, node, period: selectors.Period, **context
) -> HttpResponse:
    context.update(
        dashboard=dashboard, node=node, period=period, back_url=_url("dashboards:dashboard", key, node, period)
    )
    return render(request, "dashboards/records.html", context)


def _metric_records(request: HttpRequest, key: str, dashboard, node, period: selectors.Period) -> HttpResponse:
    """The records behind one figure: a metric, at a node, over a period (of one key, e.g. one
    outcome), as far as the person may see them; the count on the page is the figure's."""
    try:
        metric = dashboard.metric(request.GET["metric"])
    except KeyError:
        raise Http404 from None
    if metric.records_of is None:
        raise Http404
    record_key = request.GET.get("key", "")[:40]
    records, row = metric.records_of(user=request.user, node=node, period=period, key=record_key)
    page = Paginator(records, RECORDS_PAGE_SIZE, allow_empty_first_page=True).get_page(request.GET.get("page"))
    # These lists name residents (masked): who looked is logged, as for governance's own lists.
    audit_record(
        actor=request.user,
        action="dashboards.records.view",
        obj=node,
        request=request,
        detail={
            "dashboard": dashboard.key,
            "metric": metric.key,
            "key": record_key,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "page": page.number,
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    return _render_records(
        request,
        key,
        dashboard,
        node,
        period,
        metric=metric,
        key_label=(metric.key_labels() if metric.key_labels else {}).get(record_key, record_key),
        page=page,
        rows=[row(r) for r in page.object_list],
        page_query=query.urlencode(),
    )


@login_required
def screen(request: HttpRequest) -> HttpResponse:
    area = access_screen_area(request.user, request.GET.get("area"))
    labels = {
        "connected": pgettext("connection state", "Live"),
        "reconnecting": _("Reconnecting…"),
        "venues": _("venues online"),
        "nothing": _("Nothing on air."),
        "noDepartments": _("No department figures yet."),
        "kinds": {
            "live.check_in": _("Venue checked in"),
            "live.state": _("Event started or ended"),
            "live.viewer": _("New viewer"),
            "report.filed": _("Report filed"),
        },
    }
    context = {"area": area, "snapshot": screen_snapshot(area=area, with_map=True), "labels": labels}
    return render(request, "dashboards/screen.html", context)


@login_required
def screen_data(request: HttpRequest) -> JsonResponse:
    area = access_screen_area(request.user, request.GET.get("area"))
    return JsonResponse(screen_snapshot(area=area, with_map=request.GET.get("map") == "1"))
