"""The CMS demo steps: enough realistic content, valid Wagtail pages, and a second run that adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from wagtail.models import Page, Revision

from cms.models import DepartmentUpdatesPage, GuidePage, NewsPage, ServicePage, UpdatePage
from cms.search import cms_search_pages
from core.models import Department, Membership, Role, User

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("cms-demo")]

SCALE = 0.02


@pytest.fixture
def seeded(demo_seeded, db):
    """The module's demo (made once); changes a test makes are rolled back after it."""


def test_every_department_has_a_section_with_updates_and_an_editor_group(seeded):
    departments = Department.objects.count()
    assert departments == 17
    assert DepartmentUpdatesPage.objects.count() == departments
    for section in DepartmentUpdatesPage.objects.all():
        assert UpdatePage.objects.child_of(section).live().count() >= 2
    user = User.objects.get(username="demo_department")
    department = Membership.objects.get(user=user, role=Role.DEPARTMENT_STAFF).department
    own = DepartmentUpdatesPage.objects.get(department=department)
    assert own.permissions_for_user(user).can_add_subpage()
    others = DepartmentUpdatesPage.objects.exclude(pk=own.pk)
    assert not any(s.permissions_for_user(user).can_add_subpage() for s in others)


def test_content_is_chinese_varied_and_valid_wagtail_pages(seeded, client):
    news = list(NewsPage.objects.live())
    assert len(news) == max(12, round(320 * SCALE))  # at least a page and a half of news
    assert len({n.title for n in news}) == len(news)
    assert GuidePage.objects.live().count() >= 3 and ServicePage.objects.live().count() >= 6
    assert not any("lorem" in n.title.lower() for n in news)
    assert Page.find_problems() == ([], [], [], [], [])  # treebeard: paths, depths, child counts
    for page in [news[0], UpdatePage.objects.first(), GuidePage.objects.first(), ServicePage.objects.first()]:
        assert page.live_revision_id and page.latest_revision_id == page.live_revision_id
        assert Revision.objects.get(pk=page.live_revision_id).as_object().title == page.title
        assert client.get(page.url).status_code == 200
    # Indexed for search as they were made.
    assert news[0].pk in [p.pk for p in cms_search_pages(query=news[0].title)]


def test_demo_pages_open_in_the_admin(seeded, client):
    admin = User.objects.create_superuser("cms-admin", password="Admin-pass-2026")
    client.force_login(admin)
    page = NewsPage.objects.first()
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/{page.pk}/history/").status_code == 200


def test_second_run_adds_nothing(seeded):
    before = {m: m.objects.count() for m in (NewsPage, UpdatePage, GuidePage, ServicePage, Revision)}
    call_command("seed_demo", scale=SCALE, verbosity=0)
    assert {m: m.objects.count() for m in before} == before
