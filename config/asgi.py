"""ASGI entry point: Daphne serves HTTP (Django, static files via whitenoise) and WebSockets."""

import os
from typing import Any

# Production unless told otherwise: a server started bare must not run with DEBUG on. manage.py
# (and `manage.py serve`, which passes its settings on to Daphne) defaults to the dev settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

from config import startup  # noqa: E402

startup.setup()
startup.verify_services()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from core.bodylimit import BodyLimitApp  # noqa: E402
from core.security import SameOriginValidator  # noqa: E402

http_app: Any = django_asgi_app
if settings.LIVE_VIDEO_ENABLED:
    from streaming.video.serving import LiveMediaApp  # noqa: E402

    # Live HLS playlists and segments (/live-media/…) are answered before Django: no query per request.
    http_app = LiveMediaApp(django_asgi_app)

application = ProtocolTypeRouter(
    {
        # A body over the cap is refused (413) before Django reads it (core/bodylimit.py).
        "http": BodyLimitApp(http_app),
        # Only our own pages (same host and port, or CSRF_TRUSTED_ORIGINS) may open a socket with our
        # visitors' session cookies: not another site, nor another service on another port of this host.
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
