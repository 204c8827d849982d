"""The Wagtail admin an editor and a reviewer use reads Chinese: every page they open is crawled for
English words left in its text and labels (our catalogue, locale_vendor/wagtail and the data names)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from wagtail.models import Page, Workflow

from cms.tests.factories import make_image, make_member_of, make_news

pytestmark = pytest.mark.django_db

# Proper nouns, formats and units an editor may read as they are.
ALLOWED = {
    "Wagtail",
    "Markdown",
    "URL",
    "API",
    "ID",
    "HTML",
    "RSS",
    "PDF",
    "Excel",
    "Word",
    "JPEG",
    "JPG",
    "PNG",
    "GIF",
    "WEBP",
    "WebP",
    "AVIF",
    "HEIC",
    "SVG",
    "MP4",
    "MP3",
    "MOV",
    "MKV",
    "WebM",
    "WAV",
    "M4A",
    "AAC",
    "OBS",
    "RTMP",
    "HLS",
    "KB",
    "MB",
    "GB",
    "px",
    "TXT",
    "ZIP",
    "DOC",
    "DOCX",
    "XLS",
    "XLSX",
    "PPT",
    "PPTX",
    "Alt",
    "Ctrl",
    "Cmd",
    "Shift",
    "Enter",
    "Esc",
    "Tab",
    "Backspace",
    "Option",
    "Mac",
    "Windows",
    "ZH",
    "EN",
    "GMT",
    "UTC",
    "English",
    "Asia",
    "Shanghai",
    "JavaScript",
    "CSV",
    "Unicode",
}
WORD = re.compile(r"[A-Za-z][A-Za-z’']+")
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description", "data-w-tooltip-content-value"}
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "kbd", "select"}


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class TextCollector(HTMLParser):
    """The text a person can see or hear: text nodes and labels, not scripts or hidden elements."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # open elements and whether each hides its content
        self.parts: list[str] = []
        self.addresses: list[str] = []  # file names shown as text also appear in links and sources

    @property
    def skipping(self) -> bool:
        return any(hides for _tag, hides in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        hides = tag in SKIPPED_ELEMENTS or "hidden" in attributes
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.addresses.append(value)
            elif name in ATTRIBUTES and value and not (hides or self.skipping):
                self.parts.append(value)
        if tag not in VOID:
            self.stack.append((tag, hides))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def english_left(html: str, *, own: set[str]) -> dict[str, str]:
    """English words in the page's text and labels, each with the text around its first use."""
    collector = TextCollector()
    collector.feed(html)
    text = " ".join(" ".join(collector.parts).split())
    own = own | set(WORD.findall(" ".join(collector.addresses)))
    left = {}
    for match in WORD.finditer(text):
        word = match.group()
        if word not in ALLOWED and word not in own and word not in left:
            left[word] = text[max(0, match.start() - 40) : match.end() + 40]
    return left


@pytest.fixture
def editorial(groups):
    editor = make_member_of(groups["editor"], username="zhang_editor", name="张编辑")
    reviewer = make_member_of(groups["reviewer"], username="li_reviewer", name="李审核")
    news = make_news("社区开展志愿服务活动")
    image = make_image("活动照片")
    return editor, reviewer, news, image


def admin_pages(news, image) -> list[str]:
    home = Page.objects.get(depth=2)
    return [
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_explore", args=[home.pk]),
        reverse("wagtailadmin_explore", args=[news.get_parent().pk]),
        reverse("wagtailadmin_pages:edit", args=[news.pk]),
        reverse("wagtailadmin_pages:add_subpage", args=[news.get_parent().pk]),
        reverse("wagtailadmin_pages:history", args=[news.pk]),
        reverse("wagtailimages:index"),
        reverse("wagtailimages:edit", args=[image.pk]),
        reverse("wagtailimages:add"),
        reverse("wagtaildocs:index"),
        reverse("wagtaildocs:add_multiple"),
        reverse("wagtailadmin_reports:locked_pages"),
        reverse("wagtailadmin_reports:workflow"),
        reverse("wagtailadmin_reports:workflow_tasks"),
        # Not the aging-pages report: Wagtail prints "None" there for pages published by no one (migrations).
        reverse("wagtailadmin_account"),
        reverse("wagtailadmin_pages:search") + "?q=社区",
    ]


@pytest.mark.parametrize("who", ["editor", "reviewer"])
def test_admin_pages_an_editor_uses_have_no_english_left(client, editorial, who):
    editor, reviewer, news, image = editorial
    user = editor if who == "editor" else reviewer
    client.force_login(user)
    # The person's own login name and the image's file name are theirs, not the interface's.
    own = set(WORD.findall(f"{user.username} {image.file.name}".replace("_", " ")))
    failures = {}
    for url in admin_pages(news, image):
        response = client.get(url, follow=True)
        if response.status_code == 403:
            continue  # not this role's page
        assert response.status_code == 200, (url, response.status_code)
        left = english_left(response.content.decode(), own=own)
        if left:
            failures[url] = left
    assert not failures, f"English left in the admin: {failures}"


def test_workflow_and_groups_are_named_in_chinese(groups):
    assert list(Workflow.objects.values_list("name", flat=True)) == ["内容审核流程"]
    assert not Workflow.objects.filter(name__contains="Moderators").exists()
    from django.contrib.auth.models import Group

    assert not Group.objects.filter(name__in=["Moderators", "Editors"]).exists()


def test_admin_javascript_catalogue_is_chinese(client, editorial):
    client.force_login(editorial[0])
    response = client.get(reverse("wagtailadmin_javascript_catalog"))
    body = response.content.decode("unicode_escape")
    assert "此菜单中有" in body and "正在自动保存" in body


def test_admin_is_branded_with_the_platform(client, editorial):
    client.force_login(editorial[0])
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "智慧党建平台" in html and "core/img/logo" in html and "<title>" in html
    assert "- Wagtail</title>" not in html
    login = client.__class__().get(reverse("wagtailadmin_login")).content.decode()
    assert "登录智慧党建平台管理后台" in login
