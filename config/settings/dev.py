"""The embedded default for a developer's machine or a demo: `make run`."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, VAR_DIR, env_bool

DEBUG = env_bool("DEBUG", True)
# A fixed key is fine for a local demo only; prod refuses to start without SECRET_KEY.
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me-in-production-3b9f1c"

# The embedded default keeps its SQLite database, media and cache under var/ (git-ignored).
VAR_DIR.mkdir(parents=True, exist_ok=True)
