"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Public reads show public fields only: never the reporter, their account or contact details, the
photos (they are served after an access check) or reports of categories the city keeps private
(neighbour disputes …); points are rounded to 4 decimals (about 10 m). POST needs an API key the
operations centre issues; the person-identifying fields a client may send (email, name, phone,
device and account ids) are not stored. JSON and XML, and the spec's error format.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # noqa: N817 (only builds documents, never parses input)
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from core.models import Area
from core.textinput import ascii_int
from governance.reports.models import Category, Report, Source
from governance.reports.services.rules import open311_key_check
from governance.reports.services.submit import report_submit

MAX_RESULTS = 1000
DEFAULT_DAYS = 90
OPEN = (Report.Status.PENDING, Report.Status.DISPATCHED, Report.Status.RETURNED, Report.Status.SIGNED)
Q4 = Decimal("0.0001")


class Open311Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


# --- rendering ----------------------------------------------------------------------------------


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for key, value in row.items():
            child = ET.SubElement(el, key)
            if isinstance(value, list):
                for v in value:
                    ET.SubElement(child, "value" if not isinstance(v, dict) else "attribute").text = str(v)
            elif value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _render(fmt: str, rows: list[dict] | dict, *, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        data = rows if isinstance(rows, list) else [rows]
        return HttpResponse(_xml(root, item, data), content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _error(fmt: str, code: int, description: str) -> HttpResponse:
    return _render(fmt, [{"code": code, "description": description}], root="errors", item="error", status=code)


def _w3c(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _endpoint(view):
    """Wrap a view: the format from the URL, the jurisdiction check, and Open311Error as the spec's error."""

    def wrapped(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
        try:
            jurisdiction = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
            if jurisdiction and not Area.objects.filter(level=Area.Level.CITY, code=jurisdiction).exists():
                raise Open311Error(404, "jurisdiction_id not found")
            return view(request, fmt, **kwargs)
        except Open311Error as e:
            return _error(fmt, e.code, e.description)

    wrapped.__name__ = view.__name__
    return csrf_exempt(wrapped)


# --- public fields ------------------------------------------------------------------------------


def _status(report: Report) -> str:
    return "open" if report.status in OPEN else "closed"


def _status_notes(report: Report) -> str:
    if report.status == Report.Status.MERGED:
        return f"duplicate of {report.merged_into_id}"
    if report.status == Report.Status.DISMISSED:
        return "dismissed"
    return str(report.get_status_display())


def _request_row(report: Report) -> dict:
    return {
        "service_request_id": str(report.pk),
        "status": _status(report),
        "status_notes": _status_notes(report),
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.department.name if report.department_id else "",
        "service_notice": "",
        "requested_datetime": _w3c(report.created_at),
        "updated_datetime": _w3c(report.updated_at),
        "expected_datetime": _w3c(report.deadline) if report.status in OPEN else None,
        "address": report.address,
        "address_id": "",
        "zipcode": "",
        "lat": float(report.latitude.quantize(Q4)) if report.latitude is not None else None,
        "long": float(report.longitude.quantize(Q4)) if report.longitude is not None else None,
        "media_url": "",
    }


def public_reports():
    return Report.objects.filter(category__is_public=True).select_related("category", "department")


def public_categories():
    return Category.objects.filter(is_active=True, is_public=True, children__isnull=True).select_related("parent")


# --- endpoints ----------------------------------------------------------------------------------


@_endpoint
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", args=["json"]).rsplit("/", 1)[0] + "/")
    changeset = Category.objects.order_by("-id").values_list("id", flat=True).first()
    data = {
        "changeset": _w3c(timezone.now()),
        "contact": _("City operations centre (智慧城市运行管理中心)"),
        "key_service": request.build_absolute_uri(reverse("governance:reports:open311_keys")),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base.rstrip("/"),
                "changeset": str(changeset or 0),
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    if fmt == "xml":
        root = ET.Element("discovery")
        for key in ("changeset", "contact", "key_service"):
            ET.SubElement(root, key).text = data[key]
        endpoints = ET.SubElement(root, "endpoints")
        for ep in data["endpoints"]:
            el = ET.SubElement(endpoints, "endpoint")
            for key in ("specification", "url", "changeset", "type"):
                ET.SubElement(el, key).text = ep[key]
            formats = ET.SubElement(el, "formats")
            for f in ep["formats"]:
                ET.SubElement(formats, "format").text = f
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")
        return HttpResponse(body, content_type="text/xml; charset=utf-8")
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@_endpoint
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description or c.name,
            "metadata": False,  # our categories have no extra attributes
            "type": "realtime",
            "keywords": "",
            "group": c.parent.name if c.parent_id else "",
        }
        for c in public_categories()
    ]
    return _render(fmt, rows, root="services", item="service")


@_endpoint
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    if not public_categories().filter(code=service_code).exists():
        raise Open311Error(404, "service_code not found")
    data = {"service_code": service_code, "attributes": []}
    if fmt == "xml":
        root = ET.Element("service_definition")
        ET.SubElement(root, "service_code").text = service_code
        ET.SubElement(root, "attributes")
        return HttpResponse(
            b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8"),
            content_type="text/xml; charset=utf-8",
        )
    return JsonResponse(data)


def _parse_date(value: str, name: str) -> dt.datetime:
    parsed = parse_datetime(value.replace(" ", "+")) if value else None
    if parsed is None:
        raise Open311Error(400, f"{name} must be a W3C datetime, e.g. 2026-01-01T00:00:00Z")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@_endpoint
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        raise Open311Error(405, "method not allowed")
    qs = public_reports()
    ids = request.GET.get("service_request_id", "").strip()
    if ids:  # overrides every other filter (spec)
        try:
            wanted = [int(x) for x in ids.split(",") if x.strip()]
        except ValueError:
            raise Open311Error(400, "service_request_id must be numbers, comma-separated") from None
        qs = qs.filter(pk__in=wanted[:MAX_RESULTS])
    else:
        codes = [c for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        end = _parse_date(request.GET["end_date"], "end_date") if request.GET.get("end_date") else None
        start = _parse_date(request.GET["start_date"], "start_date") if request.GET.get("start_date") else None
        if start and end and end - start > dt.timedelta(days=DEFAULT_DAYS):
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        if start:
            qs = qs.filter(created_at__gte=start)
        if end:
            qs = qs.filter(created_at__lte=end)
        statuses = {s.strip() for s in request.GET.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed")
        if statuses == {"open"}:
            qs = qs.filter(status__in=OPEN)
        elif statuses == {"closed"}:
            qs = qs.exclude(status__in=OPEN)
    rows = [_request_row(r) for r in qs.order_by("-created_at", "-id")[:MAX_RESULTS]]
    return _render(fmt, rows, root="service_requests", item="request")


@_endpoint
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    report = public_reports().filter(pk=number).first() if (number := ascii_int(request_id)) is not None else None
    if report is None:
        raise Open311Error(404, "service_request_id not found")
    return _render(fmt, [_request_row(report)], root="service_requests", item="request")


@_endpoint
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    report = Report.objects.filter(token=token, source=Source.OPEN311).only("pk", "token").first()
    if report is None:
        raise Open311Error(404, "token not found")
    return _render(
        fmt, [{"service_request_id": str(report.pk), "token": report.token}], root="service_requests", item="request"
    )


def _decimal(value: str, name: str, low: int, high: int) -> Decimal:
    try:
        number = Decimal(value).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise Open311Error(400, f"{name} must be a number") from None
    if not low <= number <= high:
        raise Open311Error(400, f"{name} is out of range")
    return number


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    key = open311_key_check(data.get("api_key", ""))
    if key is None:
        raise Open311Error(403, "api_key is missing or not valid")
    category = public_categories().filter(code=data.get("service_code", "")).first()
    if category is None:
        raise Open311Error(404, "service_code not found")
    lat, lng, address = data.get("lat", ""), data.get("long", ""), data.get("address_string", "").strip()
    if not (lat and lng) and not address:
        raise Open311Error(400, "lat and long, or address_string, are required")
    latitude = _decimal(lat, "lat", -90, 90) if lat else None
    longitude = _decimal(lng, "long", -180, 180) if lng else None
    description = data.get("description", "").strip()[:2000]
    if not description:
        raise Open311Error(400, "description is required")
    try:
        report = report_submit(
            reporter=key.account,
            category=category,
            description=description,
            latitude=latitude,
            longitude=longitude,
            address=address[:200],
            source=Source.OPEN311,
        ).report
    except ValidationError as e:
        raise Open311Error(400, " ".join(e.messages)) from None
    type(key).objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    row = {"service_request_id": str(report.pk), "token": report.token, "service_notice": "", "account_id": None}
    return _render(fmt, [row], root="service_requests", item="request", status=201)
