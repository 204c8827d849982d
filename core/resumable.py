"""Resumable uploads (the tus 1.0.0 core protocol with its creation and termination extensions).

A large file (a lesson video of up to 4 GB) arrives as a series of PATCH requests, each well under
REQUEST_BODY_MAX_MB, so no single request holds a process's memory or its event loop for long, and a
dropped connection costs one chunk, not the file: the client asks (HEAD) how much the server has and
goes on from there, after a network drop or a page reload.

Why our own ~300 lines and not a library: the Django servers of tus on PyPI are django-tus (last
release 2020, keeps its state in the cache, no owner) and drf-tus (built on DRF views and a global
middleware, its own Upload model, no per-person limits); neither knows who owns an upload, limits
a person's uploads, or checks the content when it is complete, which is most of what is needed here.

Storage: RESUMABLE_UPLOAD_DIR/<user id>/<token>/ holds `data` (the bytes received; its size is the
offset) and `info.json` (declared length, the client's file name as a label, completeness). An upload
is reachable only by its owner: any other person gets the same 404 as for a token that never existed.
The endpoint that uses this module gives an `UploadPolicy` (who may upload, how large, which names,
what the content must be); learning.views wires it for lesson media.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from core.bodylimit import MB, body_cap

TUS_VERSION = "1.0.0"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
READ_BLOCK = 1024 * 1024
SNIFF_BYTES = 4096


def upload_root() -> Path:
    return Path(settings.RESUMABLE_UPLOAD_DIR)


def chunk_cap() -> int:
    """The largest PATCH body: RESUMABLE_CHUNK_MAX_MB, and never more than half the body cap."""
    return min(int(settings.RESUMABLE_CHUNK_MAX_MB) * MB, body_cap() // 2)


class UploadRefused(Exception):  # noqa: N818 - reads as "upload refused"
    """A request the protocol or the policy refuses: the HTTP status and a message for the person."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Upload:
    token: str
    user_id: int
    length: int
    filename: str
    created: float
    complete: bool
    folder: Path

    @property
    def data_path(self) -> Path:
        return self.folder / "data"

    @property
    def offset(self) -> int:
        try:
            return self.data_path.stat().st_size
        except FileNotFoundError:
            return 0

    def head(self) -> bytes:
        with open(self.data_path, "rb") as handle:
            return handle.read(SNIFF_BYTES)


class ResumableFile(UploadedFile):
    """A completed upload handed to code that takes an uploaded file: FileSystemStorage moves it into
    place (it has a temporary_file_path) instead of copying 4 GB; `discard()` removes what is left."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        super().__init__(
            file=open(upload.data_path, "rb"),  # noqa: SIM115 - closed by the storage or by discard()
            name=upload.filename,
            content_type="application/octet-stream",
            size=upload.length,
        )

    def temporary_file_path(self) -> str:
        return str(self.upload.data_path)

    def discard(self) -> None:
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
        shutil.rmtree(self.upload.folder, ignore_errors=True)


@dataclass(frozen=True)
class UploadPolicy:
    """What one endpoint accepts. Each check returns a message for the person, or "" when it passes."""

    may_upload: Callable[[object], bool]
    max_length: Callable[[], int]
    check_name: Callable[[str], str]
    check_content: Callable[[bytes], str]


# --- The store ------------------------------------------------------------------------------


def _user_folder(user_id: int) -> Path:
    return upload_root() / str(int(user_id))


def _read(folder: Path, token: str) -> Upload | None:
    try:
        info = json.loads((folder / "info.json").read_text())
    except (OSError, ValueError):
        return None
    return Upload(
        token=token,
        user_id=int(info["user_id"]),
        length=int(info["length"]),
        filename=str(info["filename"]),
        created=float(info["created"]),
        complete=bool(info.get("complete")),
        folder=folder,
    )


def _write_info(upload: Upload) -> None:
    info = {
        "user_id": upload.user_id,
        "length": upload.length,
        "filename": upload.filename,
        "created": upload.created,
        "complete": upload.complete,
    }
    partial = upload.folder / "info.json.tmp"
    partial.write_text(json.dumps(info, ensure_ascii=False))
    os.replace(partial, upload.folder / "info.json")  # whole or not at all


def _uploads_of(user_id: int) -> list[Upload]:
    folder = _user_folder(user_id)
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        if child.is_dir() and TOKEN.match(child.name):
            upload = _read(child, child.name)
            if upload is not None:
                found.append(upload)
    return found


@contextlib.contextmanager
def _locked(path: Path, *, wait: bool) -> Iterator[bool]:
    """An exclusive lock on path (made if missing); yields False when `wait` is off and it is held."""
    try:
        handle = open(path, "ab")  # noqa: SIM115 - closed below
    except FileNotFoundError:  # its upload was removed meanwhile
        raise Http404 from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def access_upload_by_token(user, token: str) -> Upload:
    """The person's own upload; 404 for a token that is not theirs, like one that does not exist."""
    if not (user and user.is_authenticated and TOKEN.match(token or "")):
        raise Http404
    upload = _read(_user_folder(user.pk) / token, token)
    if upload is None or upload.user_id != user.pk:
        raise Http404
    return upload


def upload_create(*, user, length: int, filename: str, max_length: int) -> Upload:
    """Reserve an upload of `length` bytes for `user`, within their limits (concurrent and total bytes)."""
    if length > max_length:
        raise UploadRefused(
            413,
            _("The file is larger than %(limit)d MB. Export it at a lower bitrate and try again.")
            % {"limit": max_length // MB},
        )
    if length <= 0:
        raise UploadRefused(400, _("The file is empty (0 bytes). Upload it again."))
    user_folder = _user_folder(user.pk)
    user_folder.mkdir(parents=True, exist_ok=True)
    # One creation at a time per person, so two tabs cannot both pass the limits below.
    with _locked(user_folder / ".lock", wait=True):
        unfinished = [u for u in _uploads_of(user.pk) if not u.complete]
        if len(unfinished) >= int(settings.RESUMABLE_UPLOADS_PER_USER):
            raise UploadRefused(
                429,
                _("You have %(count)d unfinished uploads. Finish or cancel one of them first.")
                % {"count": len(unfinished)},
            )
        held = sum(u.length for u in _uploads_of(user.pk))
        if held + length > int(settings.RESUMABLE_USER_MAX_MB) * MB:
            raise UploadRefused(
                413,
                _("Your unfinished uploads would exceed %(limit)d MB. Finish or cancel one of them first.")
                % {"limit": int(settings.RESUMABLE_USER_MAX_MB)},
            )
        token = secrets.token_urlsafe(24)
        folder = user_folder / token
        folder.mkdir(parents=True)
        upload = Upload(
            token=token,
            user_id=user.pk,
            length=length,
            filename=os.path.basename(filename)[:255],
            created=time.time(),
            complete=False,
            folder=folder,
        )
        upload.data_path.touch()
        _write_info(upload)
    return upload


def upload_append(*, upload: Upload, offset: int, body, body_length: int, check_content: Callable[[bytes], str]) -> int:
    """Append a chunk at `offset`; returns the new offset. The content is checked once it is complete."""
    if body_length > chunk_cap():
        raise UploadRefused(413, _("A chunk may be at most %(limit)d MB.") % {"limit": max(1, chunk_cap() // MB)})
    with _locked(upload.folder / "patch.lock", wait=False) as locked:
        if not locked:  # another PATCH of this upload is still running (a retry overtook its request)
            raise UploadRefused(423, _("This upload is busy; try again in a moment."))
        current = upload.offset
        if upload.complete or offset != current:
            raise UploadRefused(409, _("The server has %(offset)d bytes of this file.") % {"offset": current})
        if current + body_length > upload.length:
            raise UploadRefused(413, _("The chunk goes past the declared length of the file."))
        written = 0
        with open(upload.data_path, "ab") as data:
            # Whatever arrives is kept even if the connection breaks midway: the client resumes from it.
            while written < body_length:
                block = body.read(min(READ_BLOCK, body_length - written))
                if not block:
                    break
                data.write(block)
                written += len(block)
        new_offset = current + written
        if new_offset == upload.length:
            problem = check_content(upload.head())
            if problem:
                shutil.rmtree(upload.folder, ignore_errors=True)
                raise UploadRefused(415, problem)
            upload.complete = True
            _write_info(upload)
        return new_offset


def upload_delete(*, upload: Upload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)


def upload_take(*, user, token: str) -> ResumableFile:
    """The person's completed upload as a file to save; Http404 if it is not theirs or not complete."""
    upload = access_upload_by_token(user, token)
    if not upload.complete or upload.offset != upload.length:
        raise Http404
    return ResumableFile(upload)


def uploads_sweep(*, now: float | None = None) -> int:
    """Remove uploads nobody has written to for RESUMABLE_STALE_HOURS; returns how many went."""
    now = time.time() if now is None else now
    cutoff = now - float(settings.RESUMABLE_STALE_HOURS) * 3600
    root = upload_root()
    removed = 0
    if not root.is_dir():
        return 0
    for user_folder in root.iterdir():
        if not user_folder.is_dir():
            continue
        for folder in user_folder.iterdir():
            if not folder.is_dir():
                continue
            try:
                touched = max(p.stat().st_mtime for p in folder.iterdir())
            except (OSError, ValueError):  # empty or vanishing: a creation that never finished
                touched = folder.stat().st_mtime if folder.exists() else 0
            if touched >= cutoff:
                continue
            with _locked(folder / "patch.lock", wait=False) as locked:
                if locked:  # a PATCH running right now is not stale
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
    return removed


# --- The protocol ---------------------------------------------------------------------------


def _response(status: int, message: str = "", **headers: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _options(policy: UploadPolicy) -> HttpResponse:
    return _response(
        204,
        Tus_Version=TUS_VERSION,
        Tus_Extension="creation,termination",
        Tus_Max_Size=str(policy.max_length()),
    )


def _int_header(request: HttpRequest, name: str) -> int:
    value = request.headers.get(name, "")
    if not value.isascii() or not value.isdigit():
        raise UploadRefused(400, _("The %(header)s header is missing or not a number.") % {"header": name})
    return int(value)


def parse_metadata(value: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs (a key alone has an empty value)."""
    metadata: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in value.split(","))):
        key, _sep, encoded = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UploadRefused(400, _("The upload's metadata is not valid.")) from None
    return metadata


def _checked(request: HttpRequest, policy: UploadPolicy) -> None:
    if not (request.user.is_authenticated and policy.may_upload(request.user)):
        raise Http404  # the same answer as for an upload that is not yours
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise UploadRefused(412, _("This server speaks tus %(version)s.") % {"version": TUS_VERSION})


def tus_creation(request: HttpRequest, policy: UploadPolicy, *, location: Callable[[str], str]) -> HttpResponse:
    """OPTIONS (what the server supports) and POST (creation) on the collection."""
    if request.method == "OPTIONS":
        return _options(policy)
    try:
        _checked(request, policy)
        if request.method != "POST":
            return _response(405, Allow="OPTIONS, POST")
        if "Upload-Defer-Length" in request.headers:
            raise UploadRefused(400, _("The file's length must be given when the upload starts."))
        length = _int_header(request, "Upload-Length")
        filename = parse_metadata(request.headers.get("Upload-Metadata", "")).get("filename", "")
        problem = policy.check_name(filename)
        if problem:
            raise UploadRefused(415, problem)
        upload = upload_create(user=request.user, length=length, filename=filename, max_length=policy.max_length())
    except UploadRefused as refused:
        return _response(refused.status, refused.message, Tus_Version=TUS_VERSION)
    return _response(201, Location=location(upload.token), Upload_Offset="0")


def tus_upload(request: HttpRequest, token: str, policy: UploadPolicy) -> HttpResponse:
    """HEAD (the offset), PATCH (a chunk at the offset), DELETE (termination) on one upload."""
    if request.method == "OPTIONS":
        return _options(policy)
    try:
        _checked(request, policy)
        upload = access_upload_by_token(request.user, token)
        if request.method == "HEAD":
            return _response(200, Upload_Offset=str(upload.offset), Upload_Length=str(upload.length))
        if request.method == "DELETE":
            upload_delete(upload=upload)
            return _response(204)
        if request.method != "PATCH":
            return _response(405, Allow="OPTIONS, HEAD, PATCH, DELETE")
        if request.content_type != "application/offset+octet-stream":
            raise UploadRefused(415, _("A chunk must be sent as application/offset+octet-stream."))
        offset = _int_header(request, "Upload-Offset")
        body_length = _int_header(request, "Content-Length")
        new_offset = upload_append(
            upload=upload, offset=offset, body=request, body_length=body_length, check_content=policy.check_content
        )
    except UploadRefused as refused:
        return _response(refused.status, refused.message, Tus_Version=TUS_VERSION)
    return _response(204, Upload_Offset=str(new_offset))
