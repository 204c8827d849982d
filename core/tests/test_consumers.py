"""The notification socket through Channels' communicator and the in-memory layer."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from core.routing import websocket_urlpatterns
from core.services.notifications import notification_send
from core.tests.factories import UserFactory
from tests.support import stored_session_for

app = URLRouter(websocket_urlpatterns)
# Serialized rollback: a plain flush re-runs post_migrate, which re-creates content types and
# machina permissions under new ids and breaks later tests that restore the serialized database.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def connect(user):
    communicator = WebsocketCommunicator(app, "/ws/notifications/")
    communicator.scope["user"] = user
    if user.is_authenticated:
        communicator.scope["session"] = await sync_to_async(stored_session_for)(user)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_anonymous_is_closed_4401():
    communicator, connected, _ = await connect(AnonymousUser())
    assert connected
    assert (await communicator.receive_output())["code"] == 4401


async def test_push_after_commit_reaches_only_the_recipient():
    alice = await sync_to_async(UserFactory)()
    bob = await sync_to_async(UserFactory)()
    ca, ok, _ = await connect(alice)
    cb, _, _ = await connect(bob)
    assert (await ca.receive_json_from())["type"] == "hello"
    assert (await cb.receive_json_from())["type"] == "hello"
    await sync_to_async(notification_send)(recipient=alice, kind="test", title="党课通知")
    message = await ca.receive_json_from(timeout=2)
    assert message["type"] == "notification" and message["title"] == "党课通知" and message["unread"] == 1
    assert await cb.receive_nothing(timeout=0.3)
    await ca.disconnect()
    await cb.disconnect()


async def test_nothing_is_pushed_when_the_transaction_rolls_back():
    from django.db import transaction

    alice = await sync_to_async(UserFactory)()
    ca, _, _ = await connect(alice)
    await ca.receive_json_from()

    def send_then_fail():
        with transaction.atomic():
            notification_send(recipient=alice, kind="test", title="不应送达")
            raise RuntimeError("rollback")

    with pytest.raises(RuntimeError):
        await sync_to_async(send_then_fail)()
    assert await ca.receive_nothing(timeout=0.3)
    await ca.disconnect()


@pytest.mark.parametrize("frame", ['{"type": "shout"}', "not json", "[1,2]", "x" * 5000])
async def test_bad_input_closes_4400(frame):
    user = await sync_to_async(UserFactory)()
    communicator, _, _ = await connect(user)
    await communicator.receive_json_from()
    await communicator.send_to(text_data=frame)
    assert (await communicator.receive_output())["code"] == 4400


async def test_ping_pong():
    user = await sync_to_async(UserFactory)()
    communicator, _, _ = await connect(user)
    await communicator.receive_json_from()
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from())["type"] == "pong"
    await communicator.disconnect()


async def test_a_socket_open_past_the_group_expiry_still_gets_pushes(settings):
    # channels' layers end a membership group_expiry seconds after it began (a day by default): a page
    # or the command screen left open longer must still be told.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"group_expiry": 1}}
    }
    alice = await sync_to_async(UserFactory)()
    communicator, _, _ = await connect(alice)
    assert (await communicator.receive_json_from())["type"] == "hello"
    await asyncio.sleep(2.5)
    await sync_to_async(notification_send)(recipient=alice, kind="test", title="过了一天")
    message = await communicator.receive_json_from(timeout=2)
    assert message["type"] == "notification" and message["title"] == "过了一天"
    await communicator.disconnect()
