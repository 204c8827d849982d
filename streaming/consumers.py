"""The live event's socket, `/ws/live/<event id>/?last=<seq>&venue=<venue id>`: thin by design.

Connect: authenticate, check access (4401 not signed in, 4403 not invited or no such event), join
the process's hub for the event, then catch up: the items after `last` from the database, or a
snapshot when the client has nothing (or is too far behind). Items the hub delivers meanwhile are
held and sent after the catch-up, minus those already sent, so nothing is lost or sent twice.

Client messages (JSON): {"type": "chat"|"question", "text": …}, {"type": "second", "id": …},
{"type": "delete", "id": …} (moderators), {"type": "ping"}; an optional "ref" is echoed in the
"ack" or "error" reply. Frames over MAX_FRAME bytes, texts over the limit, unknown types and bad
JSON close with 4400.

Rate (STREAMING_CHAT_RATE, count per window): a socket's messages are acted on in order by one task,
paced by a token bucket (core.ratelimit.Pacer): `count` at once, then one every window/count
seconds. A burst, such as the one a stall of the server itself releases at once, is delivered a
little late rather than refused. Only when 2 × count messages are already waiting is a message
refused, alone, with an "error" reply (code "rate_limited"; the page keeps its text); so is one over
2 × count per window for the person across all their sockets. The socket stays open either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from core import ratelimit
from core.consumers import CLOSE_BAD_INPUT, CLOSE_FORBIDDEN, CLOSE_NOT_SIGNED_IN
from core.socket_sessions import session_identity, session_is_current, socket_register, socket_unregister
from core.textinput import json_loads
from streaming import access, selectors
from streaming.hub import EventHub, Item, batch_frame, hub_join, hub_leave
from streaming.models import ChatMessage, LiveEvent, Question
from streaming.services import chat
from streaming.services.stream import current_seq, encode, items_after
from streaming.wire import DirectWriter, frames_written

logger = logging.getLogger(__name__)

MAX_FRAME = 4096
REPLAY_LIMIT = 1000  # further behind than this, a client gets a fresh snapshot instead
TEXT_LIMITS = {"chat": chat.CHAT_MAX_CHARS, "question": chat.QUESTION_MAX_CHARS}
# No per-socket channel-layer channel: the hub subscribes once per process (see streaming/hub.py).
NO_CHANNEL_LAYER = "streaming.no-per-socket-layer"
SIGNED_OUT: dict = {"type": "signed-out"}  # _act's answer when the socket's session has ended


def rate_limit() -> tuple[int, int]:
    count, window = settings.STREAMING_CHAT_RATE
    return int(count), int(window)


class LiveEventConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = NO_CHANNEL_LAYER

    hub: EventHub | None = None
    direct: DirectWriter | None = None
    worker: asyncio.Task | None = None

    # --- connect ---------------------------------------------------------------------------

    async def connect(self) -> None:
        self.hub = None
        self.catching_up = True
        self.pending: list[Item] = []
        self.seen = 0
        self.registered = False
        count, window = rate_limit()
        self.pacer = ratelimit.Pacer(count=count, window=window)
        self.waiting: asyncio.Queue[tuple[str, dict, object]] = asyncio.Queue(maxsize=2 * count)
        user = self.scope.get("user")
        params = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        cookies = self.scope.get("cookies") or {}
        self.language = cookies.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        code = await database_sync_to_async(self._admit)(
            user, self.scope["url_route"]["kwargs"]["event_id"], params.get("venue", [None])[0]
        )
        await self.accept()
        if code:
            await self.close(code=code)
            return
        self.direct = DirectWriter.for_send(self.base_send)
        self.registered = bool(user is not None and user.is_authenticated)
        if self.registered:  # closed when this person signs out, changes password or is deactivated
            await socket_register(user_id=user.pk, session_key=self.session_key, close=self.close_signed_out)
        try:
            self.hub = await hub_join(self.event.pk, self)
            try:
                last = int(params.get("last", [""])[0])
            except ValueError:
                last = -1
            await self._catch_up(last)
        except asyncio.CancelledError:
            # Daphne cancels a consumer whose client left while it connected, without a disconnect:
            # the hub and the sign-out registry would hold this socket (and its scope) for ever.
            await self.disconnect(1006)
            raise

    def _admit(self, user, event_id, venue_id) -> int | None:
        """None when the socket may join, else the close code. Runs in a worker thread."""
        self.user = user
        self.session_key, self.auth_hash = session_identity(self.scope)
        self.venue = None
        if user is None:
            return CLOSE_NOT_SIGNED_IN
        try:
            if venue_id:
                self.event, self.venue = access.access_event_venue(user, event_id, venue_id)
            else:
                self.event = access.access_event_by_id(user, event_id)
        except Http404:
            # Missing, not allowed and a venue not theirs close alike, so ids cannot be probed; a
            # visitor who is not signed in is told to sign in, since that may be all they lack.
            return CLOSE_FORBIDDEN if user.is_authenticated else CLOSE_NOT_SIGNED_IN
        self.moderator = access.can_host_event(user, self.event)
        return None

    async def _catch_up(self, last: int) -> None:
        items, state = await database_sync_to_async(self._missed)(last)
        if state is not None:
            self.seen = state["seq"]
            await self.send(text_data=encode(state))
        else:
            self.seen = items[-1][0] if items else last
            if items:
                await self.send(text_data=batch_frame(items))
        # What the hub delivered while we read the database, minus what the database gave us.
        while self.pending:
            held, self.pending = self.pending, []
            fresh = [item for item in held if item[0] > self.seen]
            if fresh:
                self.seen = fresh[-1][0]
                await self.send(text_data=batch_frame(fresh))
        self.catching_up = False

    def _missed(self, last: int) -> tuple[list[Item], dict | None]:
        """The items after `last`, or a snapshot when there is no `last`, it is too far behind, or it is
        ahead of the database (which was reset). One trip to the database thread."""
        if last >= 0 and last <= current_seq(self.event.pk):
            items = items_after(self.event.pk, last, limit=REPLAY_LIMIT + 1)
            if len(items) <= REPLAY_LIMIT:
                return items, None
        return [], selectors.snapshot(self.event)

    async def hub_send(self, items: Sequence[Item], message: dict, wire: bytes) -> None:
        """Called by the hub with consecutive items, the websocket.send message of their frame and
        the frame itself, encoded once for all sockets."""
        if self.catching_up:
            self.pending.extend(items)
            return
        if items[-1][0] <= self.seen:
            return
        if items[0][0] <= self.seen:  # only right after a catch-up: send the part not yet sent
            items = [item for item in items if item[0] > self.seen]
            self.seen = items[-1][0]
            await self.base_send({"type": "websocket.send", "text": batch_frame(items)})
            return
        self.seen = items[-1][0]
        if self.direct is not None and self.direct.write(wire):
            frames_written["direct"] += 1
            return
        frames_written["asgi"] += 1
        await self.base_send(message)

    async def disconnect(self, code: int) -> None:
        if self.worker is not None:
            worker, self.worker = self.worker, None
            worker.cancel()
        if self.registered:
            self.registered = False
            await socket_unregister(user_id=self.user.pk, close=self.close_signed_out)
        if self.hub is not None:
            hub, self.hub = self.hub, None
            await hub_leave(hub, self)

    async def close_signed_out(self) -> None:
        await self.close(code=CLOSE_NOT_SIGNED_IN)

    # --- client messages -------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.hub is None:
            return
        if bytes_data is not None or text_data is None or len(text_data.encode()) > MAX_FRAME:
            await self.close(code=CLOSE_BAD_INPUT)
            return
        try:
            content = json_loads(text_data)  # invalid Unicode is bad input too: 4400
        except ValueError:
            await self.close(code=CLOSE_BAD_INPUT)
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send(text_data='{"type":"pong"}')
            return
        if kind not in ("chat", "question", "second", "delete"):
            await self.close(code=CLOSE_BAD_INPUT)
            return
        ref = content.get("ref")
        if not (ref is None or (isinstance(ref, (int, str)) and len(str(ref)) <= 40)):
            await self.close(code=CLOSE_BAD_INPUT)
            return
        if kind in TEXT_LIMITS:
            text = content.get("text")
            if not isinstance(text, str) or len(text) > TEXT_LIMITS[kind]:
                await self.close(code=CLOSE_BAD_INPUT)
                return
        elif not isinstance(content.get("id"), int) or isinstance(content.get("id"), bool):
            await self.close(code=CLOSE_BAD_INPUT)
            return
        if self.waiting.full():
            await self.send(text_data=encode(self._too_fast(ref)))
            return
        self.waiting.put_nowait((kind, content, ref))
        if self.worker is None:
            self.worker = asyncio.create_task(self._work())

    async def _work(self) -> None:
        """Acts on the socket's messages in the order they came, each when the pacer lets it."""
        while True:
            kind, content, ref = await self.waiting.get()
            delay = self.pacer.wait()
            if delay:
                await asyncio.sleep(delay)
            try:
                reply = await database_sync_to_async(self._act)(kind, content)
            except Exception:
                # What an exception in receive() did before messages were queued: log it, end the socket.
                logger.exception("live socket: acting on a %s message failed", kind)
                await self.close(code=1011)
                return
            if reply is SIGNED_OUT:
                await self.close_signed_out()
                return
            if reply is None:
                reply = self._too_fast(ref)
            elif ref is not None:
                reply["ref"] = ref
            await self.send(text_data=encode(reply))

    def _too_fast(self, ref) -> dict:
        with translation.override(self.language):
            reply = {
                "type": "error",
                "code": "rate_limited",
                "message": str(translation.gettext("Too many requests; wait a moment.")),
            }
        if ref is not None:
            reply["ref"] = ref
        return reply

    def _act(self, kind: str, content: dict) -> dict | None:
        """Session check, rate limit, then the one service call. None means rate limited, SIGNED_OUT
        that the session no longer signs this person in. Runs in a worker thread."""
        with translation.override(self.language):
            if not self.user.is_authenticated:
                return {
                    "type": "error",
                    "code": "sign_in",
                    "message": str(translation.gettext("Sign in to take part.")),
                }
            # The session is read again before acting as this person: signed out elsewhere, a new
            # password or a deactivation ends the socket even if the push that closes it was lost.
            if not session_is_current(user=self.user, session_key=self.session_key, auth_hash=self.auth_hash):
                return SIGNED_OUT
            # Across the person's sockets (and processes): twice what one paced socket can send.
            count, window = rate_limit()
            if ratelimit.hit(f"live:{self.event.pk}", str(self.user.pk), window=window) > 2 * count:
                return None
            try:
                obj = self._call(kind, content)
            except (ValidationError, PermissionDenied) as exc:
                message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                code = getattr(exc, "code", None) or ("forbidden" if isinstance(exc, PermissionDenied) else "invalid")
                return {"type": "error", "code": code, "message": str(message)}
            except Http404:
                return {"type": "error", "code": "not_found", "message": str(translation.gettext("It is gone."))}
        return {"type": "ack", "kind": kind, "id": obj.pk}

    def _call(self, kind: str, content: dict):
        event = LiveEvent.objects.get(pk=self.event.pk)  # fresh state: it may have ended since we joined
        if kind == "chat":
            return chat.chat_message_post(event=event, author=self.user, text=content["text"], venue=self.venue)
        if kind == "question":
            return chat.question_ask(event=event, author=self.user, text=content["text"], venue=self.venue)
        if kind == "second":
            question = Question.objects.select_related("event").filter(event=event, pk=content["id"]).first()
            if question is None:
                raise Http404
            return chat.question_second(question=question, by=self.user)
        message = ChatMessage.objects.select_related("event").filter(event=event, pk=content["id"]).first()
        if message is None:
            raise Http404
        return chat.chat_message_delete(message=message, by=self.user)
