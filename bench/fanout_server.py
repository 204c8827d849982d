"""The ASGI application bench/fanout.py serves with Daphne: the product's WebSocket routes, plus the
naive consumer it is compared with. The naive consumer lives here, never in the product's routes.

Naive = the Channels tutorial pattern: every socket joins the event's group and each message is
dispatched to every consumer through the channel layer (one group_send per message, one layer
delivery and one consumer dispatch per socket). It joins the same group the product publishes to
(streaming.services.stream.event_group), so both are fed by the same service.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_fanout")

import django  # noqa: E402

django.setup()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from streaming.services.stream import event_group  # noqa: E402


class NaiveLiveConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = event_group(self.scope["url_route"]["kwargs"]["event_id"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def live_items(self, message: dict) -> None:
        for _seq, data in message["items"]:
            await self.send(text_data=data)


application = ProtocolTypeRouter(
    {
        "http": get_asgi_application(),
        "websocket": AuthMiddlewareStack(
            URLRouter([path("ws/bench/naive/<int:event_id>/", NaiveLiveConsumer.as_asgi()), *websocket_urlpatterns])
        ),
    }
)
