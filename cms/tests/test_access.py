"""Role × page-state matrix for cms.access: every reader, whatever their role, gets live public
pages of the asked type and a 404 for everything else (drafts, restricted, expired, missing)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from wagtail.models import PageViewRestriction

from cms.access import access_page_by_id
from cms.models import GuidePage, NewsPage
from cms.tests.factories import make_department_editor, make_guide, make_member_of, make_news
from core.models import PartyOrg, Role
from core.tests.factories import make_department, make_party_org, make_user_with_role

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "resident",
    "member",
    "department_staff",
    "ops_admin",
    "editor",
    "reviewer",
    "department_editor",
    "superuser",
]
STATES = [
    "live",
    "draft",
    "login_restricted",
    "password_restricted",
    "group_restricted",
    "expired",
    "other_type",
    "missing",
    "junk_id",
]


@pytest.fixture
def world(tree, groups):
    department = make_department(tree["city"])
    branch = make_party_org(PartyOrg.Kind.BRANCH, area=tree["village_a"])
    users = {
        "anonymous": AnonymousUser(),
        "resident": make_user_with_role(Role.RESIDENT, area=tree["grid_a"]),
        "member": make_user_with_role(Role.MEMBER, party_org=branch),
        "department_staff": make_user_with_role(Role.DEPARTMENT_STAFF, department=department),
        "ops_admin": make_user_with_role(Role.OPS_ADMIN),
        "editor": make_member_of(groups["editor"]),
        "reviewer": make_member_of(groups["reviewer"]),
        "department_editor": make_department_editor(department),
        "superuser": make_member_of(groups["editor"], is_superuser=True, is_staff=True),
    }
    pages = {"live": make_news("公开新闻"), "draft": make_news("草稿", live=False)}
    for state, kind in (
        ("login_restricted", "login"),
        ("password_restricted", "password"),
        ("group_restricted", "groups"),
    ):
        page = make_news(f"受限-{state}")
        restriction = PageViewRestriction.objects.create(page=page, restriction_type=kind, password="secret-123")
        if kind == "groups":
            restriction.groups.add(groups["editor"])
        pages[state] = page
    expired = make_news("已过期")
    expired.unpublish()
    NewsPage.objects.filter(pk=expired.pk).update(expired=True)
    pages["expired"] = expired
    ids = {state: page.pk for state, page in pages.items()}
    ids["other_type"] = make_guide().pk
    ids["missing"] = 10**8
    ids["junk_id"] = "12abc"
    return users, ids


def test_only_live_public_pages_of_the_asked_type(world):
    # One world for the whole matrix: building it per cell would cost a minute of page creation.
    users, ids = world
    outcomes = {}
    for role in ROLES:
        for state in STATES:
            try:
                outcomes[role, state] = access_page_by_id(users[role], ids[state], model=NewsPage).title
            except Http404:
                outcomes[role, state] = 404
    expected = {(role, state): "公开新闻" if state == "live" else 404 for role in ROLES for state in STATES}
    assert outcomes == expected


def test_the_guide_is_reachable_as_a_guide(world):
    users, ids = world
    assert isinstance(access_page_by_id(users["anonymous"], ids["other_type"], model=GuidePage), GuidePage)
