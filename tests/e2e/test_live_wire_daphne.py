"""The live hub's fast path (streaming/wire.py) on a real Daphne: engaged with the pinned versions,
and the ASGI path (STREAMING_DIRECT_WRITES=0) delivers the very same items in the same order.

Two Daphne processes on one test database: one writes frames straight to its sockets, the other
through ASGI. Ten screens on each follow one event while a venue on each side posts; every screen,
on either process, must end with the same gap-free sequence, and /healthz must say which path each
process took (frames counted per path)."""

from __future__ import annotations

import contextlib
import json

import pytest
import requests
from websockets.sync.client import ClientConnection, connect

from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import LiveEvent
from streaming.tests.factories import make_world
from tests.support import (
    HTTP_TIMEOUT,
    RUN_CHANNEL_PREFIX,
    WS_TIMEOUT,
    DaphneProcess,
    live_db,
    running_daphnes,
    signed_in_session,
    subprocess_database_url,
    subprocess_env,
)

pytestmark = [pytest.mark.daphne, live_db]

SCREENS = 10
# Short, over 125 bytes (16-bit length) and the longest chat (300 characters, 900 bytes).
TEXTS = [
    "甲村分会场已就位",
    "请各分会场调试音量" * 6,
    "学" * 300,
    "收到",
    "乙社区分会场画面清晰" * 3,
    "好",
    "谢谢主会场",
    "完毕",
]


def live_socket(server: DaphneProcess, session: requests.Session, event_id: int, query: str = "") -> ClientConnection:
    return connect(
        server.ws_url(f"/ws/live/{event_id}/{'?' + query if query else ''}"),
        origin=server.url,
        additional_headers={"Cookie": f"sessionid={session.cookies['sessionid']}"},
        open_timeout=WS_TIMEOUT,
        close_timeout=5,
        proxy=None,
    )


def chats_until(ws: ClientConnection, server: DaphneProcess, count: int) -> list[tuple]:
    """(seq, type, text) of every item received, batches unpacked, until `count` chats arrived."""
    items: list[tuple] = []
    while sum(kind == "chat" for _seq, kind, _text in items) < count:
        try:
            frame = json.loads(ws.recv(timeout=WS_TIMEOUT))
        except TimeoutError:
            pytest.fail(f"nothing more arrived after {items}{server.diagnostics()}")
        for item in frame["items"] if frame["type"] == "batch" else [frame]:
            if item["type"] != "snapshot":
                items.append((item["seq"], item["type"], item.get("text")))
    return items


def live_writes(server: DaphneProcess) -> dict:
    response = requests.get(f"{server.url}/healthz", timeout=HTTP_TIMEOUT, proxies={"http": None})
    return response.json()["checks"]["live_writes"]


def test_fast_path_is_engaged_and_the_asgi_path_delivers_the_same_items_in_order():
    world = make_world(state=LiveEvent.State.LIVE)
    env = subprocess_env(DATABASE_URL=subprocess_database_url(), REDIS_URL=None, CHANNEL_PREFIX=RUN_CHANNEL_PREFIX)
    with running_daphnes(("direct", env), ("asgi", {**env, "STREAMING_DIRECT_WRITES": "0"})) as (direct, asgi):
        host = signed_in_session(direct, world.organiser.username, DEFAULT_PASSWORD)
        venue = signed_in_session(direct, world.operator_a.username, DEFAULT_PASSWORD)
        event_id = world.event.pk
        with contextlib.ExitStack() as sockets:
            screens = [
                sockets.enter_context(live_socket(server, host, event_id))
                for server in (direct, asgi)
                for _ in range(SCREENS)
            ]
            senders = [
                sockets.enter_context(live_socket(server, venue, event_id, f"venue={world.venue_a.pk}"))
                for server in (direct, asgi)
            ]
            for ws in screens + senders:
                assert json.loads(ws.recv(timeout=WS_TIMEOUT))["type"] == "snapshot"
            for i, text in enumerate(TEXTS):  # alternately through each process
                senders[i % 2].send(json.dumps({"type": "chat", "text": text, "ref": i}))
            seen = [chats_until(ws, direct if n < SCREENS else asgi, len(TEXTS)) for n, ws in enumerate(screens)]

        first = seen[0]
        assert sorted(text for _seq, kind, text in first if kind == "chat") == sorted(TEXTS)
        assert [seq for seq, _kind, _text in first] == list(range(first[0][0], first[0][0] + len(first)))
        for n, items in enumerate(seen):
            assert items == first, f"screen {n} on {'direct' if n < SCREENS else 'asgi'} differs"

        fast, plain = live_writes(direct), live_writes(asgi)
        assert fast["direct_writes"] is True and "reason" not in fast, fast
        assert fast["frames_direct"] >= SCREENS and fast["frames_asgi"] == 0, fast
        assert plain["direct_writes"] is False and "STREAMING_DIRECT_WRITES" in plain["reason"], plain
        assert plain["frames_direct"] == 0 and plain["frames_asgi"] >= SCREENS, plain
