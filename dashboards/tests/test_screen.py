"""The command screen's socket: who may open it, the catch-up after a drop, pushes after commit."""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from dashboards.models import ScreenItem
from dashboards.routing import websocket_urlpatterns
from dashboards.services.screen import screen_announce
from dashboards.tests.factories import make_live_event, make_world
from streaming.models import LiveEvent

application = URLRouter(websocket_urlpatterns)


# Transactional (the consumer reads from another thread); the flush must leave Wagtail's root page.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


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


@pytest.mark.parametrize("person,code", [("anonymous", 4401), ("town_a", 4403), ("member_a1", 4403)])
async def test_only_the_operations_centre_may_open_the_screen(world, person, code):
    communicator = _communicator(world.people[person])
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_output(timeout=5))["code"] == code


async def test_a_check_in_is_pushed_with_fresh_figures_and_a_late_screen_catches_up(world):
    from channels.db import database_sync_to_async

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
