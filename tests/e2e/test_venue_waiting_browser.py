"""A venue's big screen before the start, in a real browser: a countdown that ticks and the agenda;
when the host starts the broadcast the waiting panel goes by itself (the state is pushed)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import LiveEvent
from streaming.tests.factories import LiveWorld, make_world
from tests.e2e.test_live_venue_browser import page_for
from tests.e2e.test_phone_and_accessibility import AXE
from tests.e2e.test_portal_browser import TIMEOUT_MS
from tests.support import launched_chromium, live_db, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

COUNTDOWN = re.compile(r"^00:5\d:\d\d$")  # the event starts in an hour


@pytest.fixture
def world(transactional_db) -> LiveWorld:
    w = make_world(state=LiveEvent.State.SCHEDULED)
    LiveEvent.objects.filter(pk=w.event.pk).update(agenda="09:00 开场\n09:10 专题辅导\n10:30 互动答疑")
    return w


@pytest.fixture
def browser(world) -> Iterator:
    with launched_chromium() as launched:
        yield launched


def test_the_waiting_screen_counts_down_and_gives_way_when_the_host_starts(browser, daphne, world):
    w = world
    venue = page_for(browser, daphne, w.operator_a, f"/live/{w.event.pk}/venue/{w.venue_a.pk}/")
    venue.get_by_role("button", name="启动会场大屏").click()
    countdown = venue.locator("[data-countdown]")
    first = countdown.inner_text()
    assert COUNTDOWN.match(first), first
    venue.wait_for_function("t => document.querySelector('[data-countdown]').textContent !== t", arg=first)
    assert COUNTDOWN.match(countdown.inner_text())
    waiting = venue.locator("[data-waiting]")
    assert waiting.is_visible() and "距开始还有" in waiting.inner_text()
    assert venue.locator(".bs-agenda li").all_inner_texts() == ["09:00 开场", "09:10 专题辅导", "10:30 互动答疑"]
    assert not venue.locator("[data-ended]").is_visible()

    host = page_for(browser, daphne, w.organiser, f"/live/{w.event.pk}/host/", viewport=(1366, 900))
    host.get_by_role("button", name="开始直播").click()
    venue.wait_for_function("() => document.querySelector('.venue-root').dataset.state === 'live'")
    assert not waiting.is_visible()
    # On the host console, live: the main venue (no screen on, no check-in) is marked 未到; venue A is not.
    host.wait_for_function(
        "id => document.querySelector(`tr[data-venue-row='${id}']`).dataset.online === '1'", arg=w.venue_a.pk
    )
    main_row = host.locator(f'tr[data-venue-row="{w.main_venue.pk}"]')
    assert main_row.locator(".absent-tag").is_visible() and main_row.locator(".absent-tag").inner_text() == "未到"
    assert not host.locator(f'tr[data-venue-row="{w.venue_a.pk}"] .absent-tag').is_visible()


def test_the_waiting_screen_and_the_report_pass_axe(browser, daphne, world):
    w = world
    # bypass_csp: axe is injected by the test, never served by the site.
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    failures = {}
    for user, path in (
        (w.operator_a, f"/live/{w.event.pk}/venue/{w.venue_a.pk}/"),
        # Venue A's screen was just on; the main venue never came: it alone is marked.
        (w.organiser, f"/live/{w.event.pk}/report/"),
    ):
        sign_in(page, daphne, user.username, DEFAULT_PASSWORD)
        page.goto(f"{daphne.url}{path}")
        if "/venue/" in path:
            page.get_by_role("button", name="启动会场大屏").click()
        else:
            assert page.locator("tr.is-absent").all_inner_texts()[0].startswith(w.main_venue.name)
            assert page.locator("tr.is-absent").count() == 1
        page.add_script_tag(content=AXE.read_text())
        result = page.evaluate(
            """async () => (await axe.run(document, {runOnly: {type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
        )
        if result:
            failures[path] = result
        context.clear_cookies()
    context.close()
    assert not failures, failures
