"""A delivery rider registers as a mobile party member from his phone; the caring branch's secretary
sees the notification, confirms him on a PC, and the rider finds his record.

Rows are made before the browser starts and checked after it has closed: Playwright's sync API runs
an event loop in this thread, and Django refuses ORM calls while one runs.
"""

from __future__ import annotations

import pytest

from core.models import Area, PartyOrg, Role
from core.services.orgs import membership_grant
from core.tests.factories import UserFactory, make_party_org, make_tree
from party.models import MemberRecord, MobileRegistration, OrgProfile, PartyRole, UnitKind
from party.services.roles import party_role_grant
from tests.support import launched_chromium, live_db, sign_in, unique_name

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 15_000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@pytest.fixture
def riders(transactional_db):
    tree = make_tree()
    city_org = make_party_org(PartyOrg.Kind.COMMITTEE, area=tree["city"], name="测试市委")
    branch = make_party_org(PartyOrg.Kind.BRANCH, city_org, tree["city"], name="新就业群体（快递外卖）党支部")
    OrgProfile.objects.create(org=branch, unit_kind=UnitKind.NEW_EMPLOYMENT)
    secretary = UserFactory(username=unique_name("secretary"), name="马春生")
    party_role_grant(user=secretary, kind=PartyRole.Kind.SECRETARY, party_org=branch)
    rider = UserFactory(username=unique_name("rider"), name="韩小龙")
    membership_grant(user=rider, role=Role.RESIDENT, area=Area.objects.get(pk=tree["grid_b"].pk))
    return {"branch": branch, "secretary": secretary, "rider": rider}


def no_sideways_scroll(page) -> tuple[int, int]:
    return page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")


def test_rider_registers_on_a_phone_and_the_branch_confirms(riders, daphne):
    base = daphne.url
    with launched_chromium() as browser:
        phone = browser.new_context(**PHONE)
        phone.set_default_timeout(TIMEOUT_MS)
        page = phone.new_page()
        sign_in(page, base, riders["rider"].username, next_url="/party/register/")
        assert page.locator("h1").inner_text() == "流动党员登记"
        scroll, width = no_sideways_scroll(page)
        assert scroll <= width, f"the form scrolls sideways on a phone: {scroll} > {width}"
        # The form fills the phone's width: no field sticks out of the screen.
        boxes = page.locator("#register-form input, #register-form select").evaluate_all(
            "els => els.filter(e => e.type !== 'hidden')"
            ".map(e => [e.getBoundingClientRect().left, e.getBoundingClientRect().right])"
        )
        assert boxes and all(left >= 0 and right <= 390 for left, right in boxes), boxes
        assert page.locator("#id_name").input_value() == "韩小龙"  # from the account
        page.locator("#id_gender").select_option("m")
        page.locator("#id_birth_year").fill("1997")
        page.locator("#id_phone").fill("13712345678")
        page.locator("#id_status").select_option("full")
        page.locator("#id_joined_on").fill("2019-06-20")
        page.locator("#id_occupation").select_option("delivery_rider")
        page.locator("#id_platform").fill("美团外卖")
        page.locator("#id_registered_with").fill("山东省临沂市沂南县某村党支部")
        page.locator("#id_lives_in").fill("新兴街道锦江小区")
        page.locator("#id_works_at").fill("新兴站点")
        page.locator("#id_caring_org").select_option(label="新就业群体（快递外卖）党支部")
        page.get_by_role("button", name="提交登记").click()
        page.wait_for_selector("#registration-state", timeout=TIMEOUT_MS)
        assert "新就业群体（快递外卖）党支部" in page.locator("#registration-state").inner_text()

        pc = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        pc.set_default_timeout(TIMEOUT_MS)
        desk = pc.new_page()
        sign_in(desk, base, riders["secretary"].username, next_url="/party/registrations/")
        assert desk.locator("#unread-badge").inner_text().strip() == "1"  # the notification reached him
        desk.get_by_role("link", name="韩小龙").click()
        assert "137****5678" in desk.content() and "13712345678" not in desk.content()
        desk.get_by_role("button", name="确认").click()
        desk.wait_for_url(f"{base}/party/members/*/", timeout=TIMEOUT_MS)
        assert desk.locator("h1").inner_text() == "韩小龙"

        page.goto(f"{base}/party/me/")
        record = page.locator("main").inner_text()
        assert "我的党员档案" in record and "新就业群体（快递外卖）党支部" in record and "137****5678" in record
        scroll, width = no_sideways_scroll(page)
        assert scroll <= width
        phone.close()
        pc.close()

    registration = MobileRegistration.objects.get(user=riders["rider"])
    record = MemberRecord.objects.get(user=riders["rider"])
    assert registration.state == MobileRegistration.State.CONFIRMED and registration.decided_by == riders["secretary"]
    assert record.is_mobile and record.mobile.caring_org == riders["branch"] and record.occupation == "delivery_rider"
