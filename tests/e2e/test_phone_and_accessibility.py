"""Every page a role reaches through the navigation, on a 390 px phone: nothing scrolls sideways and the
header stays one line; and the main pages of each role pass axe-core (WCAG 2.1 A/AA) with no serious or
critical violation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.models import Area, Notification, Role
from governance.tests.factories import household_of, make_building, make_resident
from tests.conftest import make_person
from tests.support import launched_chromium, live_db, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 30_000
AXE = Path(__file__).resolve().parents[1] / "assets" / "axe-core-4.10.3" / "axe.min.js"
AXE_SHA256 = "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb"
# Not ours to lay out for phones: the Wagtail and Django admins, downloads, feeds.
SKIPPED = ("/admin/", "/django-admin/", ".xlsx", ".xml", "/feeds/")
TABS = ["/", "/courses/", "/live/", "/forum/", "/me/", "/news/", "/services/"]
# Reached through links inside other pages, not through 我的: walked as well.
ALSO_REACHED = {
    "grid_worker": ["/governance/map/"],
    "ops": ["/governance/map/", "/governance/reports/calendar/"],
    "resident": ["/governance/my-household/"],
}
# Pages that draw themselves after load: checked once this selector shows and the requests have settled
# (the map has drawn its areas and opened the card of a single grid).
READY = {"/governance/map/": "#geo-map[data-loaded-parent]"}
# Controls a library draws, named in English unless we name them: each must be found by its Chinese name.
NAMED_CONTROLS = {"/governance/map/": [("region", "网格一张图"), ("button", "放大"), ("button", "缩小")]}


@pytest.fixture
def roles(people) -> dict:
    grid = Area.objects.filter(level=Area.Level.GRID, path__startswith=people.town.path).first()
    grid_worker = make_person(Role.GRID_WORKER, "grid", area=grid)
    ops = make_person(Role.OPS_ADMIN, "ops")
    resident = make_person(Role.RESIDENT, "resident", area=grid)
    household = household_of(make_building(grid, name="幸福家园小区3号楼"), "1-101")
    make_resident(
        household,
        name="欧阳秀兰",
        birth_year=1948,
        phone="13812345678",
        id_number="210681194803150028",
        tags=["elderly_alone"],
    )
    # The signed-in resident's own household, for 我的住户 (their record and its visits).
    make_resident(
        household_of(make_building(grid, name="幸福家园小区5号楼"), "2-302"),
        name="李建华",
        birth_year=1975,
        phone="13987654321",
        account=resident,
    )
    # A notice with a long unbroken link, as pasted from a WeChat article.
    Notification.objects.create(
        recipient=people.member,
        kind="notice",
        title="关于开展主题党日活动的通知",
        body="详见 https://mp.weixin.qq.com/s/" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789" * 3,
        url="/notifications/",
    )
    return {
        "member": people.member,
        "town_staff": people.town_staff,
        "grid_worker": grid_worker,
        "ops": ops,
        "resident": resident,
    }


@pytest.fixture
def chromium(roles) -> Iterator:
    with launched_chromium() as browser:
        yield browser


def reachable_pages(page, server) -> list[str]:
    """The tabs and every entry of 我的: what the person reaches in two taps."""
    page.goto(f"{server.url}/me/")
    links = page.eval_on_selector_all(".me-section a[href^='/']", "els => els.map(e => e.getAttribute('href'))")
    pages = list(dict.fromkeys([*TABS, *links]))
    return [p for p in pages if not any(s in p for s in SKIPPED)]


def overflow(page) -> str | None:
    width, client, header = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.querySelector('header.topbar').getBoundingClientRect().height]"
    )
    problems = []
    if width > client:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >
                 document.documentElement.clientWidth + 1).slice(0, 3).map(e => e.tagName.toLowerCase() +
                 (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''))"""
        )
        problems.append(f"scrolls sideways ({width} > {client}: {wide})")
    if header > 72:
        problems.append(f"header wraps ({header:.0f} px tall)")
    return "; ".join(problems) or None


def test_no_page_a_role_reaches_scrolls_sideways_on_a_phone(chromium, daphne, people, roles):
    failures = {}
    for name, user in roles.items():
        context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        sign_in(page, daphne, user.username, people.password)
        for path in [*reachable_pages(page, daphne), *ALSO_REACHED.get(name, [])]:
            response = page.goto(f"{daphne.url}{path}")
            assert response is not None and response.status < 400, (name, path, response and response.status)
            if path in READY:
                page.wait_for_selector(READY[path])
                page.wait_for_load_state("networkidle")
            problem = overflow(page)
            if problem:
                failures[f"{name} {path}"] = problem
        context.close()
    assert not failures, f"pages too wide for a 390 px phone: {failures}{daphne.diagnostics()}"


def test_tab_bar_on_phones_and_main_navigation_on_desktop(chromium, daphne, people, roles):
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, daphne, people.member.username, people.password)
    assert page.locator("nav.tabbar").is_visible() and not page.locator("nav.mainnav").is_visible()
    page.locator("nav.tabbar").get_by_role("link", name="我的").click()
    page.wait_for_url(f"{daphne.url}/me/")
    assert page.locator("nav.tabbar a[aria-current='page']").inner_text() == "我的"
    phone.close()
    desktop = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = desktop.new_page()
    sign_in(page, daphne, people.member.username, people.password)
    assert page.locator("nav.mainnav").is_visible() and not page.locator("nav.tabbar").is_visible()
    page.locator("nav.mainnav").get_by_role("link", name="直播").click()
    page.wait_for_url(f"{daphne.url}/live/")
    page.locator("header .who").click()  # the name in the header leads to 我的
    page.wait_for_url(f"{daphne.url}/me/")
    desktop.close()


MAIN_PAGES = {
    "member": ["/", "/me/", "/courses/", "/live/", "/forum/", "/learning/record/", "/notifications/"],
    "grid_worker": ["/me/", "/governance/grids/", "/governance/visits/", "/governance/map/"],
    "town_staff": [
        "/me/",
        "/notices/new/",
        "/learning/record/organisations/",
        "/live/new/",
        "/governance/visits/areas/",
    ],
    "ops": ["/me/", "/governance/map/", "/governance/reports/calendar/"],
    "resident": ["/", "/me/", "/services/", "/news/", "/governance/my-household/"],
}


def test_main_pages_of_each_role_pass_axe(chromium, daphne, people, roles):
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256, "tests/assets axe-core changed without its README"
    failures = {}
    for name, paths in MAIN_PAGES.items():
        # bypass_csp: axe is injected by the test, never served by the site.
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        sign_in(page, daphne, roles[name].username, people.password)
        for path in paths:
            response = page.goto(f"{daphne.url}{path}")
            assert response is not None and response.status < 400, (name, path, response and response.status)
            if path in READY:
                page.wait_for_selector(READY[path])
                page.wait_for_load_state("networkidle")
            page.add_script_tag(content=source.decode())
            result = page.evaluate(
                """async () => (await axe.run(document, {runOnly: {type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({id: v.id, impact: v.impact,
                                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
            )
            unnamed = [n for role, n in NAMED_CONTROLS.get(path, []) if page.get_by_role(role, name=n).count() != 1]
            if unnamed:
                result.append({"id": "named-in-chinese", "missing": unnamed})
            if result:
                failures[f"{name} {path}"] = result
        context.close()
    assert not failures, "accessibility violations:\n" + json.dumps(failures, ensure_ascii=False, indent=1)
