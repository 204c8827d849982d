"""The forum's demo data: consistent with what the forms would have produced, idempotent, Chinese."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from machina.core.db.models import get_model

from core.demo.registry import DemoContext, discover, run_step
from core.models import Membership, Role
from forum.access import PermissionHandler, readable_forum_ids
from forum.demo import steps as forum_steps
from forum.demo import texts
from forum.models import ForumPolicy, PostReport, PostRole, Question

pytestmark = pytest.mark.django_db

Forum = get_model("forum", "Forum")
Post = get_model("forum_conversation", "Post")
Topic = get_model("forum_conversation", "Topic")
ForumProfile = get_model("forum_member", "ForumProfile")
SCALE = 0.02
LATIN_WORDS = re.compile(r"[A-Za-z]{4,}")


def seed() -> dict[str, str]:
    ctx = DemoContext(scale=SCALE, password="Demo-2026!", log=lambda _m: None)
    wanted = [s for s in discover() if s.name.startswith(("core.", "forum."))]
    return {step.name: run_step(step, ctx) or "" for step in wanted}


@pytest.fixture
def seeded(db):
    return seed()


def test_questions_answers_follow_ups_and_supplements(seeded):
    topics = Topic.objects.filter(forum__parent__name__in=[texts.CATEGORY, texts.BRANCH_CATEGORY])
    assert topics.count() >= round(forum_steps.TOPIC_TOTAL * SCALE) - 1
    kinds = Counter(PostRole.objects.values_list("kind", flat=True))
    assert kinds[PostRole.Kind.QUESTION] == topics.count()
    assert kinds[PostRole.Kind.ANSWER] > topics.count()
    assert kinds[PostRole.Kind.FOLLOW_UP] > 0 and kinds[PostRole.Kind.SUPPLEMENT] > 0
    states = Counter(Question.objects.values_list("status", flat=True))
    assert set(states) == {Question.Status.UNANSWERED, Question.Status.ANSWERED, Question.Status.SOLVED}
    assert Question.objects.filter(source=Question.Source.LIVE).exists()
    # Spread across many members, the demo member among them.
    askers = set(topics.values_list("poster_id", flat=True))
    assert len(askers) >= 10
    assert topics.filter(poster__username="demo_member").exists()


def test_machina_counters_and_our_state_agree_with_the_rows(seeded):
    for topic in Topic.objects.select_related("qa"):
        approved = list(topic.posts.filter(approved=True).order_by("created", "pk"))
        assert topic.posts_count == len(approved)
        assert topic.first_post_id == topic.posts.order_by("created", "pk").first().pk
        assert topic.last_post_id == approved[-1].pk and topic.last_post_on == approved[-1].created
        answers = [p for p in approved if p.qa.kind == PostRole.Kind.ANSWER]
        question = topic.qa
        assert question.answers_count == len(answers)
        if question.accepted_answer_id:
            assert question.accepted_answer_id in {a.pk for a in answers}
            assert question.status == Question.Status.SOLVED
        else:
            assert question.status == (Question.Status.ANSWERED if answers else Question.Status.UNANSWERED)
        for post in approved:
            if post.qa.parent_id:
                assert post.qa.parent.topic_id == topic.pk and post.qa.parent.created <= post.created
            assert post._content_rendered.startswith("<p>")
    for forum in Forum.objects.filter(type=Forum.FORUM_POST):
        published = forum.topics.filter(approved=True)
        assert forum.direct_topics_count == published.count()
        assert forum.direct_posts_count == sum(t.posts_count for t in published)
    per_user = Counter(Post.objects.filter(approved=True).values_list("poster_id", flat=True))
    assert {p.user_id: p.posts_count for p in ForumProfile.objects.all()} == dict(per_user)


def test_private_branch_forums_and_moderation(seeded):
    private = list(ForumPolicy.objects.filter(party_org__isnull=False).select_related("forum", "party_org"))
    assert private
    for policy in private:
        members = Membership.objects.filter(role=Role.MEMBER, party_org=policy.party_org)
        posters = set(Post.objects.filter(topic__forum=policy.forum).values_list("poster_id", flat=True))
        assert posters <= set(members.values_list("user_id", flat=True))
        outsider = Membership.objects.filter(role=Role.MEMBER).exclude(party_org=policy.party_org).first().user
        assert policy.forum.pk not in readable_forum_ids(outsider, handler=PermissionHandler())
    moderated = ForumPolicy.objects.get(forum__name=texts.MODERATED_FORUM)
    assert moderated.moderate_newcomers
    assert Post.objects.filter(approved=False, topic__forum=moderated.forum).exists()
    assert PostReport.objects.filter(status=PostReport.Status.OPEN).exists()


def test_texts_are_natural_chinese(seeded):
    for raw in Post.objects.values_list("content", flat=True)[:500]:
        assert not LATIN_WORDS.search(raw), raw
        assert "{" not in raw and "}" not in raw, raw  # every slot was filled
    assert Topic.objects.filter(subject__contains="党费").exists()


def test_a_second_run_adds_nothing(seeded):
    before = (Topic.objects.count(), Post.objects.count(), Forum.objects.count(), ForumPolicy.objects.count())
    again = seed()
    assert again["forum.seed_questions"].startswith("skipped") and again["forum.seed_forums"].startswith("skipped")
    assert (Topic.objects.count(), Post.objects.count(), Forum.objects.count(), ForumPolicy.objects.count()) == before
