"""`/ws/live/<event id>/publish/`: a host's browser sends its camera here (MediaRecorder WebM chunks).

Text messages (JSON, ≤ 4 KB):
    → {"type": "start", "mime": "video/webm;codecs=vp8,opus", "width": 1280, "height": 720, "audio": true}
    ← {"type": "started"} | {"type": "refused", "reason": "not_live" | "busy" | "unavailable" | …}
    → {"type": "stop"}           ← {"type": "stopped", "reason": "stopped" | "ended" | …}
    → {"type": "ping"}           ← {"type": "pong"}
Binary messages: the recorder's chunks, in order, after "started" (others are dropped: a recorder
that was refused may still flush a chunk). A new "start" after "stopped" begins a new recording.

Close codes (core.consumers): 4401 not signed in, 4403 not a host of this event (or no such
event), 4400 malformed message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import Http404

from core.consumers import CLOSE_BAD_INPUT, CLOSE_FORBIDDEN, CLOSE_NOT_SIGNED_IN, MAX_FRAME
from core.socket_sessions import session_identity, session_is_current, socket_register, socket_unregister
from core.textinput import json_loads
from streaming.video.access import access_event_for_publishing
from streaming.video.ingest.relay import RelayConnection, relay_open

MAX_CHUNK = 4 * 1024 * 1024
MIME_PREFIXES = ("video/webm", "video/x-matroska")


def _dimension(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 16 <= value <= 4096:
        raise ValueError("bad dimension")
    return value


class PublishConsumer(AsyncWebsocketConsumer):
    # No channel layer: the camera goes to the supervisor over the relay, nothing is broadcast, so a
    # Redis outage cannot stop a broadcast (and a publisher costs no Redis connection).
    # get_channel_layer() answers None for an alias that is not configured.
    channel_layer_alias = "streaming-video-none"
    relay: RelayConnection | None = None
    registered = False
    relay_task: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        try:
            event = await database_sync_to_async(access_event_for_publishing)(
                user, self.scope["url_route"]["kwargs"]["event_id"]
            )
        except Http404:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.event_id = event.pk
        self.user = user
        self.session_key, self.auth_hash = await database_sync_to_async(session_identity)(self.scope)
        await socket_register(user_id=user.pk, session_key=self.session_key, close=self.close_signed_out)
        self.registered = True
        await self.accept()
        await self.send_json({"type": "hello", "event": event.pk, "state": event.state})

    async def disconnect(self, code: int) -> None:
        await self._stop_relay()
        if self.registered:
            self.registered = False
            await socket_unregister(user_id=self.user.pk, close=self.close_signed_out)

    async def close_signed_out(self) -> None:
        await self._stop_relay()
        await self.close(code=CLOSE_NOT_SIGNED_IN)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content))

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if bytes_data is not None:
            if len(bytes_data) > MAX_CHUNK:
                await self.close(code=CLOSE_BAD_INPUT)
                return
            if self.relay is not None:
                try:
                    await self.relay.send(bytes_data)
                except (ConnectionError, OSError):
                    await self._relay_lost("unavailable")
            return
        if text_data is None or len(text_data) > MAX_FRAME:
            await self.close(code=CLOSE_BAD_INPUT)
            return
        try:
            message = json_loads(text_data)
            kind = message["type"] if isinstance(message, dict) else None
        except (ValueError, KeyError):
            kind = None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "start":
            # A broadcast goes out in this person's name: their session must still be signed in.
            if not await database_sync_to_async(session_is_current)(
                user=self.user, session_key=self.session_key, auth_hash=self.auth_hash
            ):
                await self.close_signed_out()
                return
            await self._start(message)
        elif kind == "stop":
            await self._stop_relay()
            await self.send_json({"type": "stopped", "reason": "stopped"})
        else:
            await self.close(code=CLOSE_BAD_INPUT)

    async def _start(self, message: dict) -> None:
        mime = message.get("mime")
        try:
            if not isinstance(mime, str) or len(mime) > 100 or not mime.lower().startswith(MIME_PREFIXES):
                raise ValueError("bad mime")
            width, height = _dimension(message.get("width")), _dimension(message.get("height"))
        except ValueError:
            await self.close(code=CLOSE_BAD_INPUT)
            return
        if self.relay is not None:
            await self.close(code=CLOSE_BAD_INPUT)  # one recording at a time on one socket
            return
        relay = await relay_open(
            event_id=self.event_id, mime=mime, width=width, height=height, audio=bool(message.get("audio", True))
        )
        if isinstance(relay, str):
            await self.send_json({"type": "refused", "reason": relay})
            return
        self.relay = relay
        self.relay_task = asyncio.ensure_future(self._watch_relay(relay))
        await self.send_json({"type": "started"})

    async def _watch_relay(self, relay: RelayConnection) -> None:
        last_word = await relay.wait_closed_by_supervisor()
        if self.relay is relay:
            await self._relay_lost(last_word.get("reason") or "unavailable")

    async def _relay_lost(self, reason: str) -> None:
        await self._stop_relay()
        with contextlib.suppress(Exception):  # the socket may be closing already
            await self.send_json({"type": "stopped", "reason": reason})

    async def _stop_relay(self) -> None:
        relay, self.relay = self.relay, None
        task, self.relay_task = self.relay_task, None
        if relay is not None:
            relay.close()
        if task is not None and task is not asyncio.current_task():
            task.cancel()
