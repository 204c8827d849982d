"""The command screen's socket, `/ws/dashboards/screen/?area=<id>&last=<id>`: thin by design.

Connect: 4401 not signed in, 4403 not theirs (the city's screen is the operations centre's; a
town's or community's is its staff's and the centre's: dashboards.access.access_screen_area). The
socket joins its scope's group only. Then the catch-up: the scope's items after `last` (or none,
when too far behind) with a fresh snapshot of the scope's figures; then every push. A push that
races the catch-up may arrive twice: items carry ids and screens skip what they saw.
The only client message is {"type": "ping"}; anything else closes with 4400.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from core.consumers import CLOSE_BAD_INPUT, CLOSE_FORBIDDEN, CLOSE_NOT_SIGNED_IN
from core.layers import RenewedGroupsMixin
from core.models import Area
from dashboards.access import access_screen_area
from dashboards.screen import screen_group, screen_items_after, screen_snapshot
from dashboards.services.screen import screen_open_mark

MAX_FRAME = 1024


class ScreenConsumer(RenewedGroupsMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        params = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            self.area = await database_sync_to_async(access_screen_area)(user, params.get("area", [""])[0])
        except Http404:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = screen_group(self.area.pk if self.area is not None else None)
        await self.groups_join(self.group)
        await self._mark_open()
        await self.accept()
        try:
            last = int(params["last"][0]) if "last" in params else None
        except ValueError:
            last = None
        items, snapshot = await database_sync_to_async(self._catch_up)(self.area, last)
        await self.send_json({"type": "snapshot", "items": items, "snapshot": snapshot})

    @staticmethod
    def _catch_up(area: Area | None, last: int | None) -> tuple[list[dict], dict]:
        # Snapshot first: an item committed between the two reads is then in the items (screens skip
        # ids they saw), never missing from both.
        snapshot = screen_snapshot(area=area)
        items = screen_items_after(last, area=area) if last is not None else []
        return items or [], snapshot

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.groups_leave()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
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
        await self._mark_open()
        await self.send_json({"type": "pong"})

    async def _mark_open(self) -> None:
        # Pushes compute a town's or community's snapshot only while one of its screens is open.
        if getattr(self, "area", None) is not None:
            await sync_to_async(screen_open_mark)(area_id=self.area.pk)

    async def screen_push(self, event: dict) -> None:
        await self.send_json({"type": "push", "item": event.get("item"), "snapshot": event["snapshot"]})
