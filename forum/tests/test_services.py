"""The Q&A as real state: questions, answers, follow-ups, supplements, accepting, notifications,
rate limits, pre-moderation, reports, edits and removals, and questions from live events."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from machina.core.db.models import get_model

from core.models import Notification
from core.services.notifications import user_group
from core.tests.factories import Role, UserFactory, make_user_with_role
from forum.models import PostReport, PostRole, Question
from forum.services import moderation, posts, question_from_live
from forum.services.policies import forum_policy_set
from forum.tests.factories import ask, grant_moderator

pytestmark = pytest.mark.django_db

Forum = get_model("forum", "Forum")
Post = get_model("forum_conversation", "Post")
Topic = get_model("forum_conversation", "Topic")
ForumProfile = get_model("forum_member", "ForumProfile")


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True))


def state(topic) -> Question:
    return Question.objects.get(pk=topic.pk)


def assert_machina_counters(topic) -> None:
    """machina's denormalised counters agree with the rows."""
    topic = Topic.objects.get(pk=topic.pk)
    approved = list(topic.posts.filter(approved=True).order_by("created", "pk"))
    assert topic.posts_count == len(approved)
    assert topic.first_post_id == topic.posts.order_by("created", "pk").first().pk
    assert topic.last_post_id == approved[-1].pk
    forum = Forum.objects.get(pk=topic.forum_id)
    published = forum.topics.filter(approved=True)
    assert forum.direct_topics_count == published.count()
    assert forum.direct_posts_count == sum(t.posts_count for t in published)


def test_the_whole_exchange(qa, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        topic = ask(qa.asker, qa.public)
    assert state(topic).status == Question.Status.UNANSWERED
    assert PostRole.objects.get(post_id=topic.first_post_id).kind == PostRole.Kind.QUESTION

    with django_capture_on_commit_callbacks(execute=True):
        answer = posts.answer_post(user=qa.answerer, topic=topic, content="退休党员按退休费总额的0.5%或1%缴纳。")
    assert state(topic).status == Question.Status.ANSWERED and state(topic).answers_count == 1
    assert kinds(qa.asker) == ["forum.answer"] and kinds(qa.answerer) == []

    with django_capture_on_commit_callbacks(execute=True):
        follow = posts.follow_up_post(user=qa.asker, target=answer, content="退休费里的护理补贴算不算？")
    assert follow.qa.kind == PostRole.Kind.FOLLOW_UP and follow.qa.parent_id == answer.pk
    assert kinds(qa.answerer) == ["forum.follow_up"]  # the asker is not told about their own follow-up
    assert kinds(qa.asker) == ["forum.answer"]

    with django_capture_on_commit_callbacks(execute=True):
        supplement = posts.supplement_post(user=qa.answerer, answer=answer, content="护理补贴不计入基数。")
    assert supplement.qa.kind == PostRole.Kind.SUPPLEMENT and supplement.qa.parent_id == answer.pk
    assert kinds(qa.asker) == ["forum.answer", "forum.supplement"]
    # Follow-ups and supplements are not answers.
    assert state(topic).answers_count == 1

    with django_capture_on_commit_callbacks(execute=True):
        posts.answer_accept(user=qa.asker, answer=answer)
    question = state(topic)
    assert question.status == Question.Status.SOLVED and question.accepted_answer_id == answer.pk
    assert question.accepted_by == qa.asker
    assert kinds(qa.answerer) == ["forum.follow_up", "forum.accepted"]
    assert_machina_counters(topic)
    note = Notification.objects.filter(recipient=qa.answerer, kind="forum.accepted").get()
    assert note.url == f"/forum/post/{answer.pk}/" and topic.subject in note.title


def test_notifications_are_pushed_to_the_recipients_socket_after_commit(qa, django_capture_on_commit_callbacks):
    topic = ask(qa.asker, qa.public)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(qa.asker.pk), channel)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        posts.answer_post(user=qa.answerer, topic=topic, content="按月缴纳。")
    assert callbacks, "nothing is pushed before the commit"
    for callback in callbacks:
        callback()
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "notification.push"
    assert message["payload"]["kind"] == "forum.answer" and message["payload"]["unread"] == 1


def test_follow_up_on_the_question_tells_the_asker(qa):
    topic = ask(qa.asker, qa.public)
    posts.follow_up_post(user=qa.answerer, target=topic.first_post, content="同问，流动党员怎么交？")
    assert kinds(qa.asker) == ["forum.follow_up"]
    # A third member's follow-up on an answer reaches both the answerer and the asker.
    answer = posts.answer_post(user=qa.answerer, topic=topic, content="按月缴纳。")
    third = make_user_with_role(Role.MEMBER, party_org=qa.branch)
    posts.follow_up_post(user=third, target=answer, content="那按季度交行不行？")
    assert kinds(qa.answerer) == ["forum.follow_up"]
    assert kinds(qa.asker) == ["forum.follow_up", "forum.answer", "forum.follow_up"]


def test_notification_text_is_in_the_sites_language_whoever_posts(qa):
    topic = ask(qa.asker, qa.public, subject="党费怎么交")
    with translation.override("en"):
        posts.answer_post(user=qa.answerer, topic=topic, content="按月缴纳。")
    note = Notification.objects.get(recipient=qa.asker)
    assert note.title == "你的问题“党费怎么交”有了新回答"
    assert note.body.startswith(qa.answerer.get_full_name())


def test_only_the_author_or_a_moderator_supplements_an_answer(qa):
    topic = ask(qa.asker, qa.public)
    answer = posts.answer_post(user=qa.answerer, topic=topic, content="按月缴纳。")
    with pytest.raises(PermissionDenied):
        posts.supplement_post(user=qa.asker, answer=answer, content="我来补充")
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    posts.supplement_post(user=moderator, answer=answer, content="版主补充：可以线上缴纳。")
    # A supplement hangs under an answer, never under the question or another reply.
    with pytest.raises(ValidationError):
        posts.supplement_post(user=qa.asker, answer=topic.first_post, content="x")
    follow = posts.follow_up_post(user=qa.asker, target=answer, content="线上在哪交？")
    with pytest.raises(ValidationError):
        posts.follow_up_post(user=qa.answerer, target=follow, content="x")


def test_the_accepted_answer_can_be_changed_and_withdrawn(qa):
    topic = ask(qa.asker, qa.public)
    first = posts.answer_post(user=qa.answerer, topic=topic, content="第一种说法。")
    other = make_user_with_role(Role.MEMBER, party_org=qa.branch)
    second = posts.answer_post(user=other, topic=topic, content="第二种说法更准确。")
    posts.answer_accept(user=qa.asker, answer=first)
    posts.answer_accept(user=qa.asker, answer=second)
    assert state(topic).accepted_answer_id == second.pk and state(topic).status == Question.Status.SOLVED
    assert kinds(other) == ["forum.accepted"]
    posts.answer_accept(user=qa.asker, answer=second)  # accepting it again tells nobody twice
    assert kinds(other) == ["forum.accepted"]
    posts.answer_unaccept(user=qa.asker, topic=topic)
    assert state(topic).accepted_answer_id is None and state(topic).status == Question.Status.ANSWERED


def test_only_the_asker_or_a_moderator_accepts(qa):
    topic = ask(qa.asker, qa.public)
    answer = posts.answer_post(user=qa.answerer, topic=topic, content="按月缴纳。")
    with pytest.raises(PermissionDenied):
        posts.answer_accept(user=qa.answerer, answer=answer)
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    posts.answer_accept(user=moderator, answer=answer)
    assert state(topic).accepted_by == moderator
    with pytest.raises(ValidationError):  # only an answer can be accepted
        posts.answer_accept(user=qa.asker, answer=topic.first_post)


def test_posting_too_fast_is_refused_with_a_clear_message(qa, settings):
    settings.FORUM_POST_RATE_LIMITS = ((2, 60), (100, 3600))
    topic = ask(qa.asker, qa.public)
    posts.answer_post(user=qa.answerer, topic=topic, content="一")
    posts.answer_post(user=qa.answerer, topic=topic, content="二")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        posts.answer_post(user=qa.answerer, topic=topic, content="三")
    assert refused.value.code == "rate_limited"
    assert refused.value.messages == ["1 分钟内最多发帖 2 次，请稍等片刻再试。"]
    assert Post.objects.filter(topic=topic).count() == 3  # nothing was saved
    # Someone else is not held back by it.
    posts.answer_post(user=qa.outsider, topic=topic, content="四")


def test_newcomers_wait_for_a_moderator_in_a_premoderated_forum(qa, django_capture_on_commit_callbacks):
    forum_policy_set(forum=qa.public, moderate_newcomers=True, newcomer_threshold=1)
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    topic = ask(moderator, qa.public, subject="欢迎大家提问")  # moderators post freely
    assert topic.approved
    newcomer = make_user_with_role(Role.MEMBER, party_org=qa.branch)
    with django_capture_on_commit_callbacks(execute=True):
        queued = posts.answer_post(user=newcomer, topic=topic, content="请问党费能代交吗？")
    assert not queued.approved
    assert state(topic).answers_count == 0 and kinds(moderator) == []
    assert Topic.objects.get(pk=topic.pk).posts_count == 1

    with pytest.raises(PermissionDenied):
        moderation.post_approve(user=qa.asker, post=queued)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.post_approve(user=moderator, post=queued)
    assert state(topic).answers_count == 1 and state(topic).status == Question.Status.ANSWERED
    assert kinds(moderator) == ["forum.answer"] and kinds(newcomer) == ["forum.moderated"]
    assert ForumProfile.objects.get(user=newcomer).posts_count == 1
    assert_machina_counters(topic)
    # With one approved post the newcomer is trusted.
    assert posts.answer_post(user=newcomer, topic=topic, content="补充一句").approved


def test_a_refused_post_is_removed_and_its_author_told(qa):
    forum_policy_set(forum=qa.public, moderate_newcomers=True, newcomer_threshold=5)
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    queued = posts.question_ask(user=qa.asker, forum=qa.public, subject="广告", content="加微信领福利")
    assert not queued.topic.approved
    moderation.post_disapprove(user=moderator, post=queued)
    assert not Topic.objects.filter(pk=queued.topic_id).exists()
    assert kinds(qa.asker) == ["forum.moderated"]


def test_reports_reach_the_moderators_who_dismiss_or_remove(qa):
    topic = ask(qa.asker, qa.public)
    answer = posts.answer_post(user=qa.answerer, topic=topic, content="加我微信，包办入党。")
    report = moderation.report_create(user=qa.asker, post=answer, reason=PostReport.Reason.SPAM, detail="广告")
    with pytest.raises(ValidationError):
        moderation.report_create(user=qa.asker, post=answer, reason=PostReport.Reason.SPAM)
    with pytest.raises(ValidationError):
        moderation.report_create(user=qa.answerer, post=answer, reason=PostReport.Reason.SPAM)
    second = moderation.report_create(user=qa.outsider, post=answer, reason=PostReport.Reason.ABUSE)
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    with pytest.raises(PermissionDenied):
        moderation.report_resolve(user=qa.outsider, report=report, remove_post=True)
    moderation.report_resolve(user=moderator, report=report, remove_post=True)
    assert not Post.objects.filter(pk=answer.pk).exists()
    report.refresh_from_db()
    second.refresh_from_db()
    assert report.status == second.status == PostReport.Status.REMOVED
    assert report.post_excerpt.startswith("加我微信") and report.handled_by == moderator
    assert state(topic).answers_count == 0 and state(topic).status == Question.Status.UNANSWERED


def test_removing_an_answer_removes_its_thread_and_acceptance(qa):
    topic = ask(qa.asker, qa.public)
    answer = posts.answer_post(user=qa.answerer, topic=topic, content="按月缴纳。")
    keep = posts.answer_post(user=qa.outsider, topic=topic, content="也可以按季度。")
    follow = posts.follow_up_post(user=qa.asker, target=answer, content="为什么？")
    supplement = posts.supplement_post(user=qa.answerer, answer=answer, content="规定如此。")
    posts.answer_accept(user=qa.asker, answer=answer)
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    with pytest.raises(PermissionDenied):  # members cannot delete posts in this forum
        posts.post_delete(user=qa.answerer, post=answer)
    posts.post_delete(user=moderator, post=answer)
    assert not Post.objects.filter(pk__in=[answer.pk, follow.pk, supplement.pk]).exists()
    question = state(topic)
    assert question.accepted_answer_id is None and question.answers_count == 1
    assert question.status == Question.Status.ANSWERED
    assert Post.objects.filter(pk=keep.pk).exists()
    assert_machina_counters(topic)
    # Removing the question removes the topic.
    posts.post_delete(user=moderator, post=Post.objects.get(pk=topic.first_post_id))
    assert not Topic.objects.filter(pk=topic.pk).exists() and not Question.objects.filter(pk=topic.pk).exists()


def test_editing_the_question_updates_title_and_search_terms(qa):
    topic = ask(qa.asker, qa.public, subject="党费问题", content="怎么交？")
    assert " 党费 " in state(topic).search_terms
    posts.post_edit(
        user=qa.asker, post=Post.objects.get(pk=topic.first_post_id), subject="组织关系转接问题", content="跨省怎么转？"
    )
    topic.refresh_from_db()
    terms = state(topic).search_terms
    assert topic.subject == "组织关系转接问题" and " 转接 " in terms and " 跨省 " in terms
    assert " 党费 " not in terms
    with pytest.raises(PermissionDenied):
        posts.post_edit(user=qa.answerer, post=Post.objects.get(pk=topic.first_post_id), content="改掉")


def test_nobody_is_told_about_a_forum_they_left(qa):
    topic = ask(qa.asker, qa.private)
    qa.asker.memberships.all().delete()
    posts.answer_post(user=qa.answerer, topic=topic, content="本周六主题党日。")
    assert kinds(qa.asker) == []


def test_a_question_from_a_live_event(qa):
    host = make_user_with_role(Role.MEMBER, party_org=qa.branch)
    topic = question_from_live(
        host=host,
        forum=qa.public,
        question_text="外卖骑手的党组织关系可以转到骑手党支部吗？平时接单很忙。",
        asker_name="分会场观众",
        answer_text="可以，新就业群体党支部欢迎骑手党员转入。",
        event_title="党费收缴政策专题直播",
    )
    question = Question.objects.get(pk=topic.pk)
    assert topic.subject == "外卖骑手的党组织关系可以转到骑手党支部吗？"
    assert question.source == Question.Source.LIVE and question.source_title == "党费收缴政策专题直播"
    assert question.status == Question.Status.SOLVED and question.answers_count == 1
    first = Post.objects.get(pk=topic.first_post_id)
    assert "分会场观众" in first.content.raw and "党费收缴政策专题直播" in first.content.raw
    answer = Post.objects.get(pk=question.accepted_answer_id)
    assert answer.poster == host and "新就业群体党支部" in answer.content.raw
    assert_machina_counters(topic)
    # The host needs the right to ask there, and both texts are required.
    with pytest.raises(PermissionDenied):
        question_from_live(
            host=qa.outsider, forum=qa.private, question_text="问", asker_name="", answer_text="答", event_title="直播"
        )
    with pytest.raises(ValidationError):
        question_from_live(
            host=host, forum=qa.public, question_text=" ", asker_name="", answer_text="答", event_title="直播"
        )


def test_a_live_question_in_a_premoderated_forum_waits_with_its_answer(qa):
    forum_policy_set(forum=qa.public, moderate_newcomers=True, newcomer_threshold=3)
    host = make_user_with_role(Role.MEMBER, party_org=qa.branch)
    topic = question_from_live(
        host=host,
        forum=qa.public,
        question_text="流动党员怎么交党费？",
        asker_name="张三",
        answer_text="可以线上缴纳。",
        event_title="直播",
    )
    assert not topic.approved
    assert Post.objects.filter(topic=topic, approved=False).count() == 2  # the answer is kept, queued
