"""A member signs in with a real browser, gets the live socket, switches language, uses a phone.

Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM
calls while one runs, so every row is made before the browser starts (the `chromium`
fixture depends on `people`) and the browser is closed before the database is flushed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support import launched_chromium, live_db, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 15_000
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def chromium(people) -> Iterator:
    with launched_chromium() as browser:
        yield browser


def tile_labels(page) -> list[str]:
    return page.locator(".tiles .tile .tile-label").all_inner_texts()


def test_member_signs_in_goes_live_and_switches_to_english(chromium, daphne, people):
    # A member's phone or PC asks for Chinese; the footer button switches to English.
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    sign_in(page, daphne, people.member.username, people.password)

    labels = tile_labels(page)
    assert labels, f"no tiles on the portal{daphne.diagnostics()}"
    assert all(CJK.search(label) for label in labels), labels
    page.wait_for_selector('body[data-notifications="online"]', timeout=TIMEOUT_MS)

    page.locator("footer .lang-switch").get_by_role("button", name="English").click()
    page.wait_for_selector('html[lang="en"]', timeout=TIMEOUT_MS)

    english = tile_labels(page)
    assert len(english) == len(labels)
    assert all(re.search(r"[A-Za-z]", label) and not CJK.search(label) for label in english), english
    # The switch now offers the way back.
    assert page.locator("footer .lang-switch").get_by_role("button", name="简体中文").is_visible()
    context.close()


def test_portal_on_a_phone_shows_tiles_in_a_grid_without_horizontal_scroll(chromium, daphne, people):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    # Town staff have the most tiles (their grids and the notice form come on top).
    sign_in(page, daphne, people.town_staff.username, people.password)

    tiles = page.locator(".tiles .tile")
    assert tiles.count() >= 2, f"the portal shows {tiles.count()} tiles"
    assert page.eval_on_selector(".tiles", "el => getComputedStyle(el).display") == "grid"
    boxes = [tiles.nth(i).bounding_box() for i in range(tiles.count())]
    # Two tiles side by side in the first row, and every tile inside the screen.
    assert boxes[0]["y"] == pytest.approx(boxes[1]["y"], abs=1) and boxes[1]["x"] > boxes[0]["x"], boxes
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5 for box in boxes), boxes
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, f"the page scrolls sideways: {scroll_width} > {client_width}"
    context.close()
