"""拍一拍 end to end in Chromium against a real Daphne: a red rider on a 390 px phone with a fake GPS
fix reports a problem with a photo; the department signs and resolves it in a second browser context;
the rider's open report page follows over the WebSocket without reloading; the rider rates it; the
department's review figures change.

Rows are made before the browser starts and checked after it has closed: Playwright's sync API runs
an event loop in this thread, and Django refuses ORM calls while one runs.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from core.models import Role
from core.services.orgs import membership_grant
from core.tests.factories import UserFactory, make_department, make_tree
from governance.reports.models import Rating, Report, ReporterKind, ReportEvent
from governance.reports.tests.factories import GRID_CENTRES, jpeg_bytes, make_category, make_rule
from governance.reports.views import PLACES_LISTED
from governance.tests.factories import household_of, make_building
from governance.tests.geo_factories import give_tree_boundaries
from tests.support import launched_chromium, live_db, sign_in, unique_name

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 30_000
LAT, LNG = GRID_CENTRES["grid_a"]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "geolocation": {"latitude": LAT, "longitude": LNG, "accuracy": 12},
    "permissions": ["geolocation"],
}


@pytest.fixture
def city(transactional_db, tmp_path):
    tree = make_tree()
    give_tree_boundaries(tree)
    department = make_department(tree["city"], unique_name("城管局"))
    category = make_category("占道经营")
    make_rule(category, department, deadline_hours=48, sign_hours=2)
    rider = UserFactory(username=unique_name("rider"), name="李骑手")
    staff = UserFactory(username=unique_name("cgj"), name="王科长")
    membership_grant(user=staff, role=Role.DEPARTMENT_STAFF, department=department)
    photo = tmp_path / "IMG_0815.jpg"
    photo.write_bytes(jpeg_bytes(size=(2400, 1800), gps=True))
    return {
        "tree": tree,
        "department": department,
        "category": category,
        "rider": rider,
        "staff": staff,
        "photo": photo,
    }


def figures(page, department_id: int) -> dict[str, str]:
    row = page.locator(f"#review-departments tr[data-department='{department_id}']")
    return {
        name: row.locator(f".fig-{name}").inner_text().split(" ")[0]
        for name in ("received", "resolved", "resolution", "satisfaction")
    }


def test_a_rider_reports_the_department_resolves_the_rider_follows_live_and_rates(city, daphne):
    base = daphne.url
    department = city["department"]
    errors: list[str] = []
    with launched_chromium() as browser:
        rider_context = browser.new_context(**PHONE)
        rider_context.set_default_timeout(TIMEOUT_MS)
        rider = rider_context.new_page()
        rider.on("pageerror", lambda e: errors.append(f"rider: {e}"))

        office_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        office_context.set_default_timeout(TIMEOUT_MS)
        office = office_context.new_page()
        office.on("pageerror", lambda e: errors.append(f"department: {e}"))

        # The department's figures before: nothing received this year.
        sign_in(office, base, city["staff"].username, next_url="/governance/reports/review/")
        before = figures(office, department.pk)
        assert before["received"] == "0" and before["resolved"] == "0", before

        # The rider reports on the phone: type, words, a photo, the phone's location, as a rider.
        sign_in(rider, base, city["rider"].username, next_url="/governance/reports/new/")
        width, client = rider.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width <= client, f"the report form scrolls sideways on a phone: {width} > {client}"
        rider.get_by_label("问题类型").select_option(label="占道经营")
        rider.get_by_label("问题描述").fill("幸福路口人行道被摊贩占满，行人只能走机动车道。")
        rider.get_by_label("照片（最多 9 张）").set_input_files(str(city["photo"]))
        rider.get_by_role("button", name="使用我的位置").tap()
        rider.wait_for_function("() => document.getElementById('id_latitude').value !== ''")
        assert "已定位（精度约 12 米）" in rider.locator("#locate-status").inner_text()
        assert float(rider.locator("#id_latitude").input_value()) == pytest.approx(LAT, abs=1e-6)
        assert float(rider.locator("#id_longitude").input_value()) == pytest.approx(LNG, abs=1e-6)
        rider.get_by_label("上报身份").select_option(label="红色骑手")
        rider.get_by_role("button", name="提交上报").tap()
        rider.wait_for_url(re.compile(r".*/governance/reports/\d+/$"))
        report_url = rider.url
        report_id = int(report_url.rstrip("/").rsplit("/", 1)[1])
        assert "已受理" in rider.locator(".messages").inner_text()
        assert department.name in rider.locator("#report-card").inner_text()
        assert rider.locator("#report-card .rp-photos img").count() == 1
        # The open page is connected; a marker on `window` proves it is never reloaded from here on.
        rider.wait_for_function("() => document.body.dataset.reportLive === 'online'")
        rider.evaluate("() => { window.__sameDocument = true; }")

        # The department, in a second browser: its queue lists the report; it signs and resolves it.
        office.goto(f"{base}/governance/reports/department/")
        office.locator(".rp-row a", has_text="占道经营").first.click()
        office.wait_for_url(report_url)
        office.get_by_role("button", name="签收").click()
        office.wait_for_selector("#report-status:has-text('处理中')")
        rider.wait_for_selector("#report-status:has-text('处理中')")
        office.get_by_label("办理结果").fill("已联系市场监管所，摊贩已引导至便民市场，人行道已清理。")
        office.get_by_role("button", name="提交办结").click()
        office.wait_for_selector("#report-status:has-text('已办结，待评价')")

        # The rider's page shows the result and the rating form without a reload.
        rider.wait_for_selector("#report-status:has-text('已办结，待评价')")
        assert rider.evaluate("() => window.__sameDocument === true"), "the rider's page was reloaded"
        assert "摊贩已引导至便民市场" in rider.locator("#report-card").inner_text()
        assert "签收" in rider.locator("#timeline").inner_text()

        # The rider rates it: satisfied closes it.
        rider.locator("#rate").get_by_label("满意", exact=True).check()
        rider.locator("#rate").get_by_label("评价意见").fill("处理很快，谢谢！")
        rider.get_by_role("button", name="提交评价").tap()
        rider.wait_for_selector("#report-status:has-text('已结案')")
        assert rider.locator("#rate").count() == 0

        # The department's figures now count it: received, resolved, 100% resolved and satisfied.
        office.goto(f"{base}/governance/reports/review/")
        after = figures(office, department.pk)
        assert after["received"] == "1" and after["resolved"] == "1", after
        assert float(after["resolution"]) == 100 and float(after["satisfaction"]) == 100, after
        rider_context.close()
        office_context.close()
    assert not errors, errors

    report = Report.objects.get(pk=report_id)
    assert (report.status, report.rating, report.reporter_kind) == (
        Report.Status.CLOSED,
        Rating.SATISFIED,
        ReporterKind.RIDER,
    )
    assert report.grid == city["tree"]["grid_a"] and report.accuracy_m == 12
    assert list(report.events.values_list("action", flat=True)) == [
        ReportEvent.Action.SUBMIT,
        ReportEvent.Action.DISPATCH,
        ReportEvent.Action.SIGN,
        ReportEvent.Action.RESOLVE,
        ReportEvent.Action.RATE,
    ]


@pytest.fixture
def grid_work(transactional_db):
    tree = make_tree()
    give_tree_boundaries(tree)
    department = make_department(tree["city"], unique_name("住建局"))
    make_rule(make_category("楼道堆物"), department)
    worker = UserFactory(username=unique_name("gridworker"), name="孙海燕")
    membership_grant(user=worker, role=Role.GRID_WORKER, area=tree["grid_a"])
    building = make_building(
        tree["grid_a"],
        name="幸福小区3号楼",
        address="幸福路3号",
        number="3",
        latitude=Decimal("39.850200"),
        longitude=Decimal("124.025200"),
    )
    make_building(tree["grid_b"], name="和平小区8号楼", address="和平街8号", number="8")
    return {"tree": tree, "worker": worker, "building": building, "home": household_of(building, "2-301")}


def test_a_grid_worker_places_a_report_by_picking_a_building_and_home(grid_work, daphne):
    base = daphne.url
    building = grid_work["building"]
    errors: list[str] = []
    with launched_chromium() as browser:
        context = browser.new_context(**{k: v for k, v in PHONE.items() if k not in ("geolocation", "permissions")})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, base, grid_work["worker"].username, next_url="/governance/reports/new/")
        page.get_by_label("问题类型").select_option(label="楼道堆物")
        page.get_by_label("问题描述").fill("3号楼2单元楼道堆满纸箱，堵住了消防通道。")
        buildings = page.get_by_label("楼栋", exact=True)
        assert "和平小区8号楼" not in buildings.inner_text()  # another grid's building is not offered
        buildings.select_option(label=f"{grid_work['tree']['grid_a'].name} · 幸福小区3号楼 · 幸福路3号")
        homes = page.get_by_label("房屋（可选）")
        page.wait_for_function("() => !document.getElementById('id_household').disabled")
        homes.select_option(label="3-2-301")
        # The pin (and the point sent) moves to the building.
        assert page.locator("#id_latitude").input_value() == "39.850200"
        assert page.locator("#id_longitude").input_value() == "124.025200"
        page.get_by_role("button", name="提交上报").tap()
        page.wait_for_url(re.compile(r".*/governance/reports/\d+/$"))
        assert "幸福路3号 3-2-301" in page.locator("#report-card").inner_text()
        context.close()
    assert not errors, errors

    report = Report.objects.get(building=building)
    assert report.household == grid_work["home"] and report.grid == grid_work["tree"]["grid_a"]
    assert report.address == "幸福路3号 3-2-301" and report.department is not None


@pytest.fixture
def many_buildings(transactional_db):
    """A town with more buildings than the picker lists outright (200): the form offers a search."""
    tree = make_tree()
    give_tree_boundaries(tree)
    department = make_department(tree["city"], unique_name("住建局"))
    make_rule(make_category("楼道堆物"), department)
    staff = UserFactory(username=unique_name("townstaff"), name="周镇长")
    membership_grant(user=staff, role=Role.TOWN_STAFF, area=tree["town_a"])
    small = {"unit_count": 1, "floor_count": 2, "households_per_floor": 1}
    # The list runs by grid, then address: 甲村第一网格 alone fills the 200, so 第二网格's come after.
    for n in range(PLACES_LISTED + 5):
        make_building(tree["grid_a"], name=f"滨江小区{n}号楼", address=f"滨江路{n}号", number=f"{n + 100}", **small)
    wanted = make_building(
        tree["grid_a2"],
        name="幸福小区7号楼",
        address="幸福路77号",
        number="77",
        latitude=Decimal("39.850300"),
        longitude=Decimal("124.075300"),
        **small,
    )
    # Another town's building that matches the search too: never offered to this town's staff.
    make_building(tree["grid_b"], name="幸福小区9号楼", address="幸福路79号", number="79", **small)
    return {"tree": tree, "staff": staff, "wanted": wanted, "home": household_of(wanted, "1-201")}


def test_over_two_hundred_buildings_the_picker_searches_by_name_or_address(many_buildings, daphne):
    base = daphne.url
    wanted = many_buildings["wanted"]
    grid_name = many_buildings["tree"]["grid_a2"].name
    errors: list[str] = []
    with launched_chromium() as browser:
        context = browser.new_context(**{k: v for k, v in PHONE.items() if k not in ("geolocation", "permissions")})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, base, many_buildings["staff"].username, next_url="/governance/reports/new/")
        page.get_by_label("问题类型").select_option(label="楼道堆物")
        page.get_by_label("问题描述").fill("7号楼1单元楼道堆满杂物，堵住了消防通道。")
        buildings = page.get_by_label("楼栋", exact=True)
        # Too many to list them all: the first 200 are listed, the rest are found by searching.
        assert buildings.locator("option").count() == 1 + PLACES_LISTED
        assert "幸福小区7号楼" not in buildings.inner_text()
        page.get_by_label("按名称或地址查找楼栋").fill("幸福")
        page.wait_for_function("() => document.getElementById('id_building').textContent.includes('幸福小区7号楼')")
        offered = buildings.locator("option").all_inner_texts()
        assert offered == ["—", f"{grid_name} · 幸福小区7号楼 · 幸福路77号"], offered  # not the other town's
        buildings.select_option(label=f"{grid_name} · 幸福小区7号楼 · 幸福路77号")
        page.wait_for_function("() => !document.getElementById('id_household').disabled")
        page.get_by_label("房屋（可选）").select_option(label="77-1-201")
        assert page.locator("#id_latitude").input_value() == "39.850300"
        # A search that finds nothing leaves the choice made.
        page.get_by_label("按名称或地址查找楼栋").fill("没有这个地址")
        page.wait_for_timeout(800)
        assert buildings.input_value() == str(wanted.pk)
        page.get_by_role("button", name="提交上报").tap()
        page.wait_for_url(re.compile(r".*/governance/reports/\d+/$"))
        assert "幸福路77号 77-1-201" in page.locator("#report-card").inner_text()
        context.close()
    assert not errors, errors

    report = Report.objects.get(building=wanted)
    assert report.household == many_buildings["home"] and report.grid == many_buildings["tree"]["grid_a2"]
