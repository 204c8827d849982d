"""Chinese word search over questions and answers, and the forum's part of the site search."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from core.search import SearchHit, search_providers
from core.tests.factories import Role, make_user_with_role
from forum.access import PermissionHandler, Post
from forum.models import Question
from forum.search import SCORE_ANSWERS_ONLY, SCORE_SUBJECT_PHRASE, forum_search_provider, search_topics
from forum.selectors import topic_url
from forum.services import moderation, posts, question_from_live
from forum.services.index import question_index_rebuild
from forum.services.policies import forum_policy_set
from forum.tests.factories import ask, grant_moderator

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
    assert hit.title == "组织关系转接需要什么材料" and "跨省转接" in hit.snippet and hit.score == SCORE_SUBJECT_PHRASE
    assert len(forum_search_provider(user=qa.asker, query="关系转接", limit=10)) == 2
    assert len(forum_search_provider(user=qa.asker, query="关系转接", limit=1)) == 1
    # A snippet comes from the answer when the question does not have the words.
    answer_hit = forum_search_provider(user=qa.outsider, query="管理信息系统", limit=5)[0]
    assert "管理信息系统" in answer_hit.snippet and answer_hit.score == SCORE_ANSWERS_ONLY


def _live(qa, *, question_text, event_title, forum=None):
    host = make_user_with_role(Role.MEMBER, party_org=qa.branch)
    return question_from_live(
        host=host,
        forum=forum or qa.public,
        question_text=question_text,
        asker_name="分会场观众",
        answer_text="可以线上缴纳。",
        event_title=event_title,
    )


def test_the_origin_line_of_a_live_question_is_not_indexed(qa):
    topic = _live(qa, question_text="党费可以在手机上交吗？", event_title="乡村振兴政策解读直播课")
    assert found(qa.asker, "党费") == {topic.pk}
    # The event's title is only in the line the platform adds, so the question is not about it.
    assert found(qa.asker, "乡村振兴") == set()
    assert found(qa.asker, "分会场观众") == set()
    # Rebuilt after an edit or a removal, it still leaves the line out.
    question_index_rebuild(question=Question.objects.get(pk=topic.pk))
    assert found(qa.asker, "乡村振兴") == set() and found(qa.asker, "手机") == {topic.pk}


def test_a_queued_live_question_approved_later_leaves_the_origin_line_out(qa):
    forum_policy_set(forum=qa.public, moderate_newcomers=True, newcomer_threshold=3)
    topic = _live(qa, question_text="流动党员怎么交党费？", event_title="乡村振兴政策解读直播课")
    moderator = make_user_with_role(Role.MEMBER, party_org=qa.branch)
    grant_moderator(moderator, qa.public)
    for post in Post.objects.filter(topic=topic).order_by("created", "pk"):
        moderation.post_approve(user=moderator, post=post)
    assert found(qa.asker, "流动党员") == {topic.pk}
    assert found(qa.asker, "乡村振兴") == set()


def test_questions_rank_by_where_they_match_and_below_official_content_of_the_same_kind(qa):
    in_subject = ask(qa.asker, qa.public, subject="乡村振兴衔接资金怎么申请", content="想了解流程。")
    in_body = ask(qa.asker, qa.public, subject="草莓大棚补贴", content="听说乡村振兴有专项资金。")
    in_answer = ask(qa.asker, qa.public, subject="村集体经济怎么发展", content="想听听大家的意见。")
    posts.answer_post(user=qa.answerer, topic=in_answer, content="可以结合乡村振兴项目。")
    hits = {h.title: h.score for h in forum_search_provider(user=qa.asker, query="乡村振兴", limit=10)}
    assert hits[in_subject.subject] > hits[in_body.subject] > hits[in_answer.subject]
    # cms.search scores a news title holding the query 1.0 and a news body match 0.5.
    assert max(hits.values()) < 1.0 and hits[in_body.subject] < 0.5


def test_the_same_question_asked_again_is_one_result(qa):
    first = ask(qa.asker, qa.public, subject="党费按什么标准缴纳？", content="在职党员。")
    again = ask(qa.answerer, qa.public, subject="党费按什么标准缴纳？", content="退休党员。")
    answer = posts.answer_post(user=qa.asker, topic=first, content="按工资收入比例缴纳。")
    posts.answer_accept(user=qa.asker, answer=answer, handler=PermissionHandler())
    ask(qa.answerer, qa.public, subject="请教：党费按什么标准缴纳？", content="预备党员。")  # the same, politely
    other = ask(qa.asker, qa.public, subject="党费可以在手机上交吗？", content="在外地。")
    hits = forum_search_provider(user=qa.asker, query="党费", limit=10)
    assert sorted(h.url for h in hits) == sorted([topic_url(first), topic_url(other)])  # the solved copy
    assert topic_url(again) not in {h.url for h in hits}
    # The forum's own search still lists every thread.
    assert len(found(qa.asker, "党费")) == 4


def test_the_words_put_before_a_question_are_not_indexed(qa):
    polite = ask(qa.asker, qa.public, subject="【提问】退休党员党费怎么计算？", content="每月五千元。")
    asking = ask(qa.asker, qa.public, subject="请教：组织关系怎么转？", content="跨省调动。")
    assert found(qa.asker, "提问") == set() and found(qa.asker, "请教") == set()
    assert found(qa.asker, "党费") == {polite.pk} and found(qa.asker, "组织关系") == {asking.pk}


def test_in_the_site_search_matching_news_comes_before_questions_that_only_mention_the_words(qa):
    from cms.search import site_search
    from cms.tests.factories import make_news

    news_title = make_news("全市召开推进乡村振兴工作会议").title
    news_body = make_news("东港市部署春耕生产", body_html="<p>落实乡村振兴战略，抓好粮食生产。</p>").title
    in_body = ask(qa.asker, qa.public, subject="草莓大棚补贴", content="听说乡村振兴有专项资金。")
    # Matches only through the line under a live question: not a result at all.
    _live(qa, question_text="党费可以在手机上交吗？", event_title="乡村振兴政策解读直播课")
    titles = [h.title for h in site_search(user=qa.asker, query="乡村振兴")]
    assert titles.index(news_title) < titles.index(news_body) < titles.index(in_body.subject)
    assert "党费可以在手机上交吗？" not in titles


def test_forum_reindex_brings_questions_written_before_to_the_current_rules(qa):
    from io import StringIO

    from django.core.management import call_command

    topic = _live(qa, question_text="党费可以在手机上交吗？", event_title="乡村振兴政策解读直播课")
    # As the index was before: the origin line and a polite prefix indexed with the question.
    from core.search import index_terms

    old = index_terms("党费可以在手机上交吗？", "分会场观众在直播《乡村振兴政策解读直播课》中提问。")
    Question.objects.filter(pk=topic.pk).update(search_terms=f" {old} ")
    assert found(qa.asker, "乡村振兴") == {topic.pk}
    out = StringIO()
    call_command("forum_reindex", stdout=out)
    assert "1 questions reindexed" in out.getvalue()
    assert found(qa.asker, "乡村振兴") == set() and found(qa.asker, "手机") == {topic.pk}
