"""One text policy: invalid Unicode refused clearly (400 / 4400, never 500 / 1011), bidi and
invisible controls removed from names and titles, ASCII digits only for numbers."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse

from core.textinput import clean_line, clean_text, json_loads
from core.validators import id_number_validator, mobile_validator
from streaming.models import ChatMessage, LiveEvent
from streaming.routing import websocket_urlpatterns
from streaming.services import chat
from streaming.tests.factories import make_world
from tests.support import stored_session_for

LONE_SURROGATE_JSON = '{"health": "playing", "note": "\\ud800"}'
RLO, ZWSP, LRI, PDI = "\u202e", "\u200b", "\u2066", "\u2069"


@pytest.mark.parametrize(
    "number",
    [
        "1391234567\u0668",
        "\u0661\u0663\u0669\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
        "１３９１２３４５６７８",
    ],
)
def test_mobile_numbers_are_ascii_digits_only(number):
    with pytest.raises(ValidationError):
        mobile_validator(number)
    mobile_validator("13912345678")


def test_id_numbers_are_ascii_digits_only():
    id_number_validator("11010519491231002X")
    with pytest.raises(ValidationError):
        id_number_validator("1101051949123100\u0662X")


def test_names_and_titles_lose_bidi_and_invisible_controls():
    assert clean_line(f"张{ZWSP}三") == "张三"
    assert clean_line(f"{RLO}gpj.exe") == "gpj.exe"
    assert clean_line(f"{LRI}党员  问答{PDI}\u3000") == "党员 问答"
    assert clean_text("第一行\n第二行\u200f") == "第一行\n第二行"


def test_json_with_a_lone_surrogate_is_bad_input():
    with pytest.raises(ValueError):
        json_loads(LONE_SURROGATE_JSON)
    assert json_loads('{"t": "\\u515a"}') == {"t": "党"}


@pytest.fixture
def live_world(db):
    return make_world(state=LiveEvent.State.LIVE)


def test_http_json_with_invalid_unicode_is_400_with_a_clear_message(client, live_world):
    client.force_login(live_world.operator_a)
    url = reverse("streaming:venue_heartbeat", args=[live_world.event.pk, live_world.venue_a.pk])
    response = client.post(url, LONE_SURROGATE_JSON, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "文字中含有无效字符，请重新输入。"
    # The same on the JSON API (django-ninja never sees it).
    api = client.post("/api/learning/lessons/1/progress", LONE_SURROGATE_JSON, content_type="application/json")
    assert api.status_code == 400


def test_chat_service_refuses_invalid_unicode_and_strips_controls(live_world):
    with pytest.raises(ValidationError):
        chat.chat_message_post(event=live_world.event, author=live_world.operator_a, text="好\ud800")
    message = chat.chat_message_post(event=live_world.event, author=live_world.operator_a, text=f"{RLO}你好{ZWSP}")
    assert message.text == "你好"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_chat_socket_closes_4400_on_invalid_unicode_and_stores_nothing():
    await sync_to_async(cache.clear)()
    world = await sync_to_async(make_world)(state=LiveEvent.State.LIVE)
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/live/{world.event.pk}/")
    communicator.scope["user"] = world.operator_a
    communicator.scope["session"] = await sync_to_async(stored_session_for)(world.operator_a)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"type": "chat", "text": "坏\ud800字"}))
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4400
    assert not await sync_to_async(ChatMessage.objects.exists)()
    await database_sync_to_async(connections.close_all)()


def test_surrogate_bytes_and_bytes_that_are_not_utf8_are_400_too(client, live_world):
    # Python's JSON reader turns surrogates encoded in the bytes into lone surrogates, no escape needed.
    client.force_login(live_world.operator_a)
    url = reverse("streaming:venue_heartbeat", args=[live_world.event.pk, live_world.venue_a.pk])
    for body in (b'{"health": "playing", "note": "\xed\xa0\x80"}', b'{"health": "\xff"}'):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["detail"] == "文字中含有无效字符，请重新输入。"
    # fetch() without a content type sends text/plain: the same rule.
    response = client.post(url, LONE_SURROGATE_JSON, content_type="text/plain;charset=UTF-8")
    assert response.status_code == 400
    # Valid JSON still reaches the view.
    assert client.post(url, '{"health": "playing"}', content_type="application/json").status_code != 400


def test_every_form_post_loses_controls_but_passwords_stay_as_typed(rf):
    from core.textinput import TextInputMiddleware

    middleware = TextInputMiddleware(lambda request: None)
    request = rf.post(
        "/",
        {
            "name": f"张{ZWSP}三{RLO}",
            "note": "第一行\r\n第二行\x07",
            "tags": [f"a{LRI}", "b"],
            "password": f"pa{ZWSP}ss",
            "new_password1": f"x{RLO}y",
        },
    )
    middleware.process_view(request, None, (), {})
    assert request.POST["name"] == "张三"
    assert request.POST["note"] == "第一行\r\n第二行"
    assert request.POST.getlist("tags") == ["a", "b"]
    assert request.POST["password"] == f"pa{ZWSP}ss" and request.POST["new_password1"] == f"x{RLO}y"
    assert not request.POST._mutable


def test_a_resident_name_is_stored_without_bidi_or_invisible_characters(client, tree):
    from core.models import Role
    from core.tests.factories import make_user_with_role
    from governance.models import Resident
    from governance.tests.factories import household_of, make_building

    household = household_of(make_building(tree["grid_a"], number="3"), "1-101")
    client.force_login(make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"]))
    url = reverse("governance:resident_create", args=[household.pk])
    response = client.post(url, {"name": f"{RLO}周{ZWSP}桂芳\u2069", "birth_year": "1950", "relation": "head"})
    assert response.status_code == 302
    assert Resident.objects.get(household=household).name == "周桂芳"


@pytest.mark.parametrize("number", ["²", "٣", "１２"])
def test_numbers_in_addresses_are_ascii_digits_or_not_found(client, db, number):
    # "²".isdigit() is true and int("²") raises: these answered 500 before.
    from learning.signing import feed_key_user_id

    assert client.get(f"/open311/v2/requests/{number}.json").status_code == 404
    assert feed_key_user_id(f"{number}-{'a' * 32}") is None
    response = client.get(f"/learning/podcasts/{number}-{'a' * 32}/1.xml")
    assert response.status_code == 404
