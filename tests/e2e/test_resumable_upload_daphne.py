"""A lesson video sent to a real Daphne in resumable chunks (tus): the connection drops in the middle
of a chunk, the client asks the server where it stands and goes on, the editor saves the form, and
the file ends as a transcoded lesson a member's player can load.

The drop is real: a raw socket sends a PATCH's headers and half its body, then closes. Daphne never
hands an unfinished body to the application, so the server's offset stays at the last whole chunk.
"""

from __future__ import annotations

import base64
import re
import socket
import tempfile
from pathlib import Path

import pytest

from core.tests.factories import DEFAULT_PASSWORD
from learning.models import LessonKind, MediaAsset, Topic, Visibility
from learning.services.courses import course_create, course_index_get_or_create, lesson_create
from learning.tests.factories import make_media_editor
from learning.tests.media import make_clip
from tests.support import HTTP_TIMEOUT, DaphneProcess, http_session, live_db, signed_in_session

pytestmark = [pytest.mark.daphne, live_db]

CHUNK = 48 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


def dropped_patch(server: DaphneProcess, path: str, *, offset: int, chunk: bytes, cookies: str, csrf: str) -> None:
    """Send a PATCH whose connection breaks after half of its body."""
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nTus-Resumable: 1.0.0\r\n"
        f"Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {len(chunk)}\r\nCookie: {cookies}\r\nX-CSRFToken: {csrf}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=HTTP_TIMEOUT) as raw:
        raw.sendall(head + chunk[: len(chunk) // 2])
        raw.shutdown(socket.SHUT_RDWR)


def test_a_dropped_chunk_resumes_from_the_servers_offset_and_ends_in_a_transcoded_lesson(daphne):
    editor = make_media_editor()
    with tempfile.TemporaryDirectory() as folder:
        body = make_clip(Path(folder) / "lesson.mp4", seconds=3).read_bytes()
    assert len(body) > 3 * CHUNK, len(body)

    session = signed_in_session(daphne, editor.username, DEFAULT_PASSWORD)
    session.get(f"{daphne.url}/admin/snippets/learning/mediaasset/add/", timeout=HTTP_TIMEOUT)
    csrf = session.cookies.get("csrftoken")
    headers = {**TUS, "X-CSRFToken": csrf}

    def server_offset(url: str) -> int:
        response = session.head(url, headers=headers, timeout=HTTP_TIMEOUT)
        assert response.status_code == 200, daphne.diagnostics()
        return int(response.headers["Upload-Offset"])

    def send(url: str, offset: int) -> int:
        response = session.patch(
            url,
            data=body[offset : offset + CHUNK],
            headers={**headers, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
            timeout=HTTP_TIMEOUT,
        )
        assert response.status_code == 204, f"{response.status_code} {response.text}{daphne.diagnostics()}"
        return int(response.headers["Upload-Offset"])

    created = session.post(
        f"{daphne.url}/learning/uploads/",
        headers={
            **headers,
            "Upload-Length": str(len(body)),
            "Upload-Metadata": "filename " + base64.b64encode("第三讲.mp4".encode()).decode(),
        },
        timeout=HTTP_TIMEOUT,
    )
    assert created.status_code == 201, f"{created.status_code} {created.text}{daphne.diagnostics()}"
    path = created.headers["Location"]
    url = f"{daphne.url}{path}"
    offset = send(url, send(url, 0))
    assert offset == 2 * CHUNK

    cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    dropped_patch(daphne, path, offset=offset, chunk=body[offset : offset + CHUNK], cookies=cookies, csrf=csrf)
    # Resumed: the server says what it has (the last whole chunk), and the client goes on from there.
    assert server_offset(url) == offset
    stale = session.patch(
        url,
        data=body[:CHUNK],
        headers={**headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        timeout=HTTP_TIMEOUT,
    )
    assert stale.status_code == 409 and server_offset(url) == offset
    while offset < len(body):
        offset = send(url, offset)
    assert server_offset(url) == len(body)

    # The editor saves the form with the finished upload; the task backend converts it right away.
    add = f"{daphne.url}/admin/snippets/learning/mediaasset/add/"
    token = path.rstrip("/").rsplit("/", 1)[-1]
    saved = session.post(
        add,
        data={"title": "第三讲 全面从严治党", "source_upload": token, "csrfmiddlewaretoken": csrf},
        headers={"Referer": add},
        timeout=180,
        allow_redirects=False,
    )
    assert saved.status_code == 302, f"{saved.status_code}{daphne.diagnostics()}"
    asset = MediaAsset.objects.get(title="第三讲 全面从严治党")
    assert asset.status == MediaAsset.Status.READY, asset.error_detail
    assert asset.source_name == "第三讲.mp4" and asset.source_size == len(body) and asset.renditions

    index = course_index_get_or_create()
    course = course_create(index=index, title="断点续传测试课", topic=Topic.THEORY, visibility=Visibility.PUBLIC)
    lesson = lesson_create(course=course, title="第三讲", kind=LessonKind.VIDEO, media=asset)
    reader = http_session()
    page = reader.get(f"{daphne.url}{lesson.url}", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200 and "data-player" in page.text, daphne.diagnostics()
    master = re.search(r"(/learning/media/[^\"']+?master\.m3u8)", page.text)
    assert master, "no master playlist on the lesson page"
    playlist = reader.get(daphne.url + master.group(1), timeout=HTTP_TIMEOUT)
    assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U"), playlist.status_code
