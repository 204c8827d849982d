"""A signed-in person's live channel: notifications pushed after commit."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.layers import RenewedGroupsMixin
from core.services.notifications import user_group
from core.socket_sessions import session_identity, session_is_current, socket_register, socket_unregister
from core.textinput import json_loads

CLOSE_BAD_INPUT = 4400
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
MAX_FRAME = 4096


class NotificationConsumer(RenewedGroupsMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.user = user
        self.session_key, self.auth_hash = await database_sync_to_async(session_identity)(self.scope)
        self.group = user_group(user.pk)
        await self.groups_join(self.group)
        await socket_register(user_id=user.pk, session_key=self.session_key, close=self.close_signed_out)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.groups_leave()
            await socket_unregister(user_id=self.user.pk, close=self.close_signed_out)

    async def close_signed_out(self) -> None:
        await self.close(code=CLOSE_NOT_SIGNED_IN)

    async def session_still_valid(self) -> bool:
        return await database_sync_to_async(session_is_current)(
            user=self.user, session_key=self.session_key, auth_hash=self.auth_hash
        )

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # The only message a client sends is a keep-alive ping; anything else is bad input.
        if bytes_data is not None or text_data is None or len(text_data) > MAX_FRAME:
            await self.close(code=CLOSE_BAD_INPUT)
            return
        try:
            content = json_loads(text_data)
        except ValueError:
            await self.close(code=CLOSE_BAD_INPUT)
            return
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.close(code=CLOSE_BAD_INPUT)
            return
        # Personal notifications: each message re-reads the session, in case a sign-out's push was lost.
        if not await self.session_still_valid():
            await self.close_signed_out()
            return
        await self.send_json({"type": "pong"})

    async def notification_push(self, event: dict) -> None:
        await self.send_json({"type": "notification", **event["payload"]})
