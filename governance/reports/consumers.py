"""A report's open page: told when the report moves (the page then re-reads it over HTTP)."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from core.consumers import CLOSE_BAD_INPUT, CLOSE_FORBIDDEN, CLOSE_NOT_SIGNED_IN, MAX_FRAME
from core.layers import RenewedGroupsMixin
from core.socket_sessions import session_identity, socket_register, socket_unregister
from governance.reports.access import access_report_by_id
from governance.reports.services.workflow import report_group


@database_sync_to_async
def _current(user, report_id: int) -> tuple[int, str] | None:
    try:
        report = access_report_by_id(user, report_id)
    except Http404:
        return None
    return report.version, report.status


class ReportConsumer(RenewedGroupsMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        report_id = self.scope["url_route"]["kwargs"]["report_id"]
        current = await _current(user, report_id)
        if current is None:  # missing or not yours: the same answer
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.group = report_group(report_id)
        await self.groups_join(self.group)
        # The socket ends with the sign-in (sign-out, new password, deactivation), like every personal one.
        session_key, _hash = await database_sync_to_async(session_identity)(self.scope)
        await socket_register(user_id=user.pk, session_key=session_key, close=self.close_signed_out)
        seq, status = current
        # The page says which step it shows (?last=); anything newer is announced at once (replay by seq).
        try:
            last = int(
                dict(p.split("=", 1) for p in self.scope.get("query_string", b"").decode().split("&") if "=" in p).get(
                    "last", "0"
                )
            )
        except ValueError:
            last = 0
        await self.send_json({"type": "hello", "seq": seq, "status": status})
        if seq > last:
            await self.send_json({"type": "changed", "seq": seq, "status": status})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.groups_leave()
            await socket_unregister(user_id=self.user.pk, close=self.close_signed_out)

    async def close_signed_out(self) -> None:
        await self.close(code=CLOSE_NOT_SIGNED_IN)

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
        await self.send_json({"type": "pong"})

    async def report_changed(self, event: dict) -> None:
        await self.send_json({"type": "changed", "seq": event["seq"], "status": event["status"]})
