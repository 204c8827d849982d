"""WSGI entry point for serving the pages through a WSGI worker beside Daphne."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

from django.core.wsgi import get_wsgi_application  # noqa: E402

from config import startup  # noqa: E402

application = get_wsgi_application()
startup.verify_settings()
