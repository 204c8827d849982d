"""The pages through the test client: the form, photos, actions, the review and its export."""

from __future__ import annotations

import io

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from governance.reports.models import Report, ReportPhoto
from governance.reports.routing import websocket_urlpatterns
from governance.reports.services import workflow as wf
from governance.reports.services.photos import photo_process

from .factories import GRID_CENTRES, World, jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return World()


def post_report(client, w, **extra):
    lat, lng = GRID_CENTRES["grid_a"]
    data = {
        "category": w.category.pk,
        "description": "路灯不亮，晚上很黑",
        "latitude": f"{lat:.6f}",
        "longitude": f"{lng:.6f}",
        "accuracy_m": "12",
        "reporter_kind": "rider",
        "idempotency_key": "key-1",
        **extra,
    }
    return client.post(reverse("governance:reports:new"), data)


def test_the_form_renders_on_a_phone_page(w, client):
    client.force_login(w.rider)
    page = client.get(reverse("governance:reports:new")).content.decode()
    assert "reports/report_new.js" in page and w.category.name in page
    assert "<script>" not in page.replace("<script src", "")  # no inline code (CSP script-src 'self')


def test_submit_with_photo_then_retry_returns_the_same_report(w, client):
    client.force_login(w.rider)
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_bytes(size=(3000, 2000), gps=True), content_type="image/jpeg")
    response = post_report(client, w, photos=[photo])
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "governance:reports:detail", args=[report.pk]
    )
    assert report.reporter_kind == "rider" and report.accuracy_m == 12 and report.status == Report.Status.DISPATCHED
    again = post_report(client, w)
    assert again["Location"] == response["Location"]
    assert Report.objects.count() == 1
    stored = ReportPhoto.objects.get()
    assert float(stored.exif_latitude) == pytest.approx(40.1) and float(stored.exif_longitude) == pytest.approx(124.35)
    served = client.get(reverse("governance:reports:photo", args=[stored.pk]))
    data = b"".join(served.streaming_content)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and max(image.size) == 1600
    assert not image.getexif()  # no EXIF at all: no GPS, no camera


def test_not_a_photo_is_refused(w, client):
    client.force_login(w.rider)
    fake = SimpleUploadedFile("x.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    response = post_report(client, w, photos=[fake])
    assert response.status_code == 200 and Report.objects.count() == 0
    assert "无法识别" in response.content.decode()


def test_heic_from_an_iphone_is_accepted():
    import pillow_heif

    image = Image.new("RGB", (640, 480), (10, 120, 200))
    heif = pillow_heif.from_pillow(image)
    out = io.BytesIO()
    heif.save(out, quality=80)
    processed = photo_process(out.getvalue())
    assert processed.width == 640 and Image.open(io.BytesIO(processed.content)).format == "JPEG"


def test_nearby_offers_the_same_problem(w, client):
    first = w.submit()
    client.force_login(w.rider)
    url = reverse("governance:reports:nearby")
    data = client.get(url, {"category": w.category.pk, "latitude": first.latitude, "longitude": first.longitude}).json()
    assert [r["id"] for r in data["reports"]] == [first.pk]
    assert "description" not in data["reports"][0] and "reporter" not in data["reports"][0]
    response = post_report(client, w, same_as=str(first.pk), idempotency_key="key-2")
    assert response["Location"] == reverse("governance:reports:detail", args=[first.pk])


def test_department_signs_and_resolves_through_the_page(w, client):
    report = w.submit()
    client.force_login(w.staff)
    detail = reverse("governance:reports:detail", args=[report.pk])
    assert "签收" in client.get(detail).content.decode()
    client.post(reverse("governance:reports:act", args=[report.pk, "sign"]))
    photo = SimpleUploadedFile("done.png", jpeg_bytes(), content_type="image/png")
    client.post(reverse("governance:reports:act", args=[report.pk, "resolve"]), {"result": "已修复", "photos": [photo]})
    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED and report.photos.filter(kind="result").count() == 1
    # An illegal step shows the refusal and changes nothing.
    response = client.post(reverse("governance:reports:act", args=[report.pk, "sign"]), follow=True)
    assert "现在不能签收" in response.content.decode()
    client.force_login(w.reporter)
    client.post(reverse("governance:reports:act", args=[report.pk, "rate"]), {"rating": "satisfied", "comment": "好"})
    report.refresh_from_db()
    assert report.status == Report.Status.CLOSED


def test_an_action_on_someone_elses_report_is_a_404(w, client):
    report = w.submit()
    client.force_login(w.other_staff)
    assert client.post(reverse("governance:reports:act", args=[report.pk, "sign"])).status_code == 404


def test_centre_queue_and_manual_dispatch(w, client):
    report = w.submit(category=w.unruled)
    client.force_login(w.ops)
    assert report.number in client.get(reverse("governance:reports:centre")).content.decode()
    client.post(
        reverse("governance:reports:act", args=[report.pk, "dispatch"]),
        {"department": w.other_department.pk, "deadline_hours": "24"},
    )
    report.refresh_from_db()
    assert report.department == w.other_department


def test_rules_are_edited_by_the_centre(w, client):
    client.force_login(w.ops)
    response = client.post(
        reverse("governance:reports:rule_new"),
        {
            "category": w.unruled.pk,
            "department": w.other_department.pk,
            "deadline_hours": 24,
            "sign_hours": 2,
            "priority": 2,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    report = w.submit(category=w.unruled)
    assert report.department == w.other_department and report.priority == 2


def test_review_page_and_export_show_the_figures(w, client):
    report = w.submit()
    wf.report_sign(report=report, by=w.staff)
    wf.report_resolve(report=report, by=w.staff, result="好了")
    wf.report_rate(report=report, by=w.reporter, rating="satisfied")
    client.force_login(w.ops)
    page = client.get(reverse("governance:reports:review"), {"period": "month"}).content.decode()
    assert "办结率" in page and "满意率" in page and "1 条已评价" in page
    xlsx = client.get(reverse("governance:reports:review_export"), {"period": "year"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows[w.department.name][1] == 1 and rows[w.department.name][3] == 1
    assert rows[w.department.name][9] == 100.0  # 办结率
    assert rows[w.department.name][11] == 100.0  # 满意率


def test_review_reads_rollups_with_a_fixed_number_of_queries(w, client, django_assert_max_num_queries):
    for _ in range(5):
        w.submit()
    client.force_login(w.ops)
    with django_assert_max_num_queries(12):
        client.get(reverse("governance:reports:review"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_open_page_socket_is_told_when_the_report_moves(w):
    from asgiref.sync import sync_to_async

    report = await sync_to_async(w.submit)()
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/reports/{report.pk}/?last=2")
    communicator.scope["user"] = w.reporter
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "hello"
    await sync_to_async(wf.report_sign)(report=report, by=w.staff)
    message = await communicator.receive_json_from(timeout=5)
    assert message == {"type": "changed", "seq": 3, "status": "signed"}
    await communicator.disconnect()
    stranger = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/reports/{report.pk}/")
    stranger.scope["user"] = w.other_staff
    await stranger.connect()
    assert (await stranger.receive_output())["code"] == 4403
