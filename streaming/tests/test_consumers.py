"""The live event socket through Channels' communicator and the in-memory layer."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connections

from streaming.hub import EventHub, hub_join, hub_leave, hubs_running
from streaming.models import ChatMessage, LiveEvent, StreamItem
from streaming.routing import websocket_urlpatterns
from streaming.services import chat
from streaming.services.events import event_end
from streaming.tests.factories import make_world
from tests.support import stored_session_for

app = URLRouter(websocket_urlpatterns)
# Serialized rollback: the flush after each test must not take the rows migrations made (forum
# permissions, the Wagtail home page) from the suites that run after this one.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # rate-limit counters are keyed by ids, which a flushed database hands out again
    yield
    cache.clear()


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections():
    yield
    # Consumers and hubs query from the database worker thread; on PostgreSQL its open connection
    # would keep the test database from being dropped at the end of the run.
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
async def world():
    return await sync_to_async(make_world)(state=LiveEvent.State.LIVE)


async def connect(user, event_id: int, query: str = ""):
    communicator = WebsocketCommunicator(app, f"/ws/live/{event_id}/{'?' + query if query else ''}")
    communicator.scope["user"] = user
    if user.is_authenticated:
        communicator.scope["session"] = await sync_to_async(stored_session_for)(user)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive(communicator, timeout: float = 15) -> dict:
    """The next frame; the wait ends when it arrives (generous for a loaded machine on PostgreSQL + Redis)."""
    return json.loads(await communicator.receive_from(timeout=timeout))


def items_of(frame: dict) -> list[dict]:
    return frame["items"] if frame["type"] == "batch" else [frame]


async def receive_items(communicator, count: int) -> list[dict]:
    items: list[dict] = []
    while len(items) < count:
        items.extend(items_of(await receive(communicator)))
    return items


async def closed_with(communicator) -> int:
    output = await communicator.receive_output(timeout=2)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def post_chat(event, user, text: str, venue=None):
    return await sync_to_async(chat.chat_message_post)(event=event, author=user, text=text, venue=venue)


# --- Who may join -------------------------------------------------------------------------------


async def test_anonymous_is_closed_4401_on_a_restricted_event(world):
    communicator = await connect(AnonymousUser(), world.event.pk)
    assert await closed_with(communicator) == 4401


async def test_not_invited_member_and_missing_event_are_closed_4403(world):
    outsider = await connect(world.member_b, world.event.pk)
    assert await closed_with(outsider) == 4403
    missing = await connect(world.operator_a, world.event.pk + 999)
    assert await closed_with(missing) == 4403


async def test_operator_cannot_join_as_a_venue_they_do_not_run(world):
    # operator_a may watch the event, but not speak as venue B (not theirs, not invited).
    communicator = await connect(world.operator_a, world.event.pk, f"venue={world.venue_b.pk}")
    assert await closed_with(communicator) == 4403


async def test_anonymous_may_read_a_public_event_but_not_post():
    world = await sync_to_async(make_world)(audience=LiveEvent.Audience.PUBLIC, state=LiveEvent.State.LIVE)
    communicator = await connect(AnonymousUser(), world.event.pk)
    snapshot = await receive(communicator)
    assert snapshot["type"] == "snapshot" and snapshot["state"]["state"] == "live"
    await communicator.send_to(text_data=json.dumps({"type": "chat", "text": "你好", "ref": 1}))
    reply = await receive(communicator)
    assert reply["type"] == "error" and reply["code"] == "sign_in" and reply["ref"] == 1
    assert await sync_to_async(ChatMessage.objects.count)() == 0
    await communicator.disconnect()


# --- Messages reach every screen, in order -------------------------------------------------------


async def test_chat_reaches_every_screen_with_a_sequence_number(world):
    venue_screen = await connect(world.operator_a, world.event.pk, f"venue={world.venue_a.pk}")
    host = await connect(world.organiser, world.event.pk)
    assert (await receive(venue_screen))["type"] == "snapshot"
    first = await receive(host)
    assert first["type"] == "snapshot"

    await venue_screen.send_to(text_data=json.dumps({"type": "chat", "text": "甲村分会场已就位", "ref": "a1"}))
    ack = await receive(venue_screen)
    item = await receive(venue_screen)
    if ack["type"] != "ack":  # the ack and the pushed item may arrive in either order
        ack, item = item, ack
    assert ack == {"type": "ack", "kind": "chat", "id": ack["id"], "ref": "a1"}
    at_host = await receive(host)
    assert at_host == item
    assert at_host["type"] == "chat" and at_host["seq"] == first["seq"] + 1
    # Said from the venue's screen: shown as the venue speaking.
    assert at_host["author"] == world.venue_a.name and at_host["text"] == "甲村分会场已就位"
    assert hubs_running() == {world.event.pk: 2}
    await venue_screen.disconnect()
    await host.disconnect()
    assert hubs_running() == {}


async def test_snapshot_shows_recent_chat_without_deleted_messages(world):
    kept = await post_chat(world.event, world.operator_a, "保留的消息")
    gone = await post_chat(world.event, world.operator_a, "将被删除")
    await sync_to_async(chat.chat_message_delete)(message=gone, by=world.organiser)
    communicator = await connect(world.operator_a, world.event.pk)
    snapshot = await receive(communicator)
    assert [m["id"] for m in snapshot["chat"]] == [kept.pk]
    assert snapshot["seq"] == await sync_to_async(StreamItem.objects.filter(event=world.event).count)()
    await communicator.disconnect()


async def test_reconnect_gets_what_it_missed_once_and_in_order(world):
    host = await connect(world.organiser, world.event.pk)
    start = (await receive(host))["seq"]
    for n in range(3):
        await post_chat(world.event, world.operator_a, f"第{n}条")
    seen = await receive_items(host, 3)
    assert [i["seq"] for i in seen] == [start + 1, start + 2, start + 3]
    last = seen[-1]["seq"]
    await host.disconnect()

    # Offline: three more messages and a deletion.
    missed = [await post_chat(world.event, world.operator_a, f"离线第{n}条") for n in range(3)]
    await sync_to_async(chat.chat_message_delete)(message=missed[0], by=world.organiser)

    again = await connect(world.organiser, world.event.pk, f"last={last}")
    replayed = await receive_items(again, 4)
    assert [i["seq"] for i in replayed] == [last + 1, last + 2, last + 3, last + 4]
    assert [i["type"] for i in replayed] == ["chat", "chat", "chat", "chat_delete"]
    assert replayed[3]["id"] == missed[0].pk
    # And live again: the next message comes exactly once, right after the replay.
    await post_chat(world.event, world.operator_a, "重连之后")
    after = await receive_items(again, 1)
    assert [i["seq"] for i in after] == [last + 5]
    assert await again.receive_nothing(timeout=0.3)
    await again.disconnect()


async def test_replay_while_messages_keep_coming_loses_nothing_and_repeats_nothing(world):
    """A burst from another screen during the reconnect: the catch-up and the live pushes overlap."""
    watcher = await connect(world.organiser, world.event.pk)
    base = (await receive(watcher))["seq"]

    async def burst(n: int) -> None:
        for k in range(n):
            await post_chat(world.event, world.operator_a, f"连发{k}")

    sender = asyncio.create_task(burst(20))
    await receive(watcher)  # the burst has begun
    joiner = await connect(world.operator_a, world.event.pk, f"last={base}")
    await sender
    got = await receive_items(joiner, 20)
    assert [i["seq"] for i in got] == list(range(base + 1, base + 21))
    assert await joiner.receive_nothing(timeout=0.3)
    await watcher.disconnect()
    await joiner.disconnect()


async def test_too_far_behind_gets_a_snapshot(world):
    communicator = await connect(world.organiser, world.event.pk, "last=999999")
    assert (await receive(communicator))["type"] == "snapshot"
    await communicator.disconnect()


# --- Moderation --------------------------------------------------------------------------------


async def test_moderator_delete_reaches_other_screens(world):
    message = await post_chat(world.event, world.operator_a, "不当言论")
    venue_screen = await connect(world.operator_a, world.event.pk, f"venue={world.venue_a.pk}")
    host = await connect(world.organiser, world.event.pk)
    await receive(venue_screen)
    await receive(host)

    # Not a moderator: refused, nothing pushed.
    await venue_screen.send_to(text_data=json.dumps({"type": "delete", "id": message.pk}))
    refused = await receive(venue_screen)
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    assert await host.receive_nothing(timeout=0.2)

    await host.send_to(text_data=json.dumps({"type": "delete", "id": message.pk}))
    deleted = [await receive(host), await receive(host)]
    assert {"type": "ack", "kind": "delete", "id": message.pk} in deleted
    at_venue = await receive(venue_screen)
    assert at_venue["type"] == "chat_delete" and at_venue["id"] == message.pk
    assert await sync_to_async(lambda: ChatMessage.objects.get(pk=message.pk).deleted_at is not None)()
    await venue_screen.disconnect()
    await host.disconnect()


async def test_chat_after_the_event_ended_is_refused_in_the_users_language(world):
    communicator = await connect(world.operator_a, world.event.pk)
    await receive(communicator)
    await sync_to_async(event_end)(event=world.event, by=world.organiser)
    state = await receive(communicator)
    assert state["type"] == "state" and state["state"] == "ended"
    await communicator.send_to(text_data=json.dumps({"type": "chat", "text": "还在吗"}))
    reply = await receive(communicator)
    assert reply["type"] == "error" and reply["code"] == "closed"
    assert "结束" in reply["message"]  # Chinese unless the person chose English
    await communicator.disconnect()


# --- Limits --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        json.dumps({"type": "shout", "text": "x"}),
        json.dumps({"type": "chat", "text": "长" * 301}),
        json.dumps({"type": "chat", "text": 12}),
        json.dumps({"type": "second", "id": "1"}),
        json.dumps({"type": "chat", "text": "好", "pad": "x" * 5000}),
    ],
    ids=["not-json", "array", "unknown-type", "too-long", "not-text", "bad-id", "oversized-frame"],
)
async def test_bad_input_closes_4400(world, frame):
    communicator = await connect(world.operator_a, world.event.pk)
    await receive(communicator)
    await communicator.send_to(text_data=frame)
    assert await closed_with(communicator) == 4400
    assert await sync_to_async(ChatMessage.objects.count)() == 0


async def test_a_burst_is_paced_not_refused_and_the_socket_stays(world, settings):
    # What a stall of the server releases at once: twice the rate from one person, all together.
    settings.STREAMING_CHAT_RATE = (3, 1)
    communicator = await connect(world.operator_a, world.event.pk)
    await receive(communicator)
    for n in range(6):
        await communicator.send_to(text_data=json.dumps({"type": "chat", "text": f"第{n}条", "ref": n}))
    acks, pushed = [], []
    while len(acks) < 6 or len(pushed) < 6:  # pushed items may come batched in one frame
        frame = await receive(communicator)
        assert frame["type"] != "error", frame
        (acks if frame["type"] == "ack" else pushed).extend([frame] if frame["type"] == "ack" else items_of(frame))
    assert [a["ref"] for a in acks] == list(range(6))  # in the order sent
    assert [p["text"] for p in pushed] == [f"第{n}条" for n in range(6)]
    assert await sync_to_async(ChatMessage.objects.count)() == 6
    await communicator.disconnect()


async def test_a_flood_is_refused_message_by_message_with_a_reply_and_the_socket_stays(world, settings):
    settings.STREAMING_CHAT_RATE = (2, 60)
    communicator = await connect(world.operator_a, world.event.pk)
    await receive(communicator)
    for n in range(12):
        await communicator.send_to(text_data=json.dumps({"type": "chat", "text": f"第{n}条", "ref": n}))
    acks, refused = [], []
    # Two go at once; one waits in the pacer and up to four in line (30 s each here); the rest are refused one by one.
    while len(acks) < 2 or len(refused) < 5:
        frame = await receive(communicator)
        (acks if frame["type"] == "ack" else refused if frame["type"] == "error" else []).append(frame)
    # The socket is still open and answers; every refusal was sent before the pong.
    await communicator.send_to(text_data=json.dumps({"type": "ping"}))
    while (frame := await receive(communicator))["type"] != "pong":
        (refused if frame["type"] == "error" else []).append(frame)
    assert 5 <= len(refused) <= 8
    assert {f["code"] for f in refused} == {"rate_limited"}
    assert refused[0]["message"] == "请求太频繁，请稍候。"
    assert len({f["ref"] for f in refused}) == len(refused)  # each refusal names its own message
    assert await sync_to_async(ChatMessage.objects.count)() == 2
    await communicator.disconnect()


async def test_html_is_kept_as_text_and_hidden_characters_are_removed(world):
    communicator = await connect(world.operator_a, world.event.pk)
    await receive(communicator)
    await communicator.send_to(text_data=json.dumps({"type": "chat", "text": "<b>加粗</b>\u202e反转"}))
    frames = [await receive(communicator), await receive(communicator)]
    item = next(f for f in frames if f["type"] == "chat")
    assert item["text"] == "<b>加粗</b>反转"
    await communicator.disconnect()


# --- The hub on its own ----------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.seqs: list[int] = []
        self._arrived = asyncio.Event()

    async def hub_send(self, items, message, wire) -> None:
        self.frames.append(message["text"])
        self.seqs.extend(seq for seq, _ in items)
        self._arrived.set()

    async def wait_for(self, count: int, timeout: float = 10) -> list[int]:
        """The sequence numbers once at least `count` have arrived (however slow the machine)."""
        async with asyncio.timeout(timeout):
            while len(self.seqs) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.seqs


async def test_hub_fills_a_gap_from_the_database_and_keeps_order(world, settings):
    settings.STREAMING_HUB_GAP_SECONDS = 0.05
    settings.STREAMING_HUB_POLL_SECONDS = 60
    hub = EventHub(world.event.pk)
    recorder = Recorder()
    hub.members.add(recorder)
    await hub.start()
    base = hub.seq
    for n in range(3):
        await post_chat(world.event, world.operator_a, f"第{n}条")
    assert await recorder.wait_for(3) == [base + 1, base + 2, base + 3]

    # An item saved but never pushed (the layer lost it), then a later one that is pushed.
    await sync_to_async(
        lambda: StreamItem.objects.create(
            event=world.event,
            seq=base + 4,
            kind="announcement",
            data=json.dumps({"type": "announcement", "seq": base + 4}),
        )
    )()
    await sync_to_async(lambda: LiveEvent.objects.filter(pk=world.event.pk).update(last_seq=base + 4))()
    await post_chat(world.event, world.operator_a, "之后的消息")
    # The pushed one reveals the gap; the hub reads the missing item from the database and keeps the order.
    assert await recorder.wait_for(5) == [base + 1, base + 2, base + 3, base + 4, base + 5]
    await hub.stop()


async def test_a_socket_cancelled_while_joining_is_not_held_by_the_hub(world):
    # Daphne cancels a consumer whose client left while it was still connecting, without a disconnect.
    first, second = Recorder(), Recorder()
    starting = asyncio.create_task(hub_join(world.event.pk, first))
    await asyncio.sleep(0)  # the first socket's hub is starting (reading the database)
    joining = asyncio.create_task(hub_join(world.event.pk, second))
    await asyncio.sleep(0)  # the second waits for that start
    joining.cancel()
    with pytest.raises(asyncio.CancelledError):
        await joining
    hub = await starting
    assert hub.members == {first}
    await hub_leave(hub, first)
    assert hubs_running() == {}
