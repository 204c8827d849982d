"""Sockets end with the sign-in: signing out, a new password or a deactivation closes the person's open
WebSockets (4401), through the real session cookie and Channels' auth middleware."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connections
from django.test import Client

from config.routing import websocket_urlpatterns
from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import ChatMessage, LiveEvent
from streaming.tests.factories import make_world

app = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
_prefixes = itertools.count(random.randint(1, 10**9))


@pytest.fixture(autouse=True)
async def _clean(settings):
    # Chat rate limits are keyed by ids a flushed database reuses: give each test its own cache key
    # prefix. Not cache.clear(): on Redis that flushes the database the channel layer shares.
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}t{next(_prefixes)}"}
        for name, config in settings.CACHES.items()
    }
    yield
    await database_sync_to_async(connections.close_all)()


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def open_socket(client: Client, path: str) -> WebsocketCommunicator:
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    communicator = WebsocketCommunicator(app, path, headers=[(b"cookie", cookie.encode())])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def close_code(communicator: WebsocketCommunicator) -> int | None:
    """The close code the server sent, skipping data frames still in flight."""
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            # A browser answers the server's close, and the consumer ends (as it does in Daphne).
            await communicator.disconnect()
            return output.get("code")


async def notifications(client: Client) -> WebsocketCommunicator:
    communicator = await open_socket(client, "/ws/notifications/")
    assert (await communicator.receive_json_from())["type"] == "hello"
    return communicator


@pytest.fixture
async def world():
    return await sync_to_async(make_world)(state=LiveEvent.State.LIVE)


async def test_signing_out_closes_that_sessions_sockets_only(world):
    member = world.operator_a
    phone, desk = await sync_to_async(signed_in_client)(member), await sync_to_async(signed_in_client)(member)
    phone_notes = await notifications(phone)
    phone_live = await open_socket(phone, f"/ws/live/{world.event.pk}/")
    desk_notes = await notifications(desk)

    await sync_to_async(phone.post)("/accounts/logout/")

    assert await close_code(phone_notes) == 4401
    assert await close_code(phone_live) == 4401
    # The same person's other sign-in is untouched.
    await desk_notes.send_json_to({"type": "ping"})
    assert (await desk_notes.receive_json_from())["type"] == "pong"
    await desk_notes.disconnect()


async def test_a_new_password_closes_every_socket_of_the_person(world):
    member = world.operator_a
    changer, other = await sync_to_async(signed_in_client)(member), await sync_to_async(signed_in_client)(member)
    others_socket = await notifications(other)
    changers_socket = await notifications(changer)
    response = await sync_to_async(changer.post)(
        "/accounts/password/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": "Hong-Qi-2027x", "new_password2": "Hong-Qi-2027x"},
    )
    assert response.status_code == 302
    assert await close_code(others_socket) == 4401
    assert await close_code(changers_socket) == 4401
    # The page that changed it reconnects with its refreshed session and keeps working.
    again = await notifications(changer)
    await again.send_json_to({"type": "ping"})
    assert (await again.receive_json_from())["type"] == "pong"
    await again.disconnect()


async def test_deactivation_closes_the_persons_sockets(world):
    member = world.operator_a
    client = await sync_to_async(signed_in_client)(member)
    socket = await open_socket(client, f"/ws/live/{world.event.pk}/")

    def deactivate():
        member.is_active = False
        member.save()

    await sync_to_async(deactivate)()
    assert await close_code(socket) == 4401


async def test_a_socket_rereads_the_session_before_acting(world):
    """Even when the push is lost (here: the session row deleted behind the site's back), a socket
    whose session has ended cannot post as its user."""
    member = world.operator_a
    client = await sync_to_async(signed_in_client)(member)
    socket = await open_socket(client, f"/ws/live/{world.event.pk}/")
    await socket.send_to(text_data=json.dumps({"type": "chat", "text": "第一条", "ref": 1}))
    while True:
        frame = json.loads(await socket.receive_from(timeout=3))
        if frame.get("type") == "ack":
            break
    await sync_to_async(Session.objects.all().delete)()
    await socket.send_to(text_data=json.dumps({"type": "chat", "text": "登出后的消息", "ref": 2}))
    assert await close_code(socket) == 4401
    assert not await sync_to_async(ChatMessage.objects.filter(text="登出后的消息").exists)()
