"""The grid map in Chromium against a real Daphne, no tile server: Leaflet draws the community's grids,
a click on a grid opens its card, and community staff redraw a grid's boundary by dragging a corner;
the point → grid lookup of *this* process then follows the change the Daphne process saved.

Rows are made before the browser starts and checked after it has closed: Playwright's sync API runs
an event loop in this thread, and Django refuses ORM calls while one runs.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.models import Membership, Role
from core.services.orgs import membership_grant
from core.tests.factories import UserFactory, make_tree
from governance.geo.index import grid_at
from governance.tests.geo_factories import give_tree_boundaries
from tests.support import launched_chromium, live_db, sign_in, unique_name

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 30_000
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@pytest.fixture
def community(transactional_db):
    tree = give_tree_boundaries(make_tree())
    staff = UserFactory(username=unique_name("community"), name="刘桂芝")
    membership_grant(user=staff, role=Role.COMMUNITY_STAFF, area=tree["village_a"])
    worker = UserFactory(username=unique_name("gridworker"), name="孙海燕", mobile="13812340000")
    membership_grant(user=worker, role=Role.GRID_WORKER, area=tree["grid_a"])
    Membership.objects.filter(user=worker).update(worker_kind=Membership.WorkerKind.FULL_TIME)
    return {"tree": tree, "staff": staff}


def block_outside_requests(context, base: str, outside: list[str]) -> None:
    def route(route_, request):
        if request.url.startswith(base):
            route_.continue_()
        else:
            outside.append(request.url)
            route_.abort()

    context.route("**/*", route)


def test_grids_are_drawn_a_click_opens_the_card_and_a_redrawn_corner_is_saved(community, daphne):
    base = daphne.url
    tree = community["tree"]
    grid_a_id = tree["grid_a"].pk
    # 39.89 N 124.045 E lies in 甲村第一网格 near its north-east corner, which the staff will drag west.
    assert grid_at(latitude=39.89, longitude=124.045) == tree["grid_a"]
    outside: list[str] = []
    errors: list[str] = []
    with launched_chromium() as browser:
        context = browser.new_context(**DESKTOP)
        context.set_default_timeout(TIMEOUT_MS)
        block_outside_requests(context, base, outside)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, base, community["staff"].username, next_url="/governance/map/")

        # Their community is their top area: the map opens on its two grids.
        page.wait_for_function("() => document.querySelectorAll('path.geo-area.geo-level-4').length === 2")
        assert page.locator("#geo-trail").inner_text().strip() == "甲村"
        assert page.locator("#geo-card h2").inner_text() == "甲村"

        # A click on the western grid opens its card with its full-time worker, phone masked. The map
        # first finishes zooming onto the community (the outline's box moves until then).
        page.wait_for_function("() => !document.getElementById('geo-map').hasAttribute('data-moving')")
        west_grid = page.locator(f"path.geo-area-{grid_a_id}")
        box = west_grid.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
        page.wait_for_function("() => document.querySelector('#geo-card h2').textContent === '甲村第一网格'")
        card = page.locator("#geo-card").inner_text()
        assert "孙海燕" in card and "专职" in card and "138****0000" in card and "13812340000" not in card

        # Redraw: drag the north-east corner west, then save.
        page.locator("#geo-card [data-action=edit]").click()
        page.wait_for_selector(".marker-icon:not(.marker-icon-middle)")
        corners = page.locator(".marker-icon:not(.marker-icon-middle)").evaluate_all(
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })"
        )
        x, y = max(corners, key=lambda c: c[0] - c[1])  # right-most and top-most
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - box["width"] * 0.3, y + 5, steps=8)
        page.mouse.up()
        page.locator("#geo-card [data-action=save]").click()
        page.wait_for_selector("#geo-card .feedback .note")
        assert "边界已保存" in page.locator("#geo-card .feedback").inner_text()

        # The same map on a phone: no sideways scrolling, the grids drawn.
        phone = browser.new_context(**PHONE)
        phone.set_default_timeout(TIMEOUT_MS)
        block_outside_requests(phone, base, outside)
        small = phone.new_page()
        sign_in(small, base, community["staff"].username, next_url="/governance/map/")
        small.wait_for_function("() => document.querySelectorAll('path.geo-area.geo-level-4').length === 2")
        width, client = small.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width <= client, f"the map page scrolls sideways on a phone: {width} > {client}"
    assert not errors, errors
    assert not outside, f"the map fetched from outside the site (no tile server is configured): {outside[:3]}"
    # Daphne saved the new outline; this process's index sees it on its next lookup.
    assert grid_at(latitude=39.89, longitude=124.045) is None
    assert grid_at(latitude=39.81, longitude=124.01) == tree["grid_a"]


def test_search_flies_to_a_grid_and_to_a_building_whose_marker_opens_its_plan(community, daphne):
    from governance.tests.factories import make_building

    base = daphne.url
    tree = community["tree"]
    # Two buildings in 甲村第一网格, one in 甲村第二网格, and one in 乙村 which this staff may not see.
    mine = make_building(tree["grid_a"], name="阳光小区3号楼", address="滨海路18号", **at(39.85, 124.02))
    make_building(tree["grid_a"], name="阳光小区4号楼", address="滨海路16号", **at(39.86, 124.03))
    make_building(tree["grid_a2"], name="东苑1号楼", address="东苑路1号", **at(39.85, 124.07))
    make_building(tree["grid_b"], name="江畔花园1号楼", address="滨海路188号", **at(39.82, 124.12))
    grid_a, grid_a2 = tree["grid_a"].pk, tree["grid_a2"].pk
    errors: list[str] = []
    outside: list[str] = []
    settled = "() => !document.getElementById('geo-map').hasAttribute('data-moving')"
    with launched_chromium() as browser:
        context = browser.new_context(**PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        block_outside_requests(context, base, outside)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, base, community["staff"].username, next_url="/governance/map/")
        page.wait_for_function("() => document.querySelectorAll('path.geo-area.geo-level-4').length === 2")
        page.wait_for_function(settled)

        # A grid by name: the map flies to it, its card opens, its one building is marked.
        page.get_by_role("searchbox").fill("第二网格")
        page.get_by_role("button", name="搜索").click()
        page.locator("#geo-results button").filter(has_text="甲村第二网格").click()
        page.wait_for_function(f"() => document.getElementById('geo-map').dataset.buildingsOf === '{grid_a2}'")
        page.wait_for_function(settled)
        assert page.locator("#geo-card h2").inner_text() == "甲村第二网格"
        assert "待走访" in page.locator("#geo-card").inner_text() and "逾期 0" in page.locator("#geo-card").inner_text()
        assert page.locator("path.geo-building").count() == 1

        # A building by address: only the staff's own (not 乙村's 滨海路188号), with its grid named.
        page.get_by_role("searchbox").fill("滨海路")
        page.get_by_role("button", name="搜索").click()
        results = page.locator("#geo-results button[data-kind=building]")
        results.first.wait_for()
        texts = results.all_inner_texts()
        assert len(texts) == 2 and not any("188" in t for t in texts), texts
        results.filter(has_text="滨海路18号").click()
        page.wait_for_function(f"() => document.getElementById('geo-map').dataset.buildingsOf === '{grid_a}'")
        page.wait_for_selector(".geo-building-popup")
        page.wait_for_function(settled)
        assert page.locator("#geo-card h2").inner_text() == "甲村第一网格"
        assert page.locator("path.geo-building").count() == 2
        popup = page.locator(".geo-building-popup")
        assert "阳光小区3号楼" in popup.inner_text() and "滨海路18号" in popup.inner_text()
        # The marker sits inside the map's visible box: the map flew there.
        marker = page.locator(f"path.geo-building-{mine.pk}").bounding_box()
        frame = page.locator("#geo-map").bounding_box()
        assert frame["x"] <= marker["x"] <= frame["x"] + frame["width"]
        assert frame["y"] <= marker["y"] <= frame["y"] + frame["height"]
        popup.get_by_role("link", name="查看楼栋平面图").click()
        page.wait_for_url(f"{base}/governance/buildings/{mine.pk}/")
        assert "阳光小区3号楼" in page.locator("h1").inner_text()
    assert not errors, errors
    assert not outside, outside[:3]


def at(latitude: float, longitude: float) -> dict:
    return {"latitude": Decimal(str(latitude)), "longitude": Decimal(str(longitude))}
