"""The Q&A flow in a real browser against a real Daphne: a member asks on a phone; another member
answers; the asker asks a follow-up (追问); the answerer adds a supplementary answer (补充回答); the
asker accepts it. Each of them sees the notification arrive live in the header badge.

As in test_portal_browser.py, every row is made before the browser starts (Playwright's sync API
runs an event loop in this thread, and Django refuses ORM calls while one runs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support import DaphneProcess, launched_chromium, live_db

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 15_000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def qa_forum(people):
    """A public topic-area forum; `people.member` asks, `people.outsider` (another branch) answers."""
    from forum.services.policies import forum_create

    category = forum_create(name="党员问答", category=True)
    return forum_create(name="党务知识", parent=category)


@pytest.fixture
def chromium(qa_forum) -> Iterator:
    with launched_chromium() as browser:
        yield browser


def signed_in_page(browser, server: DaphneProcess, username: str, password: str, **context_args):
    context = browser.new_context(**context_args)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{server.url}/")
    return page


def wait_online(page) -> None:
    page.wait_for_selector('body[data-notifications="online"]')


def wait_badge(page, count: int) -> None:
    """The header badge shows `count` unread, updated by the socket without a reload."""
    page.wait_for_function(
        "n => { const b = document.getElementById('unread-badge');"
        " return b && !b.hidden && b.textContent.trim() === String(n); }",
        arg=count,
    )


def test_ask_answer_follow_up_supplement_accept_with_live_notifications(chromium, daphne, people, qa_forum):
    asker = signed_in_page(chromium, daphne, people.member.username, people.password, **PHONE)
    answerer = signed_in_page(chromium, daphne, people.outsider.username, people.password)

    # 1. The member asks, on a phone.
    asker.goto(f"{daphne.url}/forum/")
    asker.get_by_role("link", name="我要提问").click()
    asker.get_by_label("版块").select_option(label="党务知识")
    asker.get_by_label("你的问题").fill("退休党员的党费怎么计算？")
    asker.get_by_label("详细说明").fill("我今年刚退休，每月退休费 **4800** 元。")
    asker.get_by_role("button", name="发布问题").click()
    asker.wait_for_selector("article.qa-question h1")
    assert asker.locator("article.qa-question h1").inner_text() == "退休党员的党费怎么计算？"
    assert asker.locator("article.qa-question .chip.status-0").inner_text() == "待回答"
    assert asker.locator("article.qa-question strong").inner_text() == "4800"
    topic_url = asker.url
    wait_online(asker)
    # Nothing sideways on a phone.
    assert asker.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # 2. Another member answers; the asker's badge lights up without a reload.
    answerer.goto(topic_url)
    wait_online(answerer)
    answerer.get_by_label("你的回复").fill("离退休党员以每月退休费总额为基数，5000元以下（含）交0.5%。")
    answerer.get_by_role("button", name="发布回答").click()
    answerer.wait_for_selector("article.qa-answer")
    wait_badge(asker, 1)
    assert "有了新回答" in asker.locator(".toast").first.inner_text()

    # 3. The asker reloads and asks a follow-up on that answer; the answerer hears of it live.
    asker.reload()
    answer = asker.locator("article.qa-answer").first
    answer.locator("details[data-form='follow-up'] summary").click()
    answer.get_by_label("你的追问").fill("退休费里的护理补贴算不算基数？")
    answer.get_by_role("button", name="发布追问").click()
    asker.wait_for_selector("article.qa-answer li.kind-follow_up")
    assert "退休费里的护理补贴" in asker.locator("article.qa-answer li.kind-follow_up").inner_text()
    wait_badge(answerer, 1)

    # 4. The answerer adds a supplementary answer under their answer; the asker hears of it live.
    answerer.reload()
    mine = answerer.locator("article.qa-answer").first
    assert mine.locator("li.kind-follow_up").count() == 1
    mine.locator("details[data-form='supplement'] summary").click()
    mine.get_by_label("补充回答").fill("护理补贴不计入基数。")
    mine.get_by_role("button", name="发布补充回答").click()
    answerer.wait_for_selector("article.qa-answer li.kind-supplement")
    wait_badge(asker, 2)

    # 5. The asker accepts the answer: the question is solved, and the answerer is told live.
    asker.reload()
    asker.get_by_role("button", name=re.compile("采纳为最佳回答")).click()
    asker.wait_for_selector("article.qa-answer.accepted")
    assert asker.locator("article.qa-question .chip.status-2").inner_text() == "已解决"
    labels = asker.locator("article.qa-answer.accepted li .chip.kind").all_inner_texts()
    assert [label.strip() for label in labels] == ["追问", "补充回答"]
    wait_badge(answerer, 2)

    # The notifications page lists what happened, newest first, each linking to the post.
    answerer.goto(f"{daphne.url}/notifications/")
    titles = answerer.locator("#notification-list li strong").all_inner_texts()
    assert titles[0].startswith("你在“退休党员的党费怎么计算？”中的回答被采纳了")
    assert "追问了你在“退休党员的党费怎么计算？”中的回答" in titles[1]
    answerer.locator("#notification-list li strong a").first.click()
    answerer.wait_for_selector("article.qa-answer.accepted")
    asker.context.close()
    answerer.context.close()
