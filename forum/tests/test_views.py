"""The Q&A pages through the test client: lists and filters, the topic page's structure, the
forms with their errors, moderation pages, and query budgets that do not grow with the content."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from machina.core.db.models import get_model

from core.tests.factories import Role, UserFactory, make_user_with_role
from forum.models import PostReport, Question
from forum.selectors import forum_url, topic_url
from forum.services import posts
from forum.services.policies import forum_create, forum_policy_set
from forum.tests.factories import ask, grant_moderator

pytestmark = pytest.mark.django_db

Post = get_model("forum_conversation", "Post")
Topic = get_model("forum_conversation", "Topic")


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def topic_ids(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'data-topic="(\d+)"', html)}


@pytest.fixture
def three_states(qa):
    unanswered = ask(qa.asker, qa.public, subject="流动党员怎么参加组织生活？")
    answered = ask(qa.asker, qa.public, subject="入党积极分子培养多久？")
    posts.answer_post(user=qa.answerer, topic=answered, content="一年以上。")
    solved = ask(qa.asker, qa.public, subject="党费按什么标准缴纳？")
    answer = posts.answer_post(user=qa.answerer, topic=solved, content="按工资比例。")
    posts.answer_accept(user=qa.asker, answer=answer)
    return {"unanswered": unanswered, "answered": answered, "solved": solved}


def test_lists_filter_by_state(client, qa, three_states):
    for url in ("/forum/", forum_url(qa.public)):
        assert topic_ids(html_of(client.get(url))) == {t.pk for t in three_states.values()}
        for status, topic in three_states.items():
            page = html_of(client.get(url, {"status": status}))
            assert topic_ids(page) == {topic.pk}, (url, status)
            assert 'aria-current="page"' in page
    # Unknown filters show everything rather than failing.
    assert len(topic_ids(html_of(client.get("/forum/", {"status": "bogus"})))) == 3


def test_index_counts_questions_by_state_and_lists_forums(client, qa, three_states):
    page = html_of(client.get("/forum/"))
    assert "待回答 <span>1</span>" in page and "已解决 <span>1</span>" in page
    assert f'data-forum="{qa.public.pk}"' in page
    assert f'data-forum="{qa.private.pk}"' not in page  # anonymous visitor


def test_topic_page_nests_follow_ups_and_supplements_under_their_answer(client, qa):
    topic = ask(qa.asker, qa.public)
    first = posts.answer_post(user=qa.answerer, topic=topic, content="第一条回答")
    second = posts.answer_post(user=qa.outsider, topic=topic, content="第二条回答")
    follow = posts.follow_up_post(user=qa.asker, target=first, content="针对第一条的追问")
    supplement = posts.supplement_post(user=qa.answerer, answer=first, content="对第一条的补充回答")
    on_question = posts.follow_up_post(user=qa.outsider, target=topic.first_post, content="对问题本身的追问")
    posts.answer_accept(user=qa.asker, answer=second)
    page = html_of(client.get(topic_url(topic)))
    articles = dict(re.findall(r'<article class="qa-card qa-[a-z]+[^"]*" id="post-(\d+)"(.*?)</article>', page, re.S))
    assert list(articles) == [str(topic.first_post_id), str(second.pk), str(first.pk)]  # accepted answer first
    assert f'id="post-{follow.pk}"' in articles[str(first.pk)]
    assert f'id="post-{supplement.pk}"' in articles[str(first.pk)]
    assert f'id="post-{on_question.pk}"' in articles[str(topic.first_post_id)]
    assert "已采纳" in articles[str(second.pk)] and "已采纳" not in articles[str(first.pk)]


def test_permalink_finds_the_page_of_a_post(client, qa, settings):
    topic = ask(qa.asker, qa.public)
    answers = [posts.answer_post(user=qa.answerer, topic=topic, content=f"回答{i}") for i in range(23)]
    follow = posts.follow_up_post(user=qa.asker, target=answers[22], content="追问最后一条")
    response = client.get(reverse("qa:post", args=[follow.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{topic_url(topic)}?page=2#post-{follow.pk}"
    assert client.get(reverse("qa:post", args=[answers[0].pk]))["Location"].endswith(
        f"{topic_url(topic)}#post-{answers[0].pk}"
    )
    # Accepting the last answer moves it to the top of page 1.
    posts.answer_accept(user=qa.asker, answer=answers[22])
    assert client.get(reverse("qa:post", args=[follow.pk]))["Location"].endswith(f"#post-{follow.pk}")
    assert "?page=" not in client.get(reverse("qa:post", args=[follow.pk]))["Location"]
    page2 = html_of(client.get(topic_url(topic), {"page": 2}))
    assert f'id="post-{answers[21].pk}"' in page2 and f'id="post-{answers[22].pk}"' not in page2


def test_asking_through_the_form(client, qa):
    client.force_login(qa.asker)
    form = html_of(client.get(reverse("qa:ask")))
    assert f'<option value="{qa.private.pk}"' in form and f'<option value="{qa.public.pk}"' in form
    response = client.post(
        reverse("qa:ask"), {"forum": qa.public.pk, "subject": "三会一课多久开一次？", "content": "请教各位。"}
    )
    topic = Topic.objects.get(subject="三会一课多久开一次？")
    assert response.status_code == 302 and response["Location"] == topic_url(topic)
    assert Question.objects.get(pk=topic.pk).status == Question.Status.UNANSWERED
    # Errors come back in Chinese, with what was typed kept.
    page = html_of(client.post(reverse("qa:ask"), {"forum": qa.public.pk, "subject": "党费", "content": "我的长问题"}))
    assert "确保该值不少于 4 个字符" in page or "至少" in page
    assert "我的长问题" in page
    page = html_of(client.post(reverse("qa:ask"), {"forum": qa.public.pk, "subject": "党费怎么交？", "content": ""}))
    assert "请填写内容。" in page
    # A forum the member cannot post in is not among the choices, nor accepted.
    client.force_login(qa.outsider)
    page = html_of(client.post(reverse("qa:ask"), {"forum": qa.private.pk, "subject": "混进来提问", "content": "x"}))
    assert "混进来提问" in page and not Topic.objects.filter(subject="混进来提问").exists()
    assert client.get(f"/forum/forum/{qa.private.slug}-{qa.private.pk}/topic/create/").status_code == 404


def test_answer_follow_up_supplement_and_accept_through_the_pages(client, qa):
    topic = ask(qa.asker, qa.public)
    client.force_login(qa.answerer)
    answer_url = reverse(
        "forum_conversation:post_create",
        kwargs={"forum_slug": qa.public.slug, "forum_pk": qa.public.pk, "topic_slug": topic.slug, "topic_pk": topic.pk},
    )
    response = client.post(answer_url, {"content": "按月缴纳。"})
    answer = Post.objects.filter(topic=topic).latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("qa:post", args=[answer.pk])
    client.force_login(qa.asker)
    client.post(reverse("qa:follow_up", args=[answer.pk]), {"content": "可以按季度吗？"})
    page = html_of(client.get(topic_url(topic)))
    assert "可以按季度吗？" in page and 'data-action="accept"' in page
    # Only the answer's author is offered the supplement form.
    assert 'data-form="supplement"' not in page
    assert client.post(reverse("qa:supplement", args=[answer.pk]), {"content": "我来补充"}).status_code == 403
    client.force_login(qa.answerer)
    assert 'data-form="supplement"' in html_of(client.get(topic_url(topic)))
    client.post(reverse("qa:supplement", args=[answer.pk]), {"content": "特殊情况可以按季度。"})
    client.force_login(qa.asker)
    response = client.post(reverse("qa:accept", args=[answer.pk]))
    assert response.status_code == 302
    page = html_of(client.get(topic_url(topic)))
    assert "已解决" in page and 'data-action="unaccept"' in page
    # An empty reply is refused with the reason, on a page that keeps the form.
    response = client.post(reverse("qa:follow_up", args=[answer.pk]), {"content": "  "})
    assert response.status_code == 400 and "请填写内容。" in response.content.decode()


def test_rate_limit_message_keeps_the_text(client, qa, settings):
    settings.FORUM_POST_RATE_LIMITS = ((1, 60),)
    topic = ask(qa.asker, qa.public)
    client.force_login(qa.answerer)
    client.post(reverse("qa:follow_up", args=[topic.first_post_id]), {"content": "第一条"})
    response = client.post(reverse("qa:follow_up", args=[topic.first_post_id]), {"content": "第二条写了很久"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "1 分钟内最多发帖 1 次，请稍等片刻再试。" in page and "第二条写了很久" in page


def test_anonymous_visitors_read_but_are_asked_to_sign_in_to_post(client, qa):
    topic = ask(qa.asker, qa.public)
    page = html_of(client.get(topic_url(topic)))
    assert "登录后回答" in page and 'data-form="follow-up"' not in page
    response = client.post(reverse("qa:follow_up", args=[topic.first_post_id]), {"content": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_anonymous_reading_stores_no_session(client, qa):
    from django.contrib.sessions.models import Session

    topic = ask(qa.asker, qa.public)
    for url in (forum_url(qa.public), topic_url(topic), reverse("forum:index")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "sessionid" not in response.cookies, url
    assert Session.objects.count() == 0


def test_edit_and_delete(client, qa):
    topic = ask(qa.asker, qa.public, subject="原来的标题", content="原来的内容")
    client.force_login(qa.asker)
    edit_url = reverse(
        "forum_conversation:post_update",
        kwargs={
            "forum_slug": qa.public.slug,
            "forum_pk": qa.public.pk,
            "topic_slug": topic.slug,
            "topic_pk": topic.pk,
            "pk": topic.first_post_id,
        },
    )
    assert "原来的内容" in html_of(client.get(edit_url))
    client.post(edit_url, {"subject": "新的标题", "content": "新的内容"})
    topic.refresh_from_db()
    assert topic.subject == "新的标题"
    # Members may not delete; a moderator may.
    delete_url = edit_url.replace("/post/update/", "/post/delete/")
    assert client.get(delete_url).status_code == 404
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    client.force_login(moderator)
    assert "整个问题及其所有回答都会被删除" in html_of(client.get(delete_url))
    response = client.post(delete_url)
    assert response.status_code == 302 and not Topic.objects.filter(pk=topic.pk).exists()


def test_report_and_moderation_pages(client, qa):
    forum_policy_set(forum=qa.public, moderate_newcomers=True, newcomer_threshold=1)
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    topic = ask(moderator, qa.public)
    queued = posts.answer_post(user=qa.answerer, topic=topic, content="等待审核的回答")
    visible = posts.answer_post(user=moderator, topic=topic, content="版主的回答")
    client.force_login(qa.asker)
    assert client.get(reverse("forum_moderation:queue")).status_code == 404
    response = client.post(reverse("qa:report", args=[visible.pk]), {"reason": "misleading", "detail": "不准确"})
    assert response.status_code == 302 and PostReport.objects.filter(post=visible).exists()
    page = html_of(client.post(reverse("qa:report", args=[visible.pk]), {"reason": "misleading"}))
    assert "你已经举报过这个帖子。" in page

    client.force_login(moderator)
    page = html_of(client.get(reverse("forum_moderation:queue")))
    assert "等待审核的回答" in page and "不准确" in page
    client.post(reverse("forum_moderation:approve_queued_post", args=[queued.pk]))
    assert Post.objects.get(pk=queued.pk).approved
    report = PostReport.objects.get(post=visible)
    client.post(reverse("qa:report_resolve", args=[report.pk]), {"action": "dismiss"})
    report.refresh_from_db()
    assert report.status == PostReport.Status.DISMISSED
    page = html_of(client.get(reverse("forum_moderation:queue")))
    assert "没有待审核的帖子。" in page and "没有待处理的举报。" in page


def test_search_finds_a_word_inside_a_longer_phrase(client, qa):
    revitalise = ask(qa.asker, qa.public, subject="乡村振兴衔接资金怎么申请？", content="村里想发展草莓产业。")
    dues = ask(qa.asker, qa.public, subject="退休党员党费怎么计算？", content="退休费5000元。")
    posts.answer_post(user=qa.answerer, topic=dues, content="按退休费总额的百分之零点五缴纳。")
    for query, expected in (("振兴", revitalise), ("草莓", revitalise), ("党费", dues), ("总额", dues)):
        page = html_of(client.get(reverse("forum_search:search"), {"q": query}))
        assert f'href="{topic_url(expected)}"' in page, query
        assert f"<mark>{query}</mark>" in page
    page = html_of(client.get(reverse("forum_search:search"), {"q": "城市更新"}))
    assert "没有找到结果" in page


# --- Query budgets ------------------------------------------------------------------------------


def _queries(client, url) -> int:
    """Queries of a page in the steady state: the first visit also starts an anonymous visitor's
    session and records the member's first reading of a topic, which later visits do not repeat."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow_forums(qa, n: int) -> None:
    for i in range(n):
        forum = forum_create(name=f"学习园地{i}", parent=qa.public.parent)
        ask(qa.asker, forum, subject=f"第{i}个版块的问题")


@pytest.mark.parametrize("signed_in", [False, True])
def test_forum_index_queries_do_not_grow_with_forums_and_topics(client, qa, signed_in):
    if signed_in:
        client.force_login(qa.asker)
    for i in range(3):
        ask(qa.asker, qa.public, subject=f"问题{i}")
    small = _queries(client, "/forum/")
    _grow_forums(qa, 6)
    for i in range(25):
        topic = ask(qa.answerer, qa.public, subject=f"更多问题{i}")
        posts.answer_post(user=qa.asker, topic=topic, content="回答")
    assert _queries(client, "/forum/") == small
    assert small <= (21 if signed_in else 14)


@pytest.mark.parametrize("signed_in", [False, True])
def test_forum_page_queries_do_not_grow_with_topics(client, qa, signed_in):
    if signed_in:
        client.force_login(qa.asker)
    for i in range(3):
        ask(qa.asker, qa.public, subject=f"问题{i}")
    small = _queries(client, forum_url(qa.public))
    for i in range(40):
        topic = ask(qa.answerer, qa.public, subject=f"更多问题{i}")
        posts.answer_post(user=make_user_with_role(Role.MEMBER, party_org=qa.branch), topic=topic, content="回答")
    assert _queries(client, forum_url(qa.public)) == small
    assert _queries(client, forum_url(qa.public) + "?status=answered&page=2") == small
    assert small <= (21 if signed_in else 16)


@pytest.mark.parametrize("signed_in", [False, True])
def test_long_topic_page_queries_do_not_grow_with_posts(client, qa, settings, signed_in):
    """A topic with 250 posts (answers, follow-ups, supplements by many members) costs the same
    number of queries as one with a handful."""
    settings.FORUM_POST_RATE_LIMITS = ((10_000, 60),)
    if signed_in:
        client.force_login(qa.asker)
    short = ask(qa.asker, qa.public, subject="短问题")
    for i in range(2):
        answer = posts.answer_post(user=qa.answerer, topic=short, content=f"回答{i}")
        posts.follow_up_post(user=qa.asker, target=answer, content="追问")
    small = _queries(client, topic_url(short))

    long = ask(qa.asker, qa.public, subject="长问题")
    people = [make_user_with_role(Role.MEMBER, party_org=qa.branch) for _ in range(12)]
    answers = []
    for i in range(40):
        author = people[i % len(people)]
        answer = posts.answer_post(user=author, topic=long, content=f"第{i}条回答，**要点**如下。")
        answers.append(answer)
        for j in range(2):
            follow = posts.follow_up_post(user=people[(i + j + 1) % len(people)], target=answer, content="追问")
            posts.supplement_post(user=author, answer=answer, content=f"补充{j}")
            assert follow.approved
    for j in range(50):
        posts.follow_up_post(user=people[j % len(people)], target=long.first_post, content=f"对问题的追问{j}")
    posts.answer_accept(user=qa.asker, answer=answers[-1])
    long = Topic.objects.get(pk=long.pk)
    assert long.posts_count >= 200
    page_one = _queries(client, topic_url(long))
    assert page_one == small
    assert _queries(client, topic_url(long) + "?page=2") == small
    assert small <= (22 if signed_in else 16)
    # Page one shows 20 answers with all their follow-ups and supplements, and the question's 50.
    page = html_of(client.get(topic_url(long)))
    assert page.count('data-kind="answer"') == 20 and page.count('data-kind="supplement"') == 40
    assert page.count('data-kind="follow_up"') == 40 + 50
