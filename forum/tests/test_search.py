"""Chinese word search over questions and answers, and the forum's part of the site search."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from core.search import SearchHit, search_providers
from forum.access import PermissionHandler
from forum.search import forum_search_provider, search_topics
from forum.selectors import topic_url
from forum.services import posts
from forum.services.policies import forum_policy_set
from forum.tests.factories import ask

pytestmark = pytest.mark.django_db


def found(user, query) -> set[int]:
    return {t.pk for t in search_topics(user, query, handler=PermissionHandler())}


def test_words_inside_phrases_in_titles_questions_and_answers(qa):
    policy = ask(qa.asker, qa.public, subject="乡村振兴衔接资金怎么申请", content="村里准备发展大棚草莓产业。")
    dues = ask(qa.asker, qa.public, subject="退休党员党费怎么计算", content="退休费每月五千元左右。")
    posts.answer_post(user=qa.answerer, topic=dues, content="离退休党员按退休费总额缴纳。")
    assert found(qa.asker, "振兴") == {policy.pk}
    assert found(qa.asker, "大棚草莓") == {policy.pk}
    assert found(qa.asker, "退休费总额") == {dues.pk}  # only in the answer
    assert found(qa.asker, "党员") == {dues.pk}
    assert found(qa.asker, "振兴 草莓") == {policy.pk}  # every word must match
    assert found(qa.asker, "振兴 党费") == set()
    assert found(qa.asker, "城市更新") == set()
    assert found(qa.asker, "   ") == set()


def test_search_respects_private_forums_and_moderation(qa):
    private = ask(qa.asker, qa.private, subject="支部换届选举安排")
    assert found(qa.answerer, "换届") == {private.pk}
    assert found(qa.outsider, "换届") == set()
    assert found(AnonymousUser(), "换届") == set()
    forum_policy_set(forum=qa.public, moderate_newcomers=True, newcomer_threshold=99)
    pending = ask(qa.outsider, qa.public, subject="等待审核的换届问题")
    assert not pending.approved
    assert found(qa.outsider, "换届") == set()


def test_site_search_provider_is_registered_and_safe(qa):
    assert search_providers()["forum"] is forum_search_provider
    public = ask(qa.asker, qa.public, subject="组织关系转接需要什么材料", content="跨省转接。")
    posts.answer_post(user=qa.answerer, topic=public, content="通过全国党员管理信息系统办理。")
    ask(qa.asker, qa.private, subject="支部组织关系转接登记")
    hits = forum_search_provider(user=qa.outsider, query="关系转接", limit=10)
    assert [h.url for h in hits] == [topic_url(public)]
    hit = hits[0]
    assert isinstance(hit, SearchHit) and hit.kind == "forum" and hit.kind_label == "问答"
    assert hit.title == "组织关系转接需要什么材料" and "跨省转接" in hit.snippet and hit.score == 2.0
    assert len(forum_search_provider(user=qa.asker, query="关系转接", limit=10)) == 2
    assert len(forum_search_provider(user=qa.asker, query="关系转接", limit=1)) == 1
    # A snippet comes from the answer when the question does not have the words.
    answer_hit = forum_search_provider(user=qa.outsider, query="管理信息系统", limit=5)[0]
    assert "管理信息系统" in answer_hit.snippet and answer_hit.score == 1.0
