"""Lesson-media uploads through the real admin form, streamed: a body of any size, never held in memory.

The body is generated while it is sent (a repeating pseudo-random pattern, numbered per block so no
two blocks are alike) and hashed on the way, so a test can compare what the server stored with what
was sent without keeping either.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import requests
from django.contrib.auth.models import Group, Permission

from core.models import User
from core.tests.factories import Role, make_user_with_role
from tests.support import HTTP_TIMEOUT, DaphneProcess

MEDIA_ADMIN = "/admin/snippets/learning/mediaasset/"
BLOCK = 1024 * 1024


def make_media_editor() -> User:
    """An editor who may upload lesson media in Wagtail's admin."""
    user = make_user_with_role(Role.EDITOR)
    group = Group.objects.create(name=f"媒体编辑{user.pk}")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="learning", codename__in=("add_mediaasset", "change_mediaasset", "view_mediaasset")
        )
    )
    user.groups.add(group)
    return user


class StreamedUpload:
    """A multipart/form-data body (title, CSRF token, one file of `size` bytes) read in pieces."""

    def __init__(
        self, *, title: str, csrf: str, size: int, filename: str = "党课录像.mp4", seconds_at_least: float = 0.0
    ) -> None:
        # Sent no faster than size / seconds_at_least: on a quick machine the upload still lasts long
        # enough for the things measured alongside it (a test's chat lines) to happen during it.
        self.seconds_at_least = seconds_at_least
        self._started: float | None = None
        self.boundary = f"----fault{secrets.token_hex(8)}"
        self.size = size
        self.sha256 = hashlib.sha256()
        self.sent = 0
        fields = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in (("csrfmiddlewaretoken", csrf), ("title", title))
        )
        head = (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="source"; filename="{filename}"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        self._head = fields + head
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._pattern = secrets.token_bytes(BLOCK)
        self._length = len(self._head) + size + len(self._tail)
        self._pending = memoryview(self._head)
        self._offset = 0
        self._file_left = size
        self._block = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def read(self, n: int = -1) -> bytes:
        if self._offset >= len(self._pending):
            self._pending, self._offset = memoryview(self._next_piece()), 0
        n = len(self._pending) - self._offset if n is None or n < 0 else n
        out = bytes(self._pending[self._offset : self._offset + n])
        self._offset += len(out)
        self.sent += len(out)
        return out

    def _next_piece(self) -> bytes:
        if self._file_left:
            self._keep_pace()
            piece = (self._block.to_bytes(8, "big") + self._pattern[8:])[: min(BLOCK, self._file_left)]
            self._block += 1
            self._file_left -= len(piece)
            self.sha256.update(piece)
            return piece
        piece, self._tail = self._tail, b""
        return piece

    def _keep_pace(self) -> None:
        if not self.seconds_at_least:
            return
        now = time.monotonic()
        if self._started is None:
            self._started = now
        due = self._started + self.seconds_at_least * (self.size - self._file_left) / self.size
        if due > now:
            time.sleep(due - now)


def post_upload(
    server: DaphneProcess, session: requests.Session, *, title: str, size: int, seconds_at_least: float = 0.0
) -> tuple[requests.Response, StreamedUpload]:
    """GET the add form (for the CSRF cookie), then stream the upload to it as a browser would."""
    url = f"{server.url}{MEDIA_ADMIN}add/"
    page = session.get(url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, f"GET {url} → {page.status_code}{server.diagnostics()}"
    body = StreamedUpload(
        title=title, csrf=session.cookies["csrftoken"] or "", size=size, seconds_at_least=seconds_at_least
    )
    response = session.post(
        url,
        data=body,
        headers={"Content-Type": body.content_type, "Content-Length": str(len(body)), "Referer": url},
        timeout=600,
        allow_redirects=False,
    )
    return response, body
