"""The command screen's socket: who may open it, the catch-up after a drop, pushes after commit."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connections

from dashboards.models import ScreenItem
from dashboards.routing import websocket_urlpatterns
from dashboards.services.screen import screen_announce
from dashboards.tests.factories import make_live_event, make_world
from streaming.models import LiveEvent

application = URLRouter(websocket_urlpatterns)


# Transactional (the consumer reads from another thread); the flush must leave Wagtail's root page.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections():
    yield
    # The consumer and the tests' database_sync_to_async query from the database worker thread; on
    # PostgreSQL its open connection would keep the test database from being dropped at the end.
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return make_world()


def _communicator(user, last: int | None = None) -> WebsocketCommunicator:
    path = "/ws/dashboards/screen/" + (f"?last={last}" if last is not None else "")
    communicator = WebsocketCommunicator(application, path)
    communicator.scope["user"] = user
    return communicator


@pytest.mark.parametrize(
    "person,area,code",
    [
        ("anonymous", None, 4401),
        ("member_a1", None, 4403),
        ("grid_a", None, 4403),
        ("department", None, 4403),
        ("town_a", "town_b", 4403),
        ("community_a", "town_a", 4403),
        ("town_a", "grid_a", 4403),
        ("ops", "grid_a", 4403),
    ],
)
async def test_who_may_not_open_which_screen(world, person, area, code):
    path = "/ws/dashboards/screen/" + (f"?area={world.course.tree[area].pk}" if area else "")
    communicator = WebsocketCommunicator(application, path)
    communicator.scope["user"] = world.people[person]
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_output(timeout=5))["code"] == code


def _screen(user, area=None, last: int | None = None) -> WebsocketCommunicator:
    query = "&".join(([f"area={area.pk}"] if area is not None else []) + ([f"last={last}"] if last is not None else []))
    communicator = WebsocketCommunicator(application, "/ws/dashboards/screen/" + (f"?{query}" if query else ""))
    communicator.scope["user"] = user
    return communicator


async def _push_with_item(screen: WebsocketCommunicator) -> dict:
    """The next push that carries an item (a report moving on pushes figures alone meanwhile)."""
    while True:
        message = await screen.receive_json_from(timeout=10)
        if message["type"] == "push" and message["item"]:
            return message


def _figures(message: dict) -> dict:
    return {f["key"]: f["value"] for f in message["snapshot"]["figures"]}


async def test_a_town_screen_gets_its_own_reports_and_never_another_towns(settings, tmp_path):
    """Each scope has its own group: a report filed in 甲镇 reaches 甲镇's screen and the centre's, and
    nothing at all reaches 乙街道's; a late 甲镇 screen catches up on 甲镇's items only."""
    from core.models import Role
    from core.tests.factories import make_user_with_role
    from governance.reports.tests.factories import World

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    def make():
        w = World()
        w.town_a = make_user_with_role(Role.TOWN_STAFF, area=w.tree["town_a"])
        return w

    w = await database_sync_to_async(make)()
    town_a, town_b, centre = _screen(w.town_a), _screen(w.town_b), _screen(w.ops)
    for screen in (town_a, town_b, centre):
        assert (await screen.connect())[0]
    first = await town_a.receive_json_from(timeout=5)
    assert first["snapshot"]["scope"] == {"id": w.tree["town_a"].pk, "name": "甲镇"}
    assert "departments" in first["snapshot"] and first["snapshot"]["departments"] is None
    assert (await town_b.receive_json_from(timeout=5))["snapshot"]["scope"]["id"] == w.tree["town_b"].pk
    assert (await centre.receive_json_from(timeout=5))["snapshot"]["scope"] is None

    in_b = await database_sync_to_async(w.submit)(where="grid_b", category=w.unruled)
    seen_by_centre = await _push_with_item(centre)
    assert seen_by_centre["item"]["record"] == in_b.pk and "paths" not in seen_by_centre["item"]
    pushed_b = await _push_with_item(town_b)
    assert pushed_b["item"]["record"] == in_b.pk and _figures(pushed_b)["reports_today"] == 1
    # 乙街道's report reached the centre's and 乙街道's groups; 甲镇's got nothing at all.
    assert await town_a.receive_nothing(timeout=0.3)

    in_a = await database_sync_to_async(w.submit)(where="grid_a")
    pushed_a = await _push_with_item(town_a)
    assert pushed_a["item"]["kind"] == "report.filed" and pushed_a["item"]["record"] == in_a.pk
    figures = _figures(pushed_a)
    assert figures["reports_today"] == 1 and figures["reports_open"] == 1
    assert [r["id"] for r in pushed_a["snapshot"]["reports"]] == [in_a.pk]
    assert _figures(await _push_with_item(centre))["reports_today"] == 2

    # 乙街道's screen stops saying it is open (its mark expired): no snapshot is computed for it any
    # more; its next ping says so again, and the next report reaches it.
    from django.core.cache import cache

    await database_sync_to_async(cache.delete)(f"dashboards.screen.open.{w.tree['town_b'].pk}")
    await database_sync_to_async(w.submit)(where="grid_b", category=w.unruled)
    assert (await _push_with_item(centre))["item"]["kind"] == "report.filed"
    assert await town_b.receive_nothing(timeout=0.3)
    await town_b.send_json_to({"type": "ping"})
    assert (await town_b.receive_json_from(timeout=5))["type"] == "pong"
    third = await database_sync_to_async(w.submit)(where="grid_b", category=w.unruled)
    assert (await _push_with_item(town_b))["item"]["record"] == third.pk
    for screen in (town_a, town_b, centre):
        await screen.disconnect()

    # A 甲镇 screen that saw nothing reconnects: 甲镇's item only, never 乙街道's.
    late = _screen(w.town_a, last=first["snapshot"]["last_id"])
    assert (await late.connect())[0]
    catch_up = await late.receive_json_from(timeout=5)
    assert [i["record"] for i in catch_up["items"]] == [in_a.pk]
    await late.disconnect()


async def test_a_check_in_is_pushed_with_fresh_figures_and_a_late_screen_catches_up(world):
    ops = world.people["ops"]
    screen = _communicator(ops)
    assert (await screen.connect())[0]
    first = await screen.receive_json_from(timeout=5)
    assert first["type"] == "snapshot" and first["items"] == []
    start_id = first["snapshot"]["last_id"]

    def happen():
        event = make_live_event(organiser=ops, org=world.orgs["committee_a"], state=LiveEvent.State.LIVE)
        event.main_venue = world.main_venue
        event.save(update_fields=["main_venue"])
        return screen_announce(kind="live.check_in", record_id=event.pk)

    item = await database_sync_to_async(happen)()
    push = await screen.receive_json_from(timeout=5)
    assert push["type"] == "push" and push["item"]["id"] == item.pk
    assert push["item"]["kind"] == "live.check_in"
    figures = {f["key"]: f["value"] for f in push["snapshot"]["figures"]}
    assert figures["live_events_now"] == 1
    await screen.disconnect()

    # A screen that dropped before the push reconnects with the last id it saw and gets the item.
    late = _communicator(ops, last=start_id)
    assert (await late.connect())[0]
    catch_up = await late.receive_json_from(timeout=5)
    assert [i["id"] for i in catch_up["items"]] == [item.pk]
    assert catch_up["snapshot"]["last_id"] == item.pk
    await late.send_json_to({"type": "ping"})
    assert (await late.receive_json_from(timeout=5))["type"] == "pong"
    await late.send_json_to({"type": "shout"})
    assert (await late.receive_output(timeout=5))["code"] == 4400
    assert await database_sync_to_async(ScreenItem.objects.count)() == 1


def test_the_map_draws_the_grids_own_boundaries_once_they_are_known(world):
    from dashboards.screen import screen_snapshot

    assert screen_snapshot(with_map=True)["boundaries"] is None
    grid = world.course.tree["grid_a"]
    square = [[124.3, 40.1], [124.31, 40.1], [124.31, 40.11], [124.3, 40.11], [124.3, 40.1]]
    grid.boundary = {"type": "Polygon", "coordinates": [square]}
    grid.save(update_fields=["boundary"])
    features = screen_snapshot(with_map=True)["boundaries"]["features"]
    assert [(f["id"], f["properties"]["name"]) for f in features] == [(grid.pk, grid.name)]
    assert "boundaries" not in screen_snapshot()  # pushes carry figures, not the map
