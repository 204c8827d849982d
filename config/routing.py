"""WebSocket routes of every app, gathered for config.asgi."""

from core.routing import websocket_urlpatterns as core_ws
from streaming.routing import websocket_urlpatterns as streaming_ws
from streaming.video.routing import websocket_urlpatterns as video_ws

websocket_urlpatterns = [*core_ws, *video_ws, *streaming_ws]
