"""WSGI entry point for serving pages through WSGI workers beside Daphne (see README, production)."""

import os

# Production unless told otherwise: a server started bare must not run with DEBUG on. manage.py
# (and `manage.py serve`, which passes its settings on to Daphne) defaults to the dev settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

from config import startup  # noqa: E402

# Same start-up checks as manage.py and asgi.py: a bad variable stops the worker with one line.
startup.setup()
startup.verify_services()

from django.core.wsgi import get_wsgi_application  # noqa: E402

from core.bodylimit import BodyLimitWSGI  # noqa: E402

# A chunked request body is capped (413) and handed to Django with its length (core/bodylimit.py).
application = BodyLimitWSGI(get_wsgi_application())
