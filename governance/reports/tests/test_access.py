"""Who sees which report, role by role and scope by scope: pages, photos, the socket, the queues."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from core.models import Role
from core.tests.factories import UserFactory, make_user_with_role
from governance.reports.access import access_photo_by_id, access_report_by_id, can_see_reporter
from governance.reports.services import workflow as wf

from .factories import World, processed_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return World()


# (who, sees a report located in grid_a dispatched to w.department)
MATRIX = [
    ("reporter", True),
    ("rider", False),  # another resident
    ("staff", True),  # its department
    ("other_staff", False),  # another department
    ("ops", True),
    ("grid_worker", True),  # grid_a
    ("grid_worker_b", False),  # another grid
    ("community", True),  # village_a, above grid_a
    ("town_b", False),  # another town
]


@pytest.mark.parametrize("who, sees", MATRIX)
def test_report_access_matrix(w, who, sees):
    report = w.submit(photos=[processed_photo()])
    user = getattr(w, who)
    photo = report.photos.get()
    if sees:
        assert access_report_by_id(user, report.pk).pk == report.pk
        assert access_photo_by_id(user, photo.pk).pk == photo.pk
    else:
        with pytest.raises(Http404):
            access_report_by_id(user, report.pk)
        with pytest.raises(Http404):
            access_photo_by_id(user, photo.pk)


@pytest.mark.parametrize("who, sees", MATRIX)
def test_pages_and_photos_answer_404_when_not_yours(w, client, who, sees):
    report = w.submit(photos=[processed_photo()])
    photo = report.photos.get()
    client.force_login(getattr(w, who))
    for url in (
        reverse("governance:reports:detail", args=[report.pk]),
        reverse("governance:reports:photo", args=[photo.pk]),
    ):
        assert client.get(url).status_code == (200 if sees else 404)
    missing = reverse("governance:reports:detail", args=[report.pk + 1000])
    assert client.get(missing).status_code == 404


def test_department_keeps_seeing_a_report_it_returned(w):
    report = w.submit()
    wf.report_return(report=report, by=w.staff, reason="不归我们")
    wf.report_arbitrate(report=report, by=w.ops, department=w.other_department, note="住建负责")
    assert access_report_by_id(w.staff, report.pk)
    assert access_report_by_id(w.other_staff, report.pk)


def test_merged_reporters_follow_the_report(w):
    first = w.submit()
    w.submit(reporter=w.rider, same_as=first)
    assert access_report_by_id(w.rider, first.pk)


def test_anonymous_reporter_is_masked_for_the_department_only(w, client):
    report = w.submit(anonymous=True)
    assert not can_see_reporter(w.staff, report)
    for who in (w.ops, w.grid_worker, w.reporter):
        assert can_see_reporter(who, report)
    client.force_login(w.staff)
    page = client.get(reverse("governance:reports:detail", args=[report.pk])).content.decode()
    assert "匿名" in page and w.reporter.name not in page
    shared = w.submit(reporter=w.rider)
    assert can_see_reporter(w.staff, shared)


def test_inactive_and_signed_out(w, client):
    report = w.submit()
    url = reverse("governance:reports:detail", args=[report.pk])
    assert client.get(url).status_code == 302  # to the login page
    w.reporter.is_active = False
    w.reporter.save()
    with pytest.raises(Http404):
        access_report_by_id(w.reporter, report.pk)


@pytest.mark.parametrize(
    "who, queue, status",
    [
        ("ops", "centre", 200),
        ("staff", "centre", 404),
        ("reporter", "centre", 404),
        ("staff", "department", 200),
        ("reporter", "department", 404),
        ("ops", "rules", 200),
        ("staff", "rules", 404),
        ("grid_worker", "rules", 404),
        ("ops", "categories", 200),
        ("community", "categories", 404),
        ("ops", "open311_keys", 200),
        ("staff", "open311_keys", 404),
        ("ops", "review", 200),
        ("staff", "review", 200),
        ("town_b", "review", 200),
        ("reporter", "review", 404),
    ],
)
def test_queues_and_settings_by_role(w, client, who, queue, status):
    client.force_login(getattr(w, who))
    assert client.get(reverse(f"governance:reports:{queue}")).status_code == status


def test_department_review_shows_its_own_figures_only(w, client):
    w.submit()
    client.force_login(w.staff)
    page = client.get(reverse("governance:reports:review")).content.decode()
    assert w.department.name in page and w.other_department.name not in page
    client.force_login(w.ops)
    page = client.get(reverse("governance:reports:review")).content.decode()
    assert w.department.name in page and w.other_department.name in page


def test_export_is_scoped_too(w, client):
    client.force_login(UserFactory())
    assert client.get(reverse("governance:reports:review_export")).status_code == 404
    client.force_login(make_user_with_role(Role.DEPARTMENT_STAFF, department=w.other_department))
    response = client.get(reverse("governance:reports:review_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
