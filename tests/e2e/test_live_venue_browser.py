"""A branch venue's big screen and the host console in two real browsers on one Daphne: the venue
comes online and checks in, and the host sees it; chat, an announcement and the question being
answered reach the other screen. (Playback of real video is covered by the video suites.)

As in test_portal_browser: every row is made before the browser starts, and the test checks what
the pages show, not the database, while Playwright's loop runs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import LiveEvent
from streaming.tests.factories import LiveWorld, make_world
from tests.e2e.test_portal_browser import TIMEOUT_MS
from tests.support import launched_chromium, live_db, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]


@pytest.fixture
def world(transactional_db) -> LiveWorld:
    return make_world(state=LiveEvent.State.LIVE)


@pytest.fixture
def browser(world) -> Iterator:
    with launched_chromium() as launched:
        yield launched


def page_for(browser, server, user, path: str, viewport=(1920, 1080)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, server, user.username, DEFAULT_PASSWORD)
    page.goto(f"{server.url}{path}")
    page.wait_for_selector('[data-socket="online"]')
    return page


def test_venue_checks_in_and_the_host_console_shows_it(browser, daphne, world):
    w = world
    host = page_for(browser, daphne, w.organiser, f"/live/{w.event.pk}/host/", viewport=(1366, 900))
    row = host.locator(f'tr[data-venue-row="{w.venue_a.pk}"]')
    assert row.locator('[data-col="headcount"]').inner_text() == "0"
    assert row.locator('[data-col="online"]').inner_text().strip() == "否"

    venue = page_for(browser, daphne, w.operator_a, f"/live/{w.event.pk}/venue/{w.venue_a.pk}/")
    # The big screen: one click to start (full screen, sound); it then reports to the host by itself.
    venue.get_by_role("button", name="启动会场大屏").click()
    host.wait_for_function(
        "id => document.querySelector(`tr[data-venue-row='${id}']`).dataset.online === '1'", arg=w.venue_a.pk
    )
    assert row.locator('[data-col="online"]').inner_text().strip() == "是"

    # Check in: headcount and a member ticked present; the video keeps playing (no page load).
    venue.locator("[data-checkin-open]").click()
    dialog = venue.locator("dialog[data-checkin-dialog]")
    dialog.get_by_label("会场实到人数").fill("35")
    dialog.get_by_label(w.member_a.name).check()
    dialog.get_by_role("button", name="签到", exact=True).click()
    venue.wait_for_function("() => document.querySelector('[data-checkin-state]').textContent.includes('35')")
    assert venue.locator("[data-checkin-state]").inner_text() == "已签到：35 人"

    host.wait_for_function(
        "id => document.querySelector(`tr[data-venue-row='${id}'] [data-col=headcount]`).textContent === '35'",
        arg=w.venue_a.pk,
    )
    assert row.get_attribute("data-checked-in") == "1"
    assert row.locator('[data-col="checked_in"]').inner_text() != "—"
    # The totals come from the roster, fetched when a venue changes: they follow the row shortly.
    host.wait_for_function("() => document.querySelector('[data-total=headcount]').textContent === '35'")
    assert host.locator('[data-total="participants"]').first.inner_text() == "35"

    # Chat from the venue reaches the console, as text (never as HTML).
    venue.locator("[data-chat-form] input").fill("<b>甲村</b>已就位")
    venue.locator("[data-chat-form] button").click()
    host.wait_for_function("() => document.querySelector('[data-chat] .chat-item .text')")
    message = host.locator("[data-chat] .chat-item").last
    assert message.locator(".text").inner_text() == "<b>甲村</b>已就位"
    assert message.locator(".who").inner_text() == w.venue_a.name
    assert host.locator("[data-chat] b").count() == 0

    # An announcement from the host appears on the big screen.
    host.locator("[data-announce-form] input[name=text]").fill("请各分会场保持安静")
    host.locator("[data-announce-form] button").click()
    venue.wait_for_selector("[data-announcement]:not([hidden])")
    assert venue.locator("[data-announcement-text]").inner_text() == "请各分会场保持安静"

    # A question from the venue; the host takes it, and every screen shows it as being answered.
    venue.locator("[data-question-form] textarea").fill("村集体经济收益怎么分配？")
    venue.locator("[data-question-form] button").click()
    host.get_by_role("button", name="现在解答").click()
    venue.wait_for_selector("[data-answering]:not([hidden])")
    assert venue.locator("[data-answering-text]").inner_text() == "村集体经济收益怎么分配？"
    assert venue.locator("[data-answering-who]").inner_text() == w.venue_a.name
    # Readable from across a room: the big screen's text is large.
    size = venue.eval_on_selector(".answering", "el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 28, size
