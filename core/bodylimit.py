"""Request bodies over a cap are refused with 413 before they are read.

One body must not hold a process's memory or its event loop hostage: a 200 MB POST, even an
anonymous one that would be answered 403, used to be read whole first. Every request may carry at
most REQUEST_BODY_MAX_MB; only signed-in editors of Wagtail's admin (under UPLOAD_PATH_PREFIXES,
where lesson media are uploaded) may send up to LEARNING_MAX_UPLOAD_MB.

Lesson media normally arrive as resumable chunks well under the cap (core/resumable.py, the admin's
upload field); the editors' larger cap remains for a browser without JavaScript, which sends the file
with the form.

Three doors, because Django's ASGI handler reads the whole body before any middleware runs, and
Django's WSGI request reads only as many bytes as the Content-Length says (none for a chunked body):
- `BodyLimitApp` wraps the ASGI application (Daphne): it answers 413 from the Content-Length header
  alone, or stops a chunked body once it passes the cap, before Django reads it. It knows the path,
  not the person, so it applies the upload cap under the upload prefixes.
- `BodyLimitWSGI` wraps the WSGI application (gunicorn) for a chunked body only: it reads the body
  into a spooled file, 413 as soon as it passes the same cap, else hands it to Django with its
  length, as Daphne does. (Without it Django saw a chunked body as empty, and a form posted that way
  lost its fields.)
- `BodyLimitMiddleware` (first among Django's middleware after the proxy headers) refuses by
  Content-Length under WSGI, where the body is read only when a view asks for it, and applies the
  person rule under both.

What no door can do: Daphne (Twisted) receives the whole body, spooled to a temporary file,
before it calls the application at all. On the embedded default a large body still travels to the
server before the 413; in production the reverse proxy's own limit (nginx `client_max_body_size`,
README) stops it at the edge.
"""

from __future__ import annotations

import io
import tempfile

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

MB = 1024 * 1024
READ_SIZE = 64 * 1024
OVER_CAP = "core.bodylimit.over_cap"  # a request larger than the cap that only an editor may send


def body_cap() -> int:
    return int(settings.REQUEST_BODY_MAX_MB) * MB


def upload_cap() -> int:
    return max(body_cap(), int(settings.LEARNING_MAX_UPLOAD_MB) * MB)


def cap_for_path(path: str) -> int:
    return upload_cap() if path.startswith(tuple(settings.UPLOAD_PATH_PREFIXES)) else body_cap()


def declared_length(value: str | bytes | None) -> int | None:
    """The Content-Length, or None when there is none (or it is not a number: the server refuses it)."""
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


def too_large_response(request: HttpRequest, *, limit: int) -> HttpResponse:
    """413 in the site's language (Chinese by default), saying how large a request may be."""
    with translation.override(getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE):
        html = render_to_string("413.html", {"limit_mb": limit // MB}, request=request)
    response = HttpResponse(html, status=413)
    response["Cache-Control"] = "no-store"
    return response


def _may_upload(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.has_perm("wagtailadmin.access_admin"))


class BodyLimitMiddleware:
    """WSGI's door (also checked under ASGI, where it adds the person rule): 413 before the body is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = declared_length(request.META.get("CONTENT_LENGTH"))
        if length is not None and length > body_cap():
            limit = cap_for_path(request.path_info)
            # The person is known only after the session middleware: the upload cap is checked in
            # process_view below; here only what no one may send.
            if length > limit:
                return too_large_response(request, limit=limit)
            request.META[OVER_CAP] = True
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.META.get(OVER_CAP) and not _may_upload(request):
            return too_large_response(request, limit=body_cap())
        return None


class BodyLimitApp:
    """ASGI's door, around Django: 413 by Content-Length, or as soon as a chunked body passes the cap."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        limit = cap_for_path(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        length = declared_length(headers.get(b"content-length"))
        if length is not None and length > limit:
            return await self._refuse(scope, send, limit)
        received = 0
        over = False

        async def limited_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing
            return message

        await self.application(scope, limited_receive, send)
        if over:
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope, send, limit: int) -> None:
        from asgiref.sync import sync_to_async

        request = ASGIRequest(scope, io.BytesIO())
        request.user = AnonymousUser()
        response = await sync_to_async(too_large_response)(request, limit=limit)
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
        headers.append((b"connection", b"close"))  # the rest of the body is not wanted
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": response.content})


class BodyLimitWSGI:
    """WSGI's door for a chunked body, around Django: spooled up to the cap, 413 once it passes it."""

    def __init__(self, application) -> None:
        self.application = application

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked or environ.get("CONTENT_LENGTH"):
            return self.application(environ, start_response)
        limit = cap_for_path(environ.get("PATH_INFO", ""))
        # Memory up to Django's own in-memory upload size, a temporary file (gone when closed) beyond.
        # It outlives this call as the request's wsgi.input, so no `with`.
        body = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        size = 0
        stream = environ["wsgi.input"]
        while chunk := stream.read(READ_SIZE):
            size += len(chunk)
            if size > limit:
                # The rest stays unread: gunicorn closes a connection whose body it cannot drain quickly.
                body.close()
                return self._refuse(environ, start_response, limit)
            body.write(chunk)
        body.seek(0)
        environ["wsgi.input"] = body
        environ["CONTENT_LENGTH"] = str(size)
        return self.application(environ, start_response)

    def _refuse(self, environ, start_response, limit: int):
        request = WSGIRequest({**environ, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"})
        request.user = AnonymousUser()
        try:
            response = too_large_response(request, limit=limit)
        finally:
            close_old_connections()  # outside Django's handler: no request_finished does it
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return [response.content]
