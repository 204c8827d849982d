"""The embedded default for a developer's machine or a demo: `make run`."""

import os
import secrets

from config.env import new_field_key, secret_file

from .base import *  # noqa: F403
from .base import FIELD_ENCRYPTION_KEY, SECRET_KEY, VAR_DIR, env_bool

DEBUG = env_bool("DEBUG", True)
# No key in the repository: each checkout generates its own on first run (var/secret_key).
SECRET_KEY = SECRET_KEY or secret_file(VAR_DIR / "secret_key", lambda: secrets.token_urlsafe(64))

# The embedded default makes its own field-encryption key on first run and keeps it under var/
# (git-ignored): never shipped in the repository, stable across restarts of one installation.
FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEY or secret_file(VAR_DIR / "field-encryption.key", new_field_key)

# The embedded default keeps its SQLite database, media and cache under var/ (git-ignored).
VAR_DIR.mkdir(parents=True, exist_ok=True)

# The demo names a plausible operator so the footer shows what a real site's does; set your own.
SITE_OPERATOR = os.environ.get("SITE_OPERATOR", "示例市委组织部（演示站点）")
SITE_CONTACT = os.environ.get("SITE_CONTACT", "0000-12345678")
