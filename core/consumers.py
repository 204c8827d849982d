"""A signed-in person's live channel: notifications pushed after commit."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.services.notifications import user_group

CLOSE_BAD_INPUT = 4400
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_RATE_LIMITED = 4429
MAX_FRAME = 4096


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # The only message a client sends is a keep-alive ping; anything else is bad input.
        if bytes_data is not None or text_data is None or len(text_data) > MAX_FRAME:
            await self.close(code=CLOSE_BAD_INPUT)
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            await self.close(code=CLOSE_BAD_INPUT)
            return
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.close(code=CLOSE_BAD_INPUT)
            return
        await self.send_json({"type": "pong"})

    async def notification_push(self, event: dict) -> None:
        await self.send_json({"type": "notification", **event["payload"]})
