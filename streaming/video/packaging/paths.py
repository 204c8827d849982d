"""Where an event's live HLS lives on disk and under which URL, both derived without the database.

The directory name carries an HMAC of the event id (so even a web server that exposes MEDIA_ROOT
as it is cannot be made to list or guess it), and every playback URL carries a signed token with
an expiry: `/live-media/<event id>/<expiry>-<signature>/master.m3u8`. Expiries are rounded, so the
address is the same for every viewer for an hour (a proxy may cache the segments). Segment and playlist URIs
inside the playlists are relative, so every request a player makes carries the same token, and
the file server checks it with one HMAC — no database query per request.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

URL_PREFIX = "/live-media/"
PLAYBACK_TTL = 12 * 3600  # a viewer's page keeps playing this long without reloading
# Expiries are rounded up to this step: everyone who asks within one step gets the same address, so a
# caching proxy can serve one copy of each segment to all viewers, and a page asking again (each
# heartbeat) gets the address it already plays instead of a new one.
PLAYBACK_TOKEN_STEP = 3600
_DIR_SALT = "streaming.video.dir"
_TOKEN_SALT = "streaming.video.playback"
TOKEN = re.compile(r"^([0-9a-f]{1,12})-([0-9a-f]{32})$")


def live_root() -> Path:
    return Path(settings.LIVE_MEDIA_ROOT)


def event_dir_name(event_id: int) -> str:
    digest = salted_hmac(_DIR_SALT, str(int(event_id)), algorithm="sha256").hexdigest()
    return f"{int(event_id)}-{digest[:24]}"


def event_dir(event_id: int) -> Path:
    return live_root() / event_dir_name(event_id)


def _signature(event_id: int, expires: int) -> str:
    return salted_hmac(_TOKEN_SALT, f"{int(event_id)}:{expires}", algorithm="sha256").hexdigest()[:32]


def playback_token(event_id: int, *, now: float | None = None, ttl: int = PLAYBACK_TTL) -> str:
    """Valid for at least `ttl` seconds (up to one PLAYBACK_TOKEN_STEP more); the same all through a step."""
    earliest = int(now if now is not None else time.time()) + ttl
    expires = -(-earliest // PLAYBACK_TOKEN_STEP) * PLAYBACK_TOKEN_STEP
    return f"{expires:x}-{_signature(event_id, expires)}"


def token_valid(event_id: int, token: str, *, now: float | None = None) -> bool:
    match = TOKEN.match(token)
    if not match:
        return False
    expires = int(match.group(1), 16)
    if expires < (now if now is not None else time.time()):
        return False
    return constant_time_compare(match.group(2), _signature(event_id, expires))


def playback_path(event_id: int, *, now: float | None = None) -> str:
    return f"{URL_PREFIX}{int(event_id)}/{playback_token(event_id, now=now)}/master.m3u8"
