"""Dashboards in a real browser on one Daphne: ECharts draws, a click on a bar drills down, and the
command screen follows a check-in made in another browser — also one made while its socket was down.

As in the other browser suites, every row is made before the browser starts, and the test checks
what the pages show while Playwright's loop runs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import Area, Role
from core.tests.factories import DEFAULT_PASSWORD, make_party_org, make_user_with_role
from dashboards import registry
from dashboards.services.rollups import rollup_rebuild
from governance.reports.tests.factories import GRID_CENTRES
from governance.tests.factories import household_of, make_building, make_resident
from streaming.models import LiveEvent, VenueAttendance
from streaming.tests.factories import LiveWorld, make_event, make_venue, make_world
from tests.e2e.test_portal_browser import TIMEOUT_MS
from tests.support import launched_chromium, live_db, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

# Non-blank pixels of a chart's canvas: ECharts has drawn something.
PAINTED = """el => {
  const canvas = el.querySelector('canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
  return n;
}"""


@pytest.fixture
def world(transactional_db) -> LiveWorld:
    w = make_world(state=LiveEvent.State.LIVE)
    for key, (lat, lng) in GRID_CENTRES.items():  # grids with centre points, for the screen's map
        Area.objects.filter(pk=w.tree[key].pk).update(latitude=Decimal(str(lat)), longitude=Decimal(str(lng)))
    now = timezone.now()
    LiveEvent.objects.filter(pk=w.event.pk).update(
        scheduled_start=now - datetime.timedelta(minutes=10), scheduled_end=now + datetime.timedelta(hours=2)
    )
    # A second branch under 甲镇党委 with a past event, so the committee's chart has two bars.
    committee = w.branch_a.parent
    w.branch_a2 = make_party_org(parent=committee, area=w.tree["village_a"], name="甲村第二党支部")
    venue_a2 = make_venue(party_org=w.branch_a2, name="甲村第二党支部分会场")
    past = make_event(
        organiser=w.organiser,
        venues=[venue_a2],
        state=LiveEvent.State.ENDED,
        main_venue=w.main_venue,
        start_in=-datetime.timedelta(days=2),
    )
    VenueAttendance.objects.create(event=past, venue=venue_a2, checked_in_at=past.scheduled_start, headcount=18)
    w.ops = make_user_with_role(Role.OPS_ADMIN)
    w.town_b = make_user_with_role(Role.TOWN_STAFF, area=w.tree["town_b"])
    # Homes in two towns and an elder living alone (due for a visit today), for the grid figures.
    for key in ("grid_a", "grid_b"):
        make_building(w.tree[key])
    make_resident(household_of(make_building(w.tree["grid_a"]), "1-101"), tags=["elderly_alone"])
    for dashboard in registry.all_dashboards():
        rollup_rebuild(dashboard=dashboard)
    return w


@pytest.fixture
def browser(world) -> Iterator:
    with launched_chromium() as launched:
        yield launched


def open_page(browser, server, user, path: str, viewport=(1920, 1080)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, server, user.username, DEFAULT_PASSWORD)
    page.goto(f"{server.url}{path}")
    return context, page


def test_charts_draw_and_a_click_on_a_bar_drills_down(browser, daphne, world):
    committee = world.branch_a.parent
    _context, page = open_page(browser, daphne, world.ops, f"/dashboards/live/?node={committee.pk}", (1366, 900))
    page.wait_for_function("() => window.dashboardCharts && Object.keys(window.dashboardCharts).length === 4")
    for key in ("trend", "checkins_by_org", "participants_by_org", "participants_split"):
        assert page.eval_on_selector(f'[data-chart="{key}"]', PAINTED) > 500, key
    # The table beside the chart has the same figures.
    assert page.locator("#table-participants_by_org tbody th").all_inner_texts() == ["甲村第二党支部"]
    # Click the first bar, where ECharts laid it out (the locator scrolls it into view first).
    layout = page.evaluate(
        """() => {
      const chart = window.dashboardCharts.participants_by_org;
      const l = chart.getModel().getSeriesByIndex(0).getData().getItemLayout(0);
      return {x: l.x + l.width / 2, y: l.y + l.height / 2};
    }"""
    )
    page.locator('[data-chart="participants_by_org"] canvas').first.click(position=layout)
    page.wait_for_url(f"**/dashboards/live/?node={world.branch_a2.pk}*")
    assert page.locator("h1").inner_text().endswith("甲村第二党支部")
    # Someone else's organisation: 404, whatever the link says.
    _c, other = open_page(browser, daphne, world.town_b, "/dashboards/")
    assert other.goto(f"{daphne.url}/dashboards/live/?node={committee.pk}").status == 404


def test_the_command_screen_follows_a_check_in_in_another_browser(browser, daphne, world):
    _screen_context, screen = open_page(browser, daphne, world.ops, "/dashboards/screen/")
    screen.wait_for_selector('#screen-status[data-state="live"]')
    assert screen.eval_on_selector("#screen-map", PAINTED) > 50  # three grid points
    assert screen.eval_on_selector("#screen-trends", PAINTED) > 500
    before = int(screen.locator('[data-figure="checkins_today"] b').inner_text())

    venue_context, venue = open_page(
        browser, daphne, world.operator_a, f"/live/{world.event.pk}/venue/{world.venue_a.pk}/"
    )
    venue.wait_for_selector('[data-socket="online"]')
    venue.get_by_role("button", name="启动会场大屏").click()
    venue.locator("[data-checkin-open]").click()
    dialog = venue.locator("dialog[data-checkin-dialog]")
    dialog.get_by_label("会场实到人数").fill("35")
    dialog.get_by_role("button", name="签到", exact=True).click()

    screen.wait_for_selector("#screen-feed li[data-item]")
    assert "会场签到" in screen.locator("#screen-feed li").first.inner_text()
    screen.wait_for_function(
        "n => Number(document.querySelector('[data-figure=\"checkins_today\"] b').textContent) === n", arg=before + 1
    )
    assert screen.evaluate("() => performance.getEntriesByType('navigation').length") == 1  # never reloaded

    # The screen's network drops; a second check-in happens meanwhile; it catches up on reconnect.
    _screen_context.set_offline(True)
    screen.evaluate("() => window.commandScreen.state.socket.close()")
    screen.wait_for_selector('#screen-status[data-state="reconnecting"]')
    dialog = venue.locator("dialog[data-checkin-dialog]")
    venue.locator("[data-checkin-open]").click()
    dialog.get_by_label("会场实到人数").fill("40")
    dialog.get_by_role("button", name="签到", exact=True).click()
    venue.wait_for_function("() => document.querySelector('[data-checkin-state]').textContent.includes('40')")
    _screen_context.set_offline(False)
    screen.wait_for_selector('#screen-status[data-state="live"]')
    screen.wait_for_function("() => document.querySelectorAll('#screen-feed li[data-item]').length === 2")
    screen.wait_for_function(
        "() => Number(document.querySelector('[data-figure=\"participants_today\"] b').textContent) >= 40"
    )
    venue_context.close()


def test_the_grid_figures_draw_and_drill_down_from_the_city_to_a_town(browser, daphne, world):
    _context, page = open_page(browser, daphne, world.ops, "/dashboards/governance/", (1366, 900))
    count = len(registry.get("governance").charts)
    page.wait_for_function(f"() => window.dashboardCharts && Object.keys(window.dashboardCharts).length === {count}")
    for key in ("visits_by_area", "households", "households_by_area", "care_tags", "care_by_area"):
        assert page.eval_on_selector(f'[data-chart="{key}"]', PAINTED) > 500, key
    # Areas in the tree's order, the table beside the chart with the same figures (vacant, owner-occupied, rented).
    assert page.locator("#table-households_by_area tbody th").all_inner_texts() == ["甲镇", "乙街道"]
    assert page.locator("#table-households_by_area tbody tr").first.locator("td").all_inner_texts() == ["24", "0", "0"]
    layout = page.evaluate(
        """() => {
      const chart = window.dashboardCharts.households_by_area;
      const l = chart.getModel().getSeriesByIndex(0).getData().getItemLayout(0);
      return {x: l.x + l.width / 2, y: l.y + l.height / 2};
    }"""
    )
    page.locator('[data-chart="households_by_area"] canvas').first.click(position=layout)
    page.wait_for_url(f"**/dashboards/governance/?node={world.tree['town_a'].pk}*")
    assert page.locator("h1").inner_text().endswith("甲镇")
    assert page.locator("#table-care_by_area tbody th").all_inner_texts() == ["甲村"]
    # A town's staff: their own town only.
    _c, other = open_page(browser, daphne, world.town_b, "/dashboards/governance/")
    assert other.locator("h1").inner_text().endswith("乙街道")
    assert other.goto(f"{daphne.url}/dashboards/governance/?node={world.tree['town_a'].pk}").status == 404


@pytest.fixture
def two_towns(transactional_db):
    """The reports' small city (two towns with grid boundaries), a category dispatched by rule, a
    rider who reports, 甲镇's staff and the centre."""
    from core.tests.factories import UserFactory, make_department, make_tree
    from governance.reports.tests.factories import make_category, make_rule
    from governance.tests.geo_factories import give_tree_boundaries
    from tests.support import unique_name

    tree = give_tree_boundaries(make_tree())
    category = make_category("占道经营")
    make_rule(category, make_department(tree["city"], unique_name("城管局")), deadline_hours=48, sign_hours=2)
    return {
        "tree": tree,
        "rider": UserFactory(username=unique_name("rider"), name="李骑手"),
        "town_a": make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"]),
        "ops": make_user_with_role(Role.OPS_ADMIN),
    }


def file_report(browser, server, rider, grid: str) -> None:
    """The rider reports 占道经营 from their phone's location in `grid`, in a browser of their own."""
    lat, lng = GRID_CENTRES[grid]
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        geolocation={"latitude": lat, "longitude": lng, "accuracy": 10},
        permissions=["geolocation"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, server, rider.username, DEFAULT_PASSWORD)
    page.goto(f"{server.url}/governance/reports/new/")
    page.get_by_label("问题类型").select_option(label="占道经营")
    page.get_by_label("问题描述").fill("路口人行道被摊贩占满，行人只能走机动车道。")
    page.get_by_role("button", name="使用我的位置").click()
    page.wait_for_function("() => document.getElementById('id_latitude').value !== ''")
    page.get_by_role("button", name="提交上报").click()
    page.wait_for_url("**/governance/reports/*/")
    context.close()


def feed_length_is(page, n: int) -> None:
    page.wait_for_function(f"() => document.querySelectorAll('#screen-feed li[data-item]').length === {n}")


def test_a_town_screen_follows_the_reports_filed_in_its_town_only(daphne, two_towns):
    tree = two_towns["tree"]
    with launched_chromium() as browser:
        _town_context, town = open_page(browser, daphne, two_towns["town_a"], "/dashboards/screen/")
        town.wait_for_selector('#screen-status[data-state="live"]')
        assert "甲镇" in town.locator("h1").inner_text()
        assert town.locator("#screen-departments").count() == 0  # the ranking is the centre's
        assert town.locator('[data-figure="reports_today"] b').inner_text() == "0"
        _centre_context, centre = open_page(browser, daphne, two_towns["ops"], "/dashboards/screen/")
        centre.wait_for_selector('#screen-status[data-state="live"]')

        # A report in 乙街道: the centre's screen shows it.
        file_report(browser, daphne, two_towns["rider"], "grid_b")
        feed_length_is(centre, 1)

        # A report in 甲镇: 甲镇's screen shows it — and only it, 乙街道's never reached it.
        file_report(browser, daphne, two_towns["rider"], "grid_a")
        town.wait_for_function("() => document.querySelector('[data-figure=\"reports_today\"] b').textContent === '1'")
        feed_length_is(town, 1)
        assert "占道经营" in town.locator("#screen-feed li[data-item]").first.inner_text()
        assert town.evaluate("() => window.commandScreen.state.lastId") > 0
        feed_length_is(centre, 2)
        centre.wait_for_function(
            "() => document.querySelector('[data-figure=\"reports_today\"] b').textContent === '2'"
        )
        # Still 甲镇's one report after the centre has seen both; never reloaded.
        assert town.locator("#screen-feed li[data-item]").count() == 1
        assert town.locator('[data-figure="reports_today"] b').inner_text() == "1"
        assert town.evaluate("() => performance.getEntriesByType('navigation').length") == 1
        # Another town's screen: 404 for 甲镇's staff.
        assert town.goto(f"{daphne.url}/dashboards/screen/?area={tree['town_b'].pk}").status == 404
