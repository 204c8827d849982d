"""Serving files out of default_storage with byte ranges (audio players and podcast apps seek with them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def _chunks(handle, remaining: int) -> Iterator[bytes]:
    try:
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


def storage_file_response(
    request: HttpRequest,
    name: str,
    *,
    content_type: str,
    cache_control: str,
    download_name: str | None = None,
) -> HttpResponseBase:
    accel = accel_redirect_for(name)
    response: HttpResponseBase
    if accel is not None:
        # nginx keeps the headers below and adds the body, its length and byte ranges itself.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel
    else:
        response = _file_response(request, name, content_type)
        if response.status_code == 416:
            return response
        response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    if download_name:
        response["Content-Disposition"] = _attachment(download_name)
    return response


def _file_response(request: HttpRequest, name: str, content_type: str) -> HttpResponseBase:
    """The file, or the byte range the request asks for, sent from Python."""
    try:
        handle = default_storage.open(name, "rb")
        size = default_storage.size(name)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if not (match and (match.group(1) or match.group(2))):
        whole = FileResponse(handle, content_type=content_type)
        whole["Content-Length"] = str(size)
        return whole
    first, last = match.groups()
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:  # "bytes=-500": the last 500 bytes
        start = max(0, size - int(last))
        end = size - 1
    if start >= size or start > end:
        handle.close()
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    handle.seek(start)
    part = StreamingHttpResponse(_chunks(handle, end - start + 1), status=206, content_type=content_type)
    part["Content-Range"] = f"bytes {start}-{end}/{size}"
    part["Content-Length"] = str(end - start + 1)
    return part


def accel_redirect_for(name: str) -> str | None:
    """Where the web server finds `name` (a file of default_storage) when it sends media itself
    (settings.MEDIA_ACCEL_REDIRECT), or None to send it from Python. 404 for a missing file, as the
    Python path answers, so the two shapes cannot be told apart."""
    prefix = settings.MEDIA_ACCEL_REDIRECT
    if not prefix:
        return None
    try:
        local = Path(default_storage.path(name)).resolve()
    except NotImplementedError:  # object storage: nothing on this disk for the web server to send
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    if not local.is_relative_to(root) or not local.is_file():
        raise Http404
    return prefix.rstrip("/") + "/" + quote(local.relative_to(root).as_posix())


_UNSAFE_NAME = re.compile(r"[^\w\-. ]+")


def _attachment(filename: str) -> str:
    """A download name from the URL: letters (any script), digits, "-", "_", "." and spaces only."""
    filename = _UNSAFE_NAME.sub("", filename).strip(" .") or "audio.m4a"
    ascii_name = filename.encode("ascii", "ignore").decode().strip(" .") or "audio.m4a"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
