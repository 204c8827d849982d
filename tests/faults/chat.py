"""Speakers for the faults suite: a socket that says numbered lines and waits for each one's ack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable

from websockets.exceptions import ConnectionClosed

from tests.faults.crowd import open_live_socket, unpack
from tests.support import DaphneProcess


async def speak(
    server: DaphneProcess,
    sessionid: str,
    event_id: int,
    texts: Iterable[str],
    *,
    query: str = "",
    sent_at: dict[str, float] | None = None,
    on_ack: Callable[[str], None] | None = None,
    pause: float = 0.0,
) -> list[str]:
    """Say each text in turn; returns the texts the server acknowledged (saved). The server paces a
    socket to the chat rate, so the acks come as fast as a person may talk."""
    acked: list[str] = []
    async with await open_live_socket(server, sessionid, event_id, query) as ws:
        for ref, text in enumerate(texts):
            if sent_at is not None:
                sent_at[text] = time.monotonic()
            await ws.send(json.dumps({"type": "chat", "text": text, "ref": ref}))
            while True:
                try:
                    items = unpack(await asyncio.wait_for(ws.recv(decode=True), 30))
                except (TimeoutError, ConnectionClosed):
                    return acked
                reply = next((i for i in items if i.get("ref") == ref), None)
                if reply is None:
                    continue
                assert reply["type"] == "ack", f"{text!r} was refused: {reply}"
                acked.append(text)
                if on_ack:
                    on_ack(text)
                break
            if pause:
                await asyncio.sleep(pause)
    return acked
