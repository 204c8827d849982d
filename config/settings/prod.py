"""Production: every secret from the environment, HTTPS everywhere."""

from .base import *  # noqa: F403
from .base import CONFIG_ERROR, SECRET_KEY, env_bool, env_int

if not SECRET_KEY or len(SECRET_KEY) < 50:
    # Reported as one line by manage.py/asgi.py, like any other bad variable.
    CONFIG_ERROR = CONFIG_ERROR or "SECRET_KEY is missing or shorter than 50 characters; set a long random value"

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
