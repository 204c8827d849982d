"""Open311 GeoReport v2: a real client library (georeport, from PyPI) against a live server for the
reads it implements (services, service definition, requests with filters, one request; JSON and XML);
POST, tokens, discovery and errors through the test client against the fields the spec documents
(the library has no POST or token calls)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import xmltodict
from django.utils import timezone
from georeport import GeoReport

from governance.reports.models import Report, Source
from governance.reports.services import workflow as wf
from governance.reports.services.rules import open311_key_issue

from .factories import World, make_category

# The spec's fields of a service request (GET requests, GET requests/<id>).
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}


@pytest.fixture
def w(db):
    return World()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_georeport_client_reads_services_and_requests(live_server, w):
    private = make_category("邻里纠纷", is_public=False)
    report = w.submit(description="井盖缺失，有安全隐患", anonymous=False)
    closed = w.submit(where="grid_b")
    wf.report_sign(report=closed, by=w.staff)
    wf.report_resolve(report=closed, by=w.staff, result="已处理")
    hidden = w.submit(category=private)
    client = GeoReport(f"{live_server.url}/open311/v2")

    services = client.get_service_list()
    assert {s["service_code"] for s in services} >= {w.category.code, w.unruled.code}
    assert private.code not in {s["service_code"] for s in services}
    assert set(services[0]) == SERVICE_FIELDS
    assert client.get_service_definition(w.category.code) == {"service_code": w.category.code, "attributes": []}

    rows = client.get_service_requests()
    by_id = {r["service_request_id"]: r for r in rows}
    assert set(by_id) == {str(report.pk), str(closed.pk)}  # the private category is never listed
    assert str(hidden.pk) not in by_id
    row = by_id[str(report.pk)]
    assert set(row) == REQUEST_FIELDS
    assert row["status"] == "open" and row["agency_responsible"] == w.department.name
    assert w.reporter.name not in str(rows) and w.reporter.username not in str(rows)
    assert [r["service_request_id"] for r in client.get_service_requests(status="closed")] == [str(closed.pk)]
    assert client.get_service_requests(service_code=w.unruled.code) == []
    one = client.get_service_request(str(report.pk))
    assert one["description"] == "井盖缺失，有安全隐患" and one["lat"] == pytest.approx(39.85)

    xml_client = GeoReport(f"{live_server.url}/open311/v2", output_format="xml")
    xml_services = xml_client.get_service_list()
    assert {s["service_code"] for s in xml_services} == {s["service_code"] for s in services}
    assert xml_client.get_service_request(str(report.pk))["service_request_id"] == str(report.pk)
    assert len(xml_client.get_service_requests()) == 2

    missing = requests.get(f"{live_server.url}/open311/v2/requests/{hidden.pk}.xml", timeout=10)
    assert missing.status_code == 404
    assert xmltodict.parse(missing.content)["errors"]["error"]["code"] == "404"


def test_post_needs_a_key_and_returns_an_id_and_a_token(w, client):
    url = "/open311/v2/requests.json"
    data = {
        "service_code": w.category.code,
        "lat": "39.85",
        "long": "124.025",
        "description": "路面塌陷",
        "email": "someone@example.com",
        "first_name": "张",
        "phone": "13800000000",
    }
    denied = client.post(url, data)
    assert denied.status_code == 403 and denied.json() == [
        {"code": 403, "description": "api_key is missing or not valid"}
    ]
    issued = open311_key_issue(name="市民热线", by=w.ops)
    response = client.post(url, {**data, "api_key": issued.key})
    assert response.status_code == 201
    (row,) = response.json()
    report = Report.objects.get(pk=int(row["service_request_id"]))
    assert report.source == Source.OPEN311 and report.department == w.department and report.grid == w.tree["grid_a"]
    assert "someone@example.com" not in str(Report.objects.filter(pk=report.pk).values().get())
    token = client.get(f"/open311/v2/tokens/{row['token']}.json").json()
    assert token == [{"service_request_id": str(report.pk), "token": report.token}]
    # Tokens of reports not posted through Open311 are not answered.
    web = w.submit()
    assert client.get(f"/open311/v2/tokens/{web.token}.json").status_code == 404


@pytest.mark.parametrize(
    "data, code",
    [
        ({"service_code": "no-such"}, 404),
        ({"lat": "", "long": ""}, 400),
        ({"lat": "91"}, 400),
        ({"description": ""}, 400),
    ],
)
def test_post_errors_use_the_spec_format(w, client, data, code):
    issued = open311_key_issue(name="app", by=w.ops)
    base = {
        "api_key": issued.key,
        "service_code": w.category.code,
        "lat": "39.85",
        "long": "124.025",
        "description": "x",
    }
    response = client.post("/open311/v2/requests.xml", {**base, **data})
    assert response.status_code == code
    error = xmltodict.parse(response.content)["errors"]["error"]
    assert error["code"] == str(code) and error["description"]


def test_discovery_and_request_filters(w, client):
    discovery = client.get("/open311/v2/discovery.json").json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "text/xml" in discovery["endpoints"][0]["formats"]
    assert xmltodict.parse(client.get("/open311/v2/discovery.xml").content)["discovery"]["endpoints"]
    old = w.submit()
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=100))
    recent = w.submit()
    ids = [r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()]
    assert ids == [str(recent.pk)]  # the last 90 days by default
    start = (timezone.now() - dt.timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - dt.timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = [
        r["service_request_id"]
        for r in client.get("/open311/v2/requests.json", {"start_date": start, "end_date": end}).json()
    ]
    assert ids == [str(old.pk)]
    too_long = client.get(
        "/open311/v2/requests.json", {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"}
    )
    assert too_long.status_code == 400
    both = client.get("/open311/v2/requests.json", {"service_request_id": f"{old.pk},{recent.pk}"}).json()
    assert {r["service_request_id"] for r in both} == {str(old.pk), str(recent.pk)}
    assert client.get("/open311/v2/requests.json", {"status": "nonsense"}).status_code == 400
    assert client.get("/open311/v2/requests.json", {"jurisdiction_id": "nowhere"}).status_code == 404
