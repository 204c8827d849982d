"""The site's frame and 我的: tabs on every page, the entries each role gets, and that each entry opens."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse

from core.models import Role
from core.navigation import active_tab, entries_for
from core.templatetags.site_tags import page_title
from core.tests.factories import make_user_with_role
from streaming.models import LiveEvent
from streaming.tests.factories import make_world

pytestmark = pytest.mark.django_db

HREF = re.compile(r'<a href="([^"]+)"><span class="entry-label">')


def entry_keys(user) -> set[str]:
    return {key for group in entries_for(user) for key in group.keys}


def me_links(client, user) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("core:me"))
    assert response.status_code == 200
    return HREF.findall(response.content.decode())


@pytest.fixture
def world():
    return make_world(state=LiveEvent.State.SCHEDULED)


def test_each_role_gets_its_entries_and_no_others(world):
    tree = world.tree
    grid_worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    editor = make_user_with_role(Role.EDITOR)
    editor.groups.add(Group.objects.get(name="编辑"))
    common = {"learning.record", "forum.ask", "cms.services", "streaming.event_list", "reports.new", "reports.list"}

    assert entry_keys(world.resident) == common
    assert entry_keys(world.member_a) == common | {"learning.podcasts"}
    staff = {"learning.podcasts", "governance.grids", "reports.review", "governance.export", "governance.import"}
    # No party organisation sits in the worker's grid: no organisations' learning to show.
    assert entry_keys(grid_worker) == common | staff | {"governance.visits_mine"}
    assert entry_keys(world.operator_a) == common | {"learning.podcasts", "streaming.venue_screens"}
    # The town official who organises the event: schedule, host console, notices, grids, organisations.
    assert entry_keys(world.organiser) == common | staff | {
        "governance.visits_overview",
        "learning.org_record",
        "core.notice_create",
        "streaming.event_create",
        "streaming.host_consoles",
    }
    assert "core.wagtail_admin" in entry_keys(editor)
    assert {
        "streaming.host_consoles",
        "core.notice_create",
        "governance.grids",
        "governance.visits_overview",
        "governance.export",
        "reports.centre",
    } <= entry_keys(world.ops)
    # The operations centre sees every grid and keeps none: it exports, it does not import.
    assert "governance.import" not in entry_keys(world.ops)
    # Operator B's venue is not invited: no big-screen entry for an event they are not part of.
    assert "streaming.venue_screens" not in entry_keys(world.operator_b)


def test_host_console_and_venue_screen_are_one_tap_from_me(client, world):
    host_url = reverse("streaming:host_console", args=[world.event.pk])
    screen_url = reverse("streaming:venue_screen", args=[world.event.pk, world.venue_a.pk])
    assert host_url in me_links(client, world.organiser)
    assert host_url in me_links(client, world.ops)
    assert screen_url in me_links(client, world.operator_a)
    assert host_url not in me_links(client, world.member_a)


@pytest.mark.parametrize("who", ["resident", "member_a", "operator_a", "organiser", "ops"])
def test_every_entry_on_me_opens_for_its_person(client, world, who):
    user = getattr(world, who)
    links = me_links(client, user)
    assert links
    for url in links:
        response = client.get(url)
        assert response.status_code == 200, (who, url, response.status_code)


def test_me_shows_profile_roles_and_masked_mobile(client, world):
    user = world.member_a
    user.mobile = "13912345678"
    user.save(update_fields=["mobile"])
    client.force_login(user)
    html = client.get(reverse("core:me")).content.decode()
    assert user.get_full_name() in html and "139****5678" in html and "13912345678" not in html
    assert world.branch_a.name in html and "党员" in html
    assert 'action="/accounts/logout/"' in html


def test_me_asks_strangers_to_sign_in(client):
    response = client.get(reverse("core:me"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))


def test_frame_has_tabs_footer_and_name_linking_to_me(client, world):
    client.force_login(world.member_a)
    html = client.get("/live/").content.decode()
    tabbar = html[html.index('class="tabbar"') :]
    for label in ("首页", "学习", "直播", "问答", "我的"):
        assert f"<span>{label}</span>" in tabbar
    assert '<a href="/live/" aria-current="page">直播</a>' in html
    assert '<a class="who" href="/me/"' in html
    assert 'rel="icon"' in html


@override_settings(SITE_OPERATOR="中共测试市委组织部", SITE_CONTACT="0123-4567890", SITE_ICP_RECORD="测ICP备12345678号")
def test_footer_names_the_operator(client):
    html = client.get(reverse("core:login")).content.decode()
    footer = html[html.index('<footer class="footer">') :]
    assert "主办单位：中共测试市委组织部" in footer and "0123-4567890" in footer
    assert '<a href="https://beian.miit.gov.cn/" rel="noopener">测ICP备12345678号</a>' in footer


def test_active_tab_follows_the_path():
    assert active_tab("/") == "home"
    assert active_tab("/learning/record/") == "learning"
    assert active_tab("/live/3/host/") == "live"
    assert active_tab("/notifications/") == "me"
    assert active_tab("/governance/grids/") == ""


@override_settings(WAGTAIL_SITE_NAME="智慧党建平台")
def test_page_titles_name_each_part_once():
    assert page_title("智慧党建平台 · 智慧党建平台") == "智慧党建平台"
    assert page_title("第一课 · 第一课 · 智慧党建平台") == "第一课 · 智慧党建平台"
    assert page_title("主持台 · 专题党课") == "主持台 · 专题党课 · 智慧党建平台"


def test_unknown_address_gets_the_sites_own_404_in_chinese(client):
    response = client.get("/no-such-page-here/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and 'class="tabbar"' in html and "<title>页面不存在 · " in html


@override_settings(DEBUG=True, SITE_ERROR_PAGES_IN_DEBUG=True)
def test_make_run_shows_the_sites_404_even_with_debug(client):
    response = client.get("/no-such-page-here/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@override_settings(DEBUG=True, SITE_ERROR_PAGES_IN_DEBUG=False)
def test_developers_keep_djangos_debug_404_when_asked(client):
    response = client.get("/no-such-page-here/")
    assert response.status_code == 404
    assert "页面不存在" not in response.content.decode()


def test_server_error_page_needs_no_context_processors(rf):
    from core.views import server_error

    response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and "出了问题" in html
    assert 'class="tabbar"' in html and "<title>" in html


def test_the_admin_is_one_tap_from_me_for_the_roles_that_have_it(client, world):
    from core.tests.factories import UserFactory

    wagtail_admin, django_admin = reverse("wagtailadmin_home"), reverse("admin:index")
    rules = reverse("governance:reports:rules")
    editor = make_user_with_role(Role.EDITOR)
    editor.groups.add(Group.objects.get(name="编辑"))
    reviewer = make_user_with_role(Role.REVIEWER)
    reviewer.groups.add(Group.objects.get(name="审核员"))
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert wagtail_admin in me_links(client, editor) and wagtail_admin in me_links(client, reviewer)
    assert django_admin not in me_links(client, editor)
    # The operations centre manages the dispatch rules and categories: its admin entry.
    ops_links = me_links(client, world.ops)
    assert rules in ops_links and reverse("streaming:host_console", args=[world.event.pk]) in ops_links
    assert wagtail_admin not in ops_links  # no content rights, no content admin
    assert {wagtail_admin, django_admin} <= set(me_links(client, superuser))
    for nobody in (world.member_a, world.operator_a, world.resident):
        assert not {wagtail_admin, rules, django_admin} & set(me_links(client, nobody))
