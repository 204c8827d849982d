"""WSGI entry point for serving pages through WSGI workers beside Daphne (see README, production)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from config import startup  # noqa: E402

# Same start-up checks as manage.py and asgi.py: a bad variable stops the worker with one line.
startup.setup()
startup.verify_services()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
