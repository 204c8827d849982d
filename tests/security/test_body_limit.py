"""Bodies over the cap are refused with 413, in Chinese, before they are read: under WSGI (the
middleware) and under ASGI (the wrapper around Django that Daphne runs)."""

from __future__ import annotations

import asyncio

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.asgi import get_asgi_application

from core.bodylimit import MB, BodyLimitApp
from core.models import Role
from core.tests.factories import make_party_org, make_user_with_role
from tests.support import live_db

TOO_LARGE = "请求过大"


@pytest.fixture
def small_caps(settings):
    settings.REQUEST_BODY_MAX_MB = 1
    settings.LEARNING_MAX_UPLOAD_MB = 3
    return settings


@pytest.mark.django_db
def test_a_declared_length_over_the_cap_is_refused_without_reading(client, small_caps):
    # The body is not even there: only the header says 2 MB, and nothing reads it.
    response = client.generic("POST", "/accounts/login/", b"username=a", CONTENT_LENGTH=str(2 * MB))
    assert response.status_code == 413
    page = response.content.decode()
    assert TOO_LARGE in page and "1 MB" in page
    # Under the cap the request goes on as before (a sign-in form redisplayed).
    assert client.post("/accounts/login/", {"username": "a", "password": "b"}).status_code == 200


@pytest.mark.django_db
def test_the_upload_cap_is_for_signed_in_editors_in_the_admin_only(client, small_caps):
    body = b"x" * (2 * MB)
    # Anonymous: the small cap, in the admin too.
    response = client.generic("POST", "/admin/images/multiple/add/", body, content_type="application/octet-stream")
    assert response.status_code == 413
    # A member is no editor.
    client.force_login(make_user_with_role(Role.MEMBER, party_org=make_party_org()))
    response = client.generic("POST", "/admin/images/multiple/add/", body, content_type="application/octet-stream")
    assert response.status_code == 413
    # An editor may send up to the upload cap there (the view then judges the file itself) …
    editor = make_user_with_role(Role.EDITOR)
    editors = Group.objects.create(name="上传测试编辑")
    editors.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    editor.groups.add(editors)
    client.force_login(editor)
    response = client.generic("POST", "/admin/images/multiple/add/", body, content_type="application/octet-stream")
    assert response.status_code != 413
    # … but not more, and not outside the admin.
    response = client.generic("POST", "/admin/images/multiple/add/", b"x", CONTENT_LENGTH=str(4 * MB))
    assert response.status_code == 413 and "3 MB" in response.content.decode()
    assert client.generic("POST", "/forum/", body, content_type="application/octet-stream").status_code == 413


async def call_asgi(scope_headers: list, chunks: list[bytes], path: str = "/accounts/login/"):
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), *scope_headers], "client": ("127.0.0.1", 5555),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    inbox: asyncio.Queue = asyncio.Queue()
    for index, chunk in enumerate(chunks):
        inbox.put_nowait({"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1})
    read = []
    sent = []

    async def receive():
        message = await inbox.get()
        read.append(message)
        return message

    async def send(message):
        sent.append(message)

    await BodyLimitApp(get_asgi_application())(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body.decode(), len(read)


@pytest.mark.django_db(transaction=True)
async def test_asgi_refuses_by_content_length_before_django_reads_anything(small_caps):
    status, page, read = await call_asgi([(b"content-length", str(2 * MB).encode())], [b"x" * 10])
    assert status == 413 and TOO_LARGE in page
    assert read == 0


@pytest.mark.django_db(transaction=True)
async def test_asgi_stops_a_chunked_body_once_it_passes_the_cap(small_caps):
    chunks = [b"x" * (512 * 1024)] * 6  # 3 MB without a Content-Length
    status, page, read = await call_asgi([(b"content-type", b"application/octet-stream")], chunks)
    assert status == 413 and TOO_LARGE in page
    assert read == 3  # the third chunk passed 1 MB; the other three were never asked for


# --- A real gunicorn: a chunked body has no Content-Length for the middleware to read ---------------


@pytest.fixture(scope="module")
def gunicorn(live_database_url):
    from tests.support import GunicornProcess, running_servers, subprocess_env

    env = subprocess_env(DATABASE_URL=live_database_url, REQUEST_BODY_MAX_MB="1")
    with running_servers(GunicornProcess(env, "gunicorn")) as (server,):
        yield server


def chunked(total: int, piece: int = 64 * 1024):
    """A body sent as Transfer-Encoding: chunked (requests does so for a generator)."""
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        sent += size
        yield b"x" * size


@live_db  # rows the server reads must be committed; the test database must exist for it
@pytest.mark.xdist_group("body-limit-gunicorn")  # one gunicorn for both
def test_gunicorn_hands_a_chunked_form_under_the_cap_to_django(gunicorn):
    from tests.support import HTTP_TIMEOUT, http_session

    session = http_session()
    login = f"{gunicorn.url}/accounts/login/"
    assert session.get(login, timeout=HTTP_TIMEOUT).status_code == 200, gunicorn.diagnostics()
    form = f"csrfmiddlewaretoken={session.cookies['csrftoken']}&username=nobody&password=wrong".encode()
    response = session.post(
        login,
        data=iter([form[:10], form[10:]]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=HTTP_TIMEOUT,
    )
    # Read as a form: the CSRF token was found (an empty body is a 403) and the form shown again with
    # the name that was sent.
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 200, f"{response.status_code}{gunicorn.diagnostics()}"
    assert 'value="nobody"' in response.text


@live_db
@pytest.mark.xdist_group("body-limit-gunicorn")
def test_gunicorn_refuses_a_chunked_body_once_it_passes_the_cap(gunicorn):
    import select
    import socket

    with socket.create_connection(("127.0.0.1", gunicorn.port), timeout=30) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n"
        )
        piece = b"x" * (64 * 1024)
        sent = 0
        # Up to 64 MB: the answer must come long before, once the body passed 1 MB.
        while sent < 64 * MB:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        answer = b""
        sock.settimeout(30)
        try:
            while b"</html>" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    head, _, page = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), f"{head[:200]!r} after {sent} bytes{gunicorn.diagnostics()}"
    assert TOO_LARGE in page.decode() and "1 MB" in page.decode()
    assert sent < 32 * MB, f"the answer came only after {sent} bytes"
