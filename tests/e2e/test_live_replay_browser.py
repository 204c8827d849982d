"""An event page left open after the event: when the video side publishes the replay, the page
offers it without a reload (the state item reaches the socket, here through the hub's database poll:
the test process and Daphne do not share the in-memory layer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streaming.models import LiveEvent
from streaming.services.events import event_mark_replay_ready
from streaming.tests.factories import LiveWorld, make_world
from tests.support import in_thread, launched_chromium, live_db

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]


@pytest.fixture
def ended(transactional_db) -> LiveWorld:
    return make_world(audience=LiveEvent.Audience.PUBLIC, state=LiveEvent.State.ENDED)


@pytest.fixture
def browser(ended) -> Iterator:
    with launched_chromium() as launched:
        yield launched


def test_an_open_event_page_offers_the_replay_once_it_is_published(browser, daphne, ended):
    event = ended.event
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{daphne.url}{event.get_absolute_url()}")
    page.wait_for_selector('[data-socket="online"]')
    assert page.locator("[data-replay-link]").is_hidden()

    assert in_thread(lambda: event_mark_replay_ready(event_id=event.pk, replay_url="/courses/live-replays/lesson-1/"))
    page.wait_for_selector("[data-replay-link]:not([hidden])")
    assert page.get_attribute("[data-replay-link]", "href") == "/courses/live-replays/lesson-1/"
    assert page.locator(".live-badge").first.get_attribute("class").endswith("state-replay_ready")
    assert not in_thread(lambda: event_mark_replay_ready(event_id=event.pk, replay_url="/x/"))  # only once
