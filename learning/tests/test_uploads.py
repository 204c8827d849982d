"""Resumable uploads of lesson media (tus 1.0.0 through /learning/uploads/, core/resumable.py): offsets,
refusals, ownership, per-person limits, the sweep, and the admin form that turns a finished upload into
a media asset exactly as a file sent with the form would be."""

from __future__ import annotations

import base64
import os
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client

from core.models import User
from core.resumable import uploads_sweep
from core.tests.factories import DEFAULT_PASSWORD
from learning.models import MediaAsset
from learning.tests.factories import make_media_editor
from learning.tests.media import make_clip
from learning.uploads import sniff_media

pytestmark = pytest.mark.django_db

ENDPOINT = "/learning/uploads/"
BASE = "/admin/snippets/learning/mediaasset/"
TUS: dict[str, Any] = {"HTTP_TUS_RESUMABLE": "1.0.0"}
MP4_HEAD = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.RESUMABLE_UPLOAD_DIR = tmp_path / "uploads"
    return tmp_path / "uploads"


def editor(*codenames: str) -> tuple[User, Client]:
    user = make_media_editor(*codenames)
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return user, client


def uploader() -> Client:
    return editor("add_mediaasset", "change_mediaasset", "view_mediaasset")[1]


def create(client: Client, length: int, name: str = "党课.mp4", **headers):
    metadata = "filename " + base64.b64encode(name.encode()).decode()
    return client.post(ENDPOINT, HTTP_UPLOAD_LENGTH=str(length), HTTP_UPLOAD_METADATA=metadata, **{**TUS, **headers})


def patch(client: Client, url: str, offset: int, chunk: bytes, **headers):
    return client.generic(
        "PATCH",
        url,
        chunk,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **{**TUS, **headers},
    )


def offset_of(client: Client, url: str) -> int:
    response = client.head(url, **TUS)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return int(response["Upload-Offset"])


def test_the_server_says_what_it_supports():
    response = uploader().options(ENDPOINT)
    assert response.status_code == 204 and response["Tus-Version"] == "1.0.0"
    assert response["Tus-Extension"] == "creation,termination"
    assert int(response["Tus-Max-Size"]) == django_settings.LEARNING_MAX_UPLOAD_MB * 1024 * 1024


def test_chunks_go_up_at_the_servers_offset_and_a_wrong_offset_is_refused():
    client = uploader()
    body = MP4_HEAD + os.urandom(3000)
    created = create(client, len(body))
    assert created.status_code == 201 and created["Tus-Resumable"] == "1.0.0"
    url = created["Location"]
    assert url.startswith(ENDPOINT) and offset_of(client, url) == 0

    first = patch(client, url, 0, body[:1000])
    assert first.status_code == 204 and first["Upload-Offset"] == "1000"
    # The client lost the answer and sends the same chunk again: refused, nothing appended twice.
    again = patch(client, url, 0, body[:1000])
    assert again.status_code == 409 and "1000" in again.content.decode()
    assert offset_of(client, url) == 1000
    ahead = patch(client, url, 2000, body[2000:])
    assert ahead.status_code == 409 and offset_of(client, url) == 1000

    # Resumed from what the server says it has.
    offset = offset_of(client, url)
    done = patch(client, url, offset, body[offset:])
    assert done.status_code == 204 and int(done["Upload-Offset"]) == len(body)
    assert patch(client, url, len(body), b"x").status_code == 409  # complete: nothing more goes in


def test_protocol_errors_are_refused_with_their_status():
    client = uploader()
    assert client.post(ENDPOINT, HTTP_UPLOAD_LENGTH="10").status_code == 412  # no Tus-Resumable
    assert client.post(ENDPOINT, **TUS).status_code == 400  # no Upload-Length
    assert client.post(ENDPOINT, HTTP_UPLOAD_DEFER_LENGTH="1", **TUS).status_code == 400
    assert client.post(ENDPOINT, HTTP_UPLOAD_LENGTH="10", HTTP_UPLOAD_METADATA="filename ***", **TUS).status_code == 400
    assert create(client, 10, name="setup.exe").status_code == 415
    url = create(client, 10)["Location"]
    wrong_type = client.generic(
        "PATCH", url, b"x", content_type="application/octet-stream", HTTP_UPLOAD_OFFSET="0", **TUS
    )
    assert wrong_type.status_code == 415
    assert client.put(url, b"x", **TUS).status_code == 405


def test_oversize_files_and_chunks_get_413(settings):
    settings.LEARNING_MAX_UPLOAD_MB = 1
    client = uploader()
    too_big = create(client, 1024 * 1024 + 1)
    assert too_big.status_code == 413 and "1 MB" in too_big.content.decode()
    url = create(client, 100)["Location"]
    past_the_end = patch(client, url, 0, MP4_HEAD + b"\0" * 100)
    assert past_the_end.status_code == 413 and offset_of(client, url) == 0
    settings.RESUMABLE_CHUNK_MAX_MB = 0  # every chunk is then larger than the cap
    assert patch(client, url, 0, MP4_HEAD).status_code == 413


def test_someone_elses_upload_is_not_found():
    owner = uploader()
    url = create(owner, 5000)["Location"]
    assert patch(owner, url, 0, MP4_HEAD).status_code == 204
    other = uploader()
    assert other.head(url, **TUS).status_code == 404
    assert patch(other, url, len(MP4_HEAD), b"x" * 10).status_code == 404
    assert other.delete(url, **TUS).status_code == 404
    assert other.head(f"{ENDPOINT}{'A' * 32}/", **TUS).status_code == 404  # as for one that never existed
    # Without the permission to add media, or signed out: the same 404, for the upload and the collection.
    _viewer, viewer = editor("view_mediaasset")
    assert viewer.head(url, **TUS).status_code == 404
    assert create(viewer, 10).status_code == 404
    anonymous = Client()
    assert anonymous.head(url, **TUS).status_code == 404
    assert offset_of(owner, url) == len(MP4_HEAD)
    # The owner may end it (termination); then it is gone.
    assert owner.delete(url, **TUS).status_code == 204
    assert owner.head(url, **TUS).status_code == 404


def test_a_finished_file_that_is_no_media_is_refused_and_removed(upload_dir):
    client = uploader()
    body = b"%PDF-1.7 not a video at all" * 10
    url = create(client, len(body), name="会议.mp4")["Location"]
    response = patch(client, url, 0, body)
    assert response.status_code == 415 and "not a video or audio file" in response.content.decode()
    assert client.head(url, **TUS).status_code == 404
    assert not any(p.is_file() and p.name == "data" for p in upload_dir.rglob("*"))


def test_each_person_has_limits_on_unfinished_uploads(settings):
    settings.RESUMABLE_UPLOADS_PER_USER = 2
    settings.RESUMABLE_USER_MAX_MB = 1
    client = uploader()
    assert create(client, 400_000).status_code == 201
    over_total = create(client, 700_000)
    assert over_total.status_code == 413 and "1 MB" in over_total.content.decode()
    assert create(client, 100_000).status_code == 201
    third = create(client, 10)
    assert third.status_code == 429 and "2 unfinished uploads" in third.content.decode()
    assert create(uploader(), 10).status_code == 201  # another person's limits are their own


def test_the_minute_job_removes_uploads_nobody_wrote_to_for_a_day(upload_dir):
    client = uploader()
    stale = create(client, 5000)["Location"]
    fresh = create(client, 5000)["Location"]
    patch(client, fresh, 0, MP4_HEAD)
    day_ago = time.time() - 25 * 3600
    stale_folder = next(p for p in upload_dir.rglob("*") if p.is_dir() and stale.rstrip("/").endswith(p.name))
    for path in [stale_folder, *stale_folder.iterdir()]:
        os.utime(path, (day_ago, day_ago))
    call_command("uploads_sweep")
    assert client.head(stale, **TUS).status_code == 404
    assert offset_of(client, fresh) == len(MP4_HEAD)
    assert uploads_sweep(now=time.time() + 25 * 3600) == 1


def test_the_admin_form_turns_a_finished_upload_into_a_media_asset(
    media_root, tmp_path, upload_dir, django_capture_on_commit_callbacks
):
    user, client = editor("add_mediaasset", "change_mediaasset", "view_mediaasset")
    body = make_clip(tmp_path / "lecture.mp4", seconds=2).read_bytes()
    url = create(client, len(body), name="七一党课.mp4")["Location"]
    offset = 0
    while offset < len(body):
        offset = int(patch(client, url, offset, body[offset : offset + 20_000])["Upload-Offset"])
    token = url.rstrip("/").split("/")[-1]

    page = client.get(f"{BASE}add/").content.decode()
    assert "data-resumable" in page and "learning/js/resumable_upload.js" in page

    # Another person cannot use the token.
    other = uploader()
    refused = other.post(f"{BASE}add/", {"title": "别人的", "source_upload": token})
    assert refused.status_code == 200 and "was not found" in refused.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}add/", {"title": "七一党课录像", "source_upload": token})
    asset = MediaAsset.objects.get(title="七一党课录像")
    assert response.status_code == 302 and response["Location"] == f"{BASE}edit/{asset.pk}/"
    assert asset.created_by == user and asset.source_name == "七一党课.mp4" and asset.source_size == len(body)
    assert asset.source.name.endswith(".mp4") and "七一" not in asset.source.name
    assert (media_root / asset.source.name).read_bytes() == body
    assert asset.status == MediaAsset.Status.READY, asset.error_detail
    assert not any(upload_dir.rglob("data")) and client.head(url, **TUS).status_code == 404
    # The token was used once; sending it again finds nothing.
    again = client.post(f"{BASE}add/", {"title": "再来一次", "source_upload": token})
    assert again.status_code == 200 and "was not found" in again.content.decode()

    # A new file for the same asset comes the same way; the old upload is removed once it is replaced.
    old_source = asset.source.name
    audio = make_clip(tmp_path / "audio.m4a", seconds=1, video=False).read_bytes()
    url = create(client, len(audio), name="录音.m4a")["Location"]
    assert patch(client, url, 0, audio).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{BASE}edit/{asset.pk}/", {"title": "七一党课录音", "source_upload": url.rstrip("/").split("/")[-1]}
        )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.source_name == "录音.m4a" and asset.source_size == len(audio) and asset.kind == "audio"
    assert not (media_root / old_source).exists() and not any(upload_dir.rglob("data"))


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (MP4_HEAD, "mp4"),
        (b"\x1a\x45\xdf\xa3\x01\x00", "matroska"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "riff"),
        (b"ID3\x04\x00", "mp3"),
        (b"\xff\xfb\x90\x00", "mpeg-audio"),
        (b"OggS\x00\x02", "ogg"),
        (b"MZ\x90\x00", None),
        (b"%PDF-1.7", None),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_the_sniff_knows_media_from_other_files(head, expected):
    assert sniff_media(head) == expected
