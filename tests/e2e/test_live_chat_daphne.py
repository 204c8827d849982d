"""Live chat across two Daphne processes sharing Redis: what one venue says reaches a screen on the
other process, a moderator's deletion on that process reaches the first, and a screen that
reconnects to the other process gets exactly what it missed."""

from __future__ import annotations

import json

import pytest
from websockets.sync.client import ClientConnection, connect

from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import LiveEvent
from streaming.tests.factories import make_world
from tests.support import WS_TIMEOUT, DaphneProcess, live_db, signed_in_session

pytestmark = [pytest.mark.daphne, pytest.mark.redis, live_db]


def live_socket(server: DaphneProcess, session, event_id: int, query: str = "") -> ClientConnection:
    return connect(
        server.ws_url(f"/ws/live/{event_id}/{'?' + query if query else ''}"),
        origin=server.url,
        additional_headers={"Cookie": f"sessionid={session.cookies['sessionid']}"},
        open_timeout=WS_TIMEOUT,
        close_timeout=5,
        proxy=None,
    )


def frames(ws: ClientConnection, server: DaphneProcess, until) -> list[dict]:
    """Items received (batches unpacked) until `until(items)` holds."""
    items: list[dict] = []
    while not until(items):
        try:
            frame = json.loads(ws.recv(timeout=WS_TIMEOUT))
        except TimeoutError:
            pytest.fail(f"nothing more arrived; got {items}{server.diagnostics()}")
        items.extend(frame["items"] if frame["type"] == "batch" else [frame])
    return items


def test_chat_and_deletion_cross_processes_and_a_reconnect_replays_exactly_what_was_missed(daphne_pair):
    a, b = daphne_pair
    world = make_world(state=LiveEvent.State.LIVE)
    operator = signed_in_session(a, world.operator_a.username, DEFAULT_PASSWORD)
    host = signed_in_session(b, world.organiser.username, DEFAULT_PASSWORD)
    event_id = world.event.pk

    with (
        live_socket(a, operator, event_id, f"venue={world.venue_a.pk}") as venue_screen,
        live_socket(b, host, event_id) as console,
    ):
        start = frames(venue_screen, a, lambda items: items)[0]
        assert start["type"] == "snapshot", a.diagnostics()
        assert frames(console, b, lambda items: items)[0]["type"] == "snapshot"

        venue_screen.send(json.dumps({"type": "chat", "text": "甲村分会场信号良好", "ref": 1}))
        said = [i for i in frames(console, b, lambda items: any(i["type"] == "chat" for i in items))]
        chat = next(i for i in said if i["type"] == "chat")
        assert chat["text"] == "甲村分会场信号良好" and chat["author"] == world.venue_a.name
        assert chat["seq"] == start["seq"] + 1

        console.send(json.dumps({"type": "delete", "id": chat["id"]}))
        seen = frames(venue_screen, a, lambda items: any(i["type"] == "chat_delete" for i in items))
        assert {"type": "chat_delete", "seq": chat["seq"] + 1, "id": chat["id"]} in seen
        last = chat["seq"] + 1

    # The console is gone; two more messages from the venue (on A); the console comes back on A.
    with live_socket(a, operator, event_id, f"venue={world.venue_a.pk}") as venue_screen:
        frames(venue_screen, a, lambda items: items)
        # A long one too: over 125 bytes, its frame carries a 16-bit length.
        texts = ("第一条" + "很长的发言" * 50, "第二条")
        for text in texts:
            venue_screen.send(json.dumps({"type": "chat", "text": text}))
        with live_socket(a, host, event_id, f"last={last}") as console:
            replayed = frames(console, a, lambda items: len(items) >= 2)
            assert [(i["seq"], i["text"]) for i in replayed] == [(last + 1, texts[0]), (last + 2, texts[1])]
            with pytest.raises(TimeoutError):
                console.recv(timeout=0.5)  # nothing twice
            # And live from here on, through the hub on A.
            venue_screen.send(json.dumps({"type": "chat", "text": "第三条" + "长" * 200}))
            live = frames(console, a, lambda items: items)
            assert [(i["seq"], i["text"]) for i in live] == [(last + 3, "第三条" + "长" * 200)]
