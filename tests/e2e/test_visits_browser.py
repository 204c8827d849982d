"""A grid worker records a visit on a 390 px phone in Chromium against a real Daphne: 我的走访 lists the
elder who is due, a few taps record the visit with a photo, the outcome 需要帮扶 offers a problem report,
and the elder leaves the list until the next week. The form and the offer pass axe-core (WCAG 2.1 A/AA).

Rows are made before the browser starts and checked after it has closed: Playwright's sync API runs
an event loop in this thread, and Django refuses ORM calls while one runs.
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from core.models import Role
from core.services.orgs import membership_grant
from core.tests.factories import DEFAULT_PASSWORD, UserFactory, make_tree
from governance.models import Resident, Visit
from governance.reports.tests.factories import jpeg_bytes
from governance.tests.factories import household_of, make_building, make_resident
from tests.support import launched_chromium, live_db, unique_name

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 30_000
# bypass_csp: axe is injected by the test, never served by the site.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "bypass_csp": True,
}
AXE = Path(__file__).resolve().parents[1] / "assets" / "axe-core-4.10.3" / "axe.min.js"


def axe_violations(page) -> list:
    """Serious and critical WCAG 2.1 A/AA violations on the page (as the phone/accessibility suite asks)."""
    page.add_script_tag(content=AXE.read_text())
    return page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
             .filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )


@pytest.fixture
def grid_work(transactional_db, tmp_path):
    tree = make_tree()
    worker = UserFactory(username=unique_name("gridworker"), name="孙海燕")
    membership_grant(user=worker, role=Role.GRID_WORKER, area=tree["grid_a"])
    household = household_of(make_building(tree["grid_a"], address="幸福路3号", number="3"), "1-201")
    elder = make_resident(household, name="王秀兰", birth_year=1946, tags=["elderly_alone"])  # due today
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(jpeg_bytes(size=(2400, 1800), gps=True))
    return {"worker": worker, "elder": elder, "photo": photo}


def test_a_grid_worker_records_a_visit_on_a_phone(grid_work, daphne):
    base = daphne.url
    elder = grid_work["elder"]
    today = timezone.localdate()
    errors: list[str] = []
    with launched_chromium() as browser:
        context = browser.new_context(**PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/accounts/login/?next=/governance/visits/")
        page.get_by_label("用户名或手机号").fill(grid_work["worker"].username)
        page.get_by_label("密码").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/governance/visits/")

        # The elder is due today: listed with the household's address and the care tag.
        item = page.locator("#visit-residents li", has_text="王秀兰")
        assert "幸福路3号 3-1-201" in item.inner_text() and "独居老人" in item.inner_text()
        assert page.locator("#count-due").inner_text() == "1"
        width, client = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width <= client, f"我的走访 scrolls sideways on a phone: {width} > {client}"

        # A few taps: the date is already today; tap 需要帮扶, a short note, a photo, save.
        item.get_by_role("link", name="登记走访").tap()
        page.wait_for_selector("#visit-form")
        assert page.get_by_label("走访日期").input_value() == today.isoformat()
        assert not axe_violations(page)
        page.get_by_text("需要帮扶", exact=True).tap()
        page.get_by_label("备注").fill("老人腿脚不便，需要助餐服务")
        page.get_by_label("照片（可选）").set_input_files(str(grid_work["photo"]))
        page.get_by_role("button", name="保存走访").tap()

        # An outcome that needs action offers the problem report; "not now" goes back to the list.
        page.wait_for_selector("#visit-report-form")
        assert "走访已登记" in page.locator(".messages").inner_text()
        assert page.locator("#id_description").input_value() == "老人腿脚不便，需要助餐服务"
        assert page.locator("#id_address").input_value() == "幸福路3号 3-1-201"
        assert not axe_violations(page)
        page.get_by_role("link", name="暂不上报").tap()
        page.wait_for_url(f"{base}/governance/visits/")
        assert page.locator("#visit-residents li", has_text="王秀兰").count() == 0
        assert page.locator("#count-due").inner_text() == "0"
    assert not errors, errors

    visit = Visit.objects.get(resident=elder)
    assert (visit.visited_on, visit.outcome, visit.note) == (
        today,
        Visit.Outcome.NEEDS_HELP,
        "老人腿脚不便，需要助餐服务",
    )
    with visit.photo.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
    assert image.format == "JPEG" and not image.getexif()  # no GPS, no camera
    elder = Resident.objects.get(pk=elder.pk)
    assert (elder.last_visited_on, elder.next_visit_due) == (today, today + datetime.timedelta(days=7))
