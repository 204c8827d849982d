"""ASGI entry point: Daphne serves HTTP (Django, static files via whitenoise) and WebSockets."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from config import startup  # noqa: E402

startup.setup()
startup.verify_services()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from config.routing import websocket_urlpatterns  # noqa: E402
from streaming.video.serving import LiveMediaApp  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Live HLS playlists and segments (/live-media/…) are answered before Django: no query per request.
        "http": LiveMediaApp(django_asgi_app),
        # Origin is checked against ALLOWED_HOSTS so another site's page can't open a socket
        # with our visitors' session cookies.
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
