"""Uploads in the Wagtail admin: the real type is read from the bytes, limits hold, and every
rejection is explained in Chinese."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.tests.factories import jpeg_bytes, make_member_of, png_bytes
from core.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, groups):
    editor = make_member_of(groups["editor"])
    assert client.login(username=editor.username, password=DEFAULT_PASSWORD)
    return client


def upload_image(client, name: str, data: bytes, content_type: str = "image/jpeg"):
    return client.post(
        "/admin/images/add/",
        {
            "title": "测试图片",
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile(name, data, content_type=content_type),
        },
    )


def upload_document(client, name: str, data: bytes, content_type: str = "application/octet-stream"):
    return client.post(
        "/admin/documents/add/",
        {
            "title": "测试文件",
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile(name, data, content_type=content_type),
        },
    )


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_real_jpeg_is_accepted(editor_client):
    response = upload_image(editor_client, "封面.jpg", jpeg_bytes((800, 450)))
    assert response.status_code == 302
    assert get_image_model().objects.filter(title="测试图片").exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("照片.jpg", b"this is not a picture at all", "该文件不是图片，或图片已损坏"),
        ("照片.jpg", png_bytes(), "文件扩展名是 .jpeg，但文件实际是 png 图片"),
        ("截图.png", b"GIF89a" + b"\x00" * 40, "文件扩展名是 .png"),
        ("病毒.exe", jpeg_bytes(), "不支持该文件格式"),
    ],
)
def test_malformed_images_get_a_clear_chinese_error(editor_client, name, data, message):
    # The browser's MIME type is a lie the server ignores.
    response = upload_image(editor_client, name, data, content_type="image/jpeg")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not get_image_model().objects.exists()


def test_images_over_the_pixel_limit_are_refused(editor_client, settings):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 1000
    response = upload_image(editor_client, "大图.png", png_bytes((100, 100)), "image/png")
    assert "图片像素过多" in response.content.decode()
    assert not get_image_model().objects.exists()


def test_images_over_the_size_limit_are_refused(editor_client, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 100
    response = upload_image(editor_client, "大图.jpg", jpeg_bytes((400, 400)))
    assert "文件太大" in response.content.decode()


def test_real_documents_are_accepted(editor_client):
    assert upload_document(editor_client, "申请表.xlsx", xlsx_bytes()).status_code == 302
    assert upload_document(editor_client, "说明.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n").status_code == 302
    assert upload_document(editor_client, "须知.txt", "办理须知：请携带身份证。".encode()).status_code == 302
    assert get_document_model().objects.count() == 3


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("通知.pdf", b"<html><script>alert(1)</script></html>"),
        ("申请表.xlsx", zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>"})),
        ("申请表.docx", b"PK\x03\x04 broken zip"),
        ("旧表格.doc", b"plain text pretending to be Word"),
        ("须知.txt", b"\x00\x01\x02binary"),
    ],
)
def test_documents_whose_content_does_not_match_are_refused(editor_client, name, data):
    response = upload_document(editor_client, name, data, content_type="application/pdf")
    assert response.status_code == 200
    assert "但内容不是该类型的文件" in response.content.decode()
    assert not get_document_model().objects.exists()


def test_documents_over_the_size_limit_are_refused(editor_client, settings):
    settings.CMS_DOCUMENT_MAX_UPLOAD_SIZE = 10
    response = upload_document(editor_client, "说明.pdf", b"%PDF-1.4 and more than ten bytes")
    assert "文件太大" in response.content.decode()


def test_disallowed_document_types_are_refused(editor_client):
    response = upload_document(editor_client, "脚本.html", b"<script>alert(1)</script>")
    assert response.status_code == 200
    assert not get_document_model().objects.exists()
