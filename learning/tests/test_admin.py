"""The Wagtail admin for media files: upload, live status, retry, cancel, permissions, choosing in a lesson."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.tests.factories import DEFAULT_PASSWORD, Role, make_user_with_role
from learning.models import MediaAsset
from learning.tests.factories import make_ready_asset
from learning.tests.media import make_clip

pytestmark = pytest.mark.django_db

BASE = "/admin/snippets/learning/mediaasset/"


def editor_client(*codenames: str) -> Client:
    user = make_user_with_role(Role.EDITOR)
    group = Group.objects.create(name=f"媒体编辑{user.pk}")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    group.permissions.add(*Permission.objects.filter(content_type__app_label="learning", codename__in=codenames))
    user.groups.add(group)
    client = Client()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


def test_an_editor_uploads_a_video_and_watches_it_become_ready(
    media_root, tmp_path, django_capture_on_commit_callbacks
):
    client = editor_client("add_mediaasset", "change_mediaasset", "view_mediaasset")
    clip = make_clip(tmp_path / "lecture.mp4", seconds=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{BASE}add/",
            {
                "title": "七一党课录像",
                "source": SimpleUploadedFile("七一党课.MP4", clip.read_bytes(), content_type="video/mp4"),
            },
        )
    asset = MediaAsset.objects.get(title="七一党课录像")
    assert response.status_code == 302 and response["Location"] == f"{BASE}edit/{asset.pk}/"
    assert asset.source_name == "七一党课.MP4" and asset.source.name.endswith(".mp4")
    assert "七一" not in asset.source.name  # stored under our own random name
    assert asset.status == MediaAsset.Status.READY, asset.error_detail

    page = client.get(f"{BASE}edit/{asset.pk}/").content.decode()
    assert "data-media-status" in page and "360p" in page and "learning/js/admin_media.js" in page
    status = client.get(f"{BASE}status/{asset.pk}/").json()
    assert status["status"] == "ready" and status["progress"] == 1.0 and status["renditions"] == ["360p"]
    assert status["can_retry"] and not status["can_cancel"]
    listing = client.get(BASE).content.decode()
    assert "七一党课录像" in listing
    # The editor could leave the page: a site notification tells them it is ready.
    from core.models import Notification

    note = Notification.objects.get(kind="learning.media.ready")
    assert note.recipient_id == asset.created_by_id and "七一党课录像" in note.title
    assert note.url == f"{BASE}edit/{asset.pk}/"


def test_a_broken_upload_shows_its_error_and_can_be_retried(media_root, django_capture_on_commit_callbacks):
    client = editor_client("add_mediaasset", "change_mediaasset", "view_mediaasset")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{BASE}add/", {"title": "错误文件", "source": SimpleUploadedFile("a.mp4", b"hello, not a video")})
    asset = MediaAsset.objects.get(title="错误文件")
    assert asset.status == MediaAsset.Status.FAILED
    from core.models import Notification

    assert "无法转码" in Notification.objects.get(kind="learning.media.failed", recipient=asset.created_by).title
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"  # English only by the person's own choice
    status = client.get(f"{BASE}status/{asset.pk}/").json()
    assert "not a video or audio file" in status["error"] and status["can_retry"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}retry/{asset.pk}/")
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.attempt == 2 and asset.status == MediaAsset.Status.FAILED
    # Cancelling something that is not running says so instead of pretending.
    response = client.post(f"{BASE}cancel/{asset.pk}/", follow=True)
    assert "This file is not being converted." in response.content.decode()


def test_cancelling_a_queued_job(media_root):
    client = editor_client("change_mediaasset", "view_mediaasset")
    asset = MediaAsset.objects.create(title="排队中", source="learning/sources/x.mp4", status="queued", attempt=1)
    assert client.get(f"{BASE}status/{asset.pk}/").json()["can_cancel"]
    client.post(f"{BASE}cancel/{asset.pk}/")
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.CANCELLED and asset.error_code == "cancelled"
    # The queued task, when a worker picks it up, finds nothing to do.
    from learning.services.media import media_asset_process

    assert media_asset_process(asset_id=asset.pk, attempt=1) == "skipped"


def test_empty_large_and_wrongly_named_uploads_are_refused_by_the_form(media_root, settings):
    settings.LEARNING_MAX_UPLOAD_MB = 1
    client = editor_client("add_mediaasset", "change_mediaasset", "view_mediaasset")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    big = SimpleUploadedFile("big.mp4", b"\0" * (1024 * 1024 + 1))
    response = client.post(f"{BASE}add/", {"title": "太大", "source": big})
    assert "larger than 1 MB" in response.content.decode()
    for upload in (SimpleUploadedFile("empty.mp4", b""), SimpleUploadedFile("virus.exe", b"MZ...")):
        response = client.post(f"{BASE}add/", {"title": "坏文件", "source": upload})
        assert response.status_code == 200  # the form again, with the error
    assert not MediaAsset.objects.exists()
    response = client.post(f"{BASE}add/", {"title": "没有文件"})
    assert "Choose a video or audio file to upload." in response.content.decode()


def test_people_without_the_permission_get_nothing(media_root, world):
    asset = make_ready_asset()
    viewer = editor_client("view_mediaasset")  # may look, not change
    assert viewer.get(f"{BASE}status/{asset.pk}/").status_code in (302, 403)
    assert viewer.post(f"{BASE}retry/{asset.pk}/").status_code in (302, 403)
    asset.refresh_from_db()
    assert asset.attempt == 0
    member = Client()
    assert member.login(username=world.people["member_a1"].username, password=DEFAULT_PASSWORD)
    for url in (BASE, f"{BASE}status/{asset.pk}/"):
        assert member.get(url).status_code == 302  # to the admin login: no admin access at all


def test_a_file_in_use_by_a_lesson_cannot_be_deleted(world):
    client = editor_client("change_mediaasset", "view_mediaasset", "delete_mediaasset")
    client.post(f"{BASE}delete/{world.asset.pk}/")  # refused: Wagtail sees the lessons that protect it
    assert MediaAsset.objects.filter(pk=world.asset.pk).exists()
    unused = make_ready_asset(title="没人用")
    key = unused.storage_key
    from django.core.files.storage import default_storage

    assert default_storage.exists(f"learning/media/{key}/master.m3u8")
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"{BASE}delete/{unused.pk}/")
    assert response.status_code == 302 and not MediaAsset.objects.filter(pk=unused.pk).exists()
    assert not default_storage.exists(f"learning/media/{key}/master.m3u8")
