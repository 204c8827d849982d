"""Signed, expiring media URLs and podcast-feed keys: HMACs verified without a database query.

A media URL carries its permission in the path: /learning/media/<key>/<expires>/<signature>/<file>.
The signature covers the asset's storage key and the expiry, so one signature serves the master
playlist and everything it references by relative URL (variant playlists, segments, the poster),
and the media view checks it with SECRET_KEY alone. Lesson pages hand these URLs only to people
who passed the access check. Expiry times are rounded up to the hour so that one person's URLs are
stable — and cacheable by the browser — for an hour at a time.
"""

from __future__ import annotations

import hmac
import re
import time

from django.urls import reverse
from django.utils.crypto import salted_hmac

from core.textinput import ascii_int

MEDIA_SALT = "learning.media.url"
FEED_SALT = "learning.podcast.feed"
MEDIA_URL_HOURS = 6
SAFE_MEDIA_PATH = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*\.[a-z0-9]{2,5}$")
KEY = re.compile(r"^[0-9a-f]{32}$")

CONTENT_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
    "m4s": "video/mp4",
    "mp4": "video/mp4",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "jpg": "image/jpeg",
    "vtt": "text/vtt",
}


def _signature(key: str, expires: int) -> str:
    return salted_hmac(MEDIA_SALT, f"{key}:{expires}", algorithm="sha256").hexdigest()[:32]


def media_expiry(now: float | None = None, hours: int = MEDIA_URL_HOURS) -> int:
    now = time.time() if now is None else now
    return (int(now) // 3600 + 1 + hours) * 3600


def media_url(key: str, name: str, *, expires: int | None = None) -> str:
    """The signed URL of one file of a media package (e.g. "master.m3u8", "poster.jpg")."""
    expires = media_expiry() if expires is None else expires
    return reverse(
        "learning:media", kwargs={"key": key, "expires": expires, "signature": _signature(key, expires), "path": name}
    )


def media_signature_valid(key: str, expires: int, signature: str, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    if not KEY.match(key or "") or expires < now:
        return False
    return hmac.compare_digest(_signature(key, expires), signature or "")


def content_type_for(path: str) -> str | None:
    if not SAFE_MEDIA_PATH.match(path or ""):
        return None
    return CONTENT_TYPES.get(path.rsplit(".", 1)[-1])


def feed_key(user_id: int, generation: int) -> str:
    """The secret in a member's podcast URLs: <user id>-<HMAC of id and generation>."""
    digest = salted_hmac(FEED_SALT, f"{user_id}:{generation}", algorithm="sha256").hexdigest()[:32]
    return f"{user_id}-{digest}"


def feed_key_user_id(value: str) -> int | None:
    head, _, digest = (value or "").partition("-")
    user_id = ascii_int(head)
    if user_id is None or len(digest) != 32:
        return None
    return user_id


def feed_key_valid(value: str, generation: int) -> bool:
    user_id = feed_key_user_id(value)
    return user_id is not None and hmac.compare_digest(feed_key(user_id, generation), value)
