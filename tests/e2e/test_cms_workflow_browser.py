"""The editorial workflow in a real browser against a real Daphne: an editor signs in to the
Wagtail admin in Chinese, writes a news article and submits it for review; a reviewer approves
it; the article then appears on /news/, in the JSON API and in the RSS feed.

As in test_portal_browser.py, every row is made before the browser starts (Playwright's sync API
runs an event loop in this thread, and Django refuses ORM calls while one runs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support import HTTP_TIMEOUT, DaphneProcess, http_session, launched_chromium, live_db

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 20_000
TITLE = "推进乡村振兴工作会议召开"


@dataclass
class Newsroom:
    editor: str
    reviewer: str
    password: str
    news_index_id: int


@pytest.fixture
def newsroom(transactional_db) -> Newsroom:
    from cms.models import NewsIndexPage
    from cms.tests.factories import editorial_groups, make_member_of
    from core.tests.factories import DEFAULT_PASSWORD
    from tests.support import unique_name

    groups = editorial_groups()
    editor = make_member_of(groups["editor"], username=unique_name("editor"), name="黄丽华")
    reviewer = make_member_of(groups["reviewer"], username=unique_name("reviewer"), name="周文博")
    return Newsroom(editor.username, reviewer.username, DEFAULT_PASSWORD, NewsIndexPage.objects.get().pk)


@pytest.fixture
def chromium(newsroom) -> Iterator:
    with launched_chromium() as browser:
        yield browser


def admin_sign_in(browser, server: DaphneProcess, username: str, password: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server.url}/admin/")
    page.wait_for_url(re.compile(r"/admin/login/"))
    # The admin speaks Chinese by default.
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{server.url}/admin/")
    return page


def footer_action(page, selector: str) -> None:
    """Click a button of the page editor's footer, opening its dropdown menu first."""
    button = page.locator(f"footer {selector}").first
    if not button.is_visible():
        page.locator("footer [data-w-dropdown-target='toggle']").last.click()
    button.click()


def test_editor_submits_reviewer_approves_article_goes_live_everywhere(chromium, daphne, newsroom):
    # The editor writes the article and submits it for review.
    editor = admin_sign_in(chromium, daphne, newsroom.editor, newsroom.password)
    editor.goto(f"{daphne.url}/admin/pages/add/cms/newspage/{newsroom.news_index_id}/")
    editor.locator("#id_title").fill(TITLE)
    editor.locator("#id_summary").fill("会议部署全年乡村振兴重点任务。")
    editor.locator("#id_source").fill("东港市融媒体中心")
    footer_action(editor, 'button[name="action-submit"]')
    # Back on the section's page list, with Wagtail's confirmation in Chinese.
    message = editor.locator(".messages li").first
    message.wait_for()
    assert "已创建并提交审核" in message.inner_text(), daphne.diagnostics()
    edit_link = message.locator("a[href*='/edit/']").get_attribute("href")
    page_id = int(re.search(r"/admin/pages/(\d+)/edit/", edit_link).group(1))

    # Not public yet.
    session = http_session()
    assert TITLE not in session.get(f"{daphne.url}/news/", timeout=HTTP_TIMEOUT).text

    # The reviewer approves it from the page editor.
    reviewer = admin_sign_in(chromium, daphne, newsroom.reviewer, newsroom.password)
    reviewer.goto(f"{daphne.url}/admin/pages/{page_id}/edit/")
    # "Approve" without a comment (the other approve button opens a comment dialog first).
    with reviewer.expect_navigation():
        footer_action(reviewer, 'button[data-workflow-action-name="approve"]:not([data-workflow-action-modal-url])')
    reviewer.locator(".messages li").first.wait_for()  # the approval is committed before this reply

    news = session.get(f"{daphne.url}/news/", timeout=HTTP_TIMEOUT)
    assert TITLE in news.text, daphne.diagnostics()
    api = session.get(f"{daphne.url}/api/news", timeout=HTTP_TIMEOUT).json()
    assert TITLE in [item["title"] for item in api["items"]]
    feed = session.get(f"{daphne.url}/feeds/news.xml", timeout=HTTP_TIMEOUT)
    assert f"<title>{TITLE}</title>" in feed.text


def test_news_reads_on_a_phone_without_sideways_scrolling(chromium, daphne, newsroom):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    for path in ("/", "/news/", "/guides/", "/services/", "/search/?q=%E6%8C%AF%E5%85%B4"):
        page.goto(f"{daphne.url}{path}")
        scroll_width, client_width = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll_width <= client_width, f"{path} scrolls sideways: {scroll_width} > {client_width}"
    # The portal's search box sends the reader to the results.
    page.goto(f"{daphne.url}/")
    page.locator(".hero-search input[name=q]").fill("振兴")
    page.locator(".hero-search button").click()
    page.wait_for_url(re.compile(r"/search/\?q="))
    assert page.locator("h1").inner_text() == "搜索"
    context.close()
