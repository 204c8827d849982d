"""WebSocket routes of every app, gathered for config.asgi."""

from django.conf import settings

from core.routing import websocket_urlpatterns as core_ws
from dashboards.routing import websocket_urlpatterns as dashboards_ws
from governance.reports.routing import websocket_urlpatterns as reports_ws
from streaming.routing import websocket_urlpatterns as streaming_ws

if settings.LIVE_VIDEO_ENABLED:
    from streaming.video.routing import websocket_urlpatterns as video_ws
else:
    video_ws = []

websocket_urlpatterns = [*core_ws, *reports_ws, *video_ws, *streaming_ws, *dashboards_ws]
