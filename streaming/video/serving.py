"""Serving live HLS: a small ASGI app in front of Django for `/live-media/…`.

Hundreds of branch venues each fetch a playlist and a segment every second, so these requests
never reach Django's middleware (sessions, users, the forum's permission middleware would each
cost a query): the token in the path is checked with one HMAC (streaming.video.packaging.paths) and the
file is read from the event's directory. Media playlists are trimmed to the live window, once per
change of the file, not once per viewer.

Types and caching: playlists `application/vnd.apple.mpegurl` with `no-cache` (they change every
second), segments `video/mp2t` with a year's `immutable` (a segment's name is never reused).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import OrderedDict
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from streaming.video.packaging import paths
from streaming.video.packaging.playlists import live_window

PATH = re.compile(
    r"^" + re.escape(paths.URL_PREFIX) + r"(\d{1,12})/([0-9a-f-]{20,60})/"  # event id, token
    r"(?:([a-z0-9]{1,16})/)?([A-Za-z0-9_-]{1,64})\.(m3u8|ts)$"  # [rendition/]file
)
TYPES = {"m3u8": b"application/vnd.apple.mpegurl", "ts": b"video/mp2t"}
PLAYLIST_CACHE = b"no-cache"
SEGMENT_CACHE = b"public, max-age=31536000, immutable"
MAX_SEGMENT = 64 * 1024 * 1024


class LiveMediaApp:
    """Wraps the site's ASGI app; answers `/live-media/` itself and passes everything else on."""

    def __init__(self, inner, *, cache_size: int = 512) -> None:
        self.inner = inner
        self.cache_size = cache_size
        self._playlists: OrderedDict[str, tuple[int, int, bytes]] = OrderedDict()
        # Segments are handed to the web server when it sends media (MEDIA_ACCEL_REDIRECT) and the live
        # folder lies under MEDIA_ROOT, which its internal location maps; otherwise read here.
        self.media_root = Path(settings.MEDIA_ROOT).resolve()
        inside = paths.live_root().resolve().is_relative_to(self.media_root)
        prefix = settings.MEDIA_ACCEL_REDIRECT
        self.accel_prefix = prefix.rstrip("/") + "/" if prefix and inside else ""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(paths.URL_PREFIX):
            await self.inner(scope, receive, send)
            return
        status, headers, body = await self.respond(scope["method"], scope["path"])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    async def respond(self, method: str, path: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if method not in ("GET", "HEAD"):
            return 405, [(b"allow", b"GET, HEAD"), (b"content-length", b"0")], b""
        match = PATH.match(path)
        if not match:
            return _not_found()
        event_id, token, folder, name, ext = match.groups()
        if not paths.token_valid(int(event_id), token):
            return _not_found()  # the same answer as a missing file: tokens can't be probed
        file = paths.event_dir(int(event_id)) / (f"{folder}/" if folder else "") / f"{name}.{ext}"
        try:
            if ext == "m3u8":
                body = self._playlist(file, media=folder is not None)
                cache = PLAYLIST_CACHE
            elif self.accel_prefix and file.is_file():
                # The web server sends the segment itself (settings.MEDIA_ACCEL_REDIRECT).
                location = self.accel_prefix + quote(file.resolve().relative_to(self.media_root).as_posix())
                return (
                    200,
                    [
                        (b"content-type", TYPES[ext]),
                        (b"cache-control", SEGMENT_CACHE),
                        (b"x-content-type-options", b"nosniff"),
                        (b"x-accel-redirect", location.encode()),
                        (b"content-length", b"0"),
                    ],
                    b"",
                )
            else:
                body = await asyncio.to_thread(_read_segment, file)
                cache = SEGMENT_CACHE
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return _not_found()
        headers = [
            (b"content-type", TYPES[ext]),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", cache),
            (b"x-content-type-options", b"nosniff"),
        ]
        return 200, headers, body

    def _playlist(self, file: Path, *, media: bool) -> bytes:
        stat = os.stat(file)
        key = str(file)
        cached = self._playlists.get(key)
        if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
            self._playlists.move_to_end(key)
            return cached[2]
        text = file.read_text(encoding="utf-8", errors="replace")
        body = (live_window(text) if media else text).encode()
        self._playlists[key] = (stat.st_mtime_ns, stat.st_size, body)
        if len(self._playlists) > self.cache_size:
            self._playlists.popitem(last=False)
        return body


def _read_segment(file: Path) -> bytes:
    with open(file, "rb") as fh:
        data = fh.read(MAX_SEGMENT + 1)
    if len(data) > MAX_SEGMENT:
        raise FileNotFoundError(file)
    return data


def _not_found() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = b"Not Found"
    return (
        404,
        [
            (b"content-type", b"text/plain"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-cache"),
        ],
        body,
    )
