"""Production: every secret from the environment, HTTPS everywhere."""

from .base import *  # noqa: F403
from .base import CONFIG_ERROR, FIELD_ENCRYPTION_KEY, SECRET_KEY, env_bool, env_int

# Keys that were ever public (an old dev default, Django's startproject prefix) are refused like a missing one.
_PUBLIC_KEYS = ("dev-only-insecure-key", "django-insecure-", "test-only-key")
if not SECRET_KEY or len(SECRET_KEY) < 50 or SECRET_KEY.startswith(_PUBLIC_KEYS):
    # Reported as one line by manage.py/asgi.py/wsgi.py, like any other bad variable.
    CONFIG_ERROR = CONFIG_ERROR or "SECRET_KEY is missing, public or under 50 characters; set a long random value"

if not FIELD_ENCRYPTION_KEY:
    # Without it residents' ID numbers could not be stored (or read) safely: refuse to start.
    CONFIG_ERROR = CONFIG_ERROR or (
        "FIELD_ENCRYPTION_KEY is missing; set a Fernet key (python -c 'import base64,os; "
        "print(base64.urlsafe_b64encode(os.urandom(32)).decode())') and keep a copy apart from backups"
    )

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
