"""Script in titles, rich text or a search query never reaches a reader as markup."""

from __future__ import annotations

from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

from cms.tests.factories import make_news

pytestmark = pytest.mark.django_db

TITLE = '<script>alert("标题")</script>乡村振兴'
BODY = (
    '<p>正文<script>alert(1)</script></p><img src="x" onerror="alert(2)">'
    '<a href="javascript:alert(3)">链接</a><p onclick="alert(4)">点击</p><iframe src="//evil"></iframe>'
)
DANGEROUS = ["<script", "onerror", "javascript:", "onclick", "<iframe"]


@pytest.fixture
def page(db):
    return make_news(TITLE, body_html=BODY, summary='<img src=x onerror="alert(5)">')


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value}>")


def assert_inert(html: str) -> None:
    """No element of `html` (as a browser parses it) runs script."""
    parser = _Elements()
    parser.feed(html)
    assert not parser.problems, parser.problems


def assert_feed_inert(xml: str) -> None:
    """Feed readers render titles and descriptions as HTML: they must be inert too."""
    for item in ElementTree.fromstring(xml).iter("item"):
        for field in ("title", "description"):
            assert_inert(item.findtext(field) or "")


def test_article_page(client, page):
    html = client.get(page.url).content.decode()
    assert "&lt;script&gt;alert(&quot;标题&quot;)&lt;/script&gt;乡村振兴" in html
    assert "正文" in html and "链接" in html and "点击" in html  # the text survives
    assert_inert(html)


def test_listings_feed_and_api(client, page):
    for url in ("/", "/news/"):
        assert_inert(client.get(url).content.decode())
    assert_feed_inert(client.get("/feeds/news.xml").content.decode())
    detail = client.get(f"/api/news/{page.pk}").json()
    assert_inert(detail["body_html"])
    assert detail["title"] == TITLE  # JSON carries the text as text; clients escape it


def test_search_results_and_query_are_escaped(client, page):
    html = client.get("/search/", {"q": "振兴"}).content.decode()
    assert "&lt;script&gt;alert(&quot;标题&quot;)&lt;/script&gt;乡村<mark>振兴</mark>" in html
    assert_inert(html)
    html = client.get("/search/", {"q": '"><script>alert(9)</script>'}).content.decode()
    assert "<script>alert(9)" not in html
    assert "&lt;script&gt;alert(9)&lt;/script&gt;" in html
