"""Asking, answering, follow-ups (追问), supplementary answers (补充回答), accepting, editing, removing.

Posts are machina's Topic and Post rows (their save() keeps machina's counters and tracking right);
each one gets a PostRole saying what it is, and each topic a Question with its state. Permission
checks are machina's (through the handler, with our private-forum rules); the rate limit is ours.
Notifications go out only for posts that are visible: a queued post notifies when it is approved.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from machina.conf import settings as machina_settings

from core import ratelimit
from core.models import User
from forum.access import Forum, PermissionHandler, Post, Topic, may_accept, may_supplement
from forum.models import PostRole, Question
from forum.services import notify
from forum.services.index import question_index_append, question_index_rebuild

SUBJECT_MAX = 255


def rate_limits() -> tuple[tuple[int, int], ...]:
    return tuple(settings.FORUM_POST_RATE_LIMITS)  # (most posts, per seconds) pairs


def _period(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    if seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


def posting_rate_check(user: User) -> None:
    """Refuse, with a message that says how long to wait, when the user posts too fast."""
    for limit, window in rate_limits():
        if ratelimit.is_limited(f"forum.post.{window}", str(user.pk), limit=limit):
            raise ValidationError(
                ngettext(
                    "You can post at most %(limit)d time in %(period)s. Please wait a little and try again.",
                    "You can post at most %(limit)d times in %(period)s. Please wait a little and try again.",
                    limit,
                )
                % {"limit": limit, "period": _period(window)},
                code="rate_limited",
            )


def _posting_rate_count(user: User) -> None:
    for _limit, window in rate_limits():
        ratelimit.hit(f"forum.post.{window}", str(user.pk), window=window)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _clean_content(content: str) -> str:
    content = (content or "").strip()
    if not content:
        raise ValidationError(_("Please write something."), code="empty")
    return content


def _reply_subject(topic: Topic) -> str:
    return f"{machina_settings.TOPIC_ANSWER_SUBJECT_PREFIX} {topic.subject}"[:SUBJECT_MAX]


def question_of(topic: Topic) -> Question:
    """The topic's Question; topics made outside our services (machina admin, imports) get one."""
    try:
        return topic.qa
    except Question.DoesNotExist:
        question, _created = Question.objects.get_or_create(topic=topic)
        topic.qa = question
        return question


def role_of(post: Post) -> PostRole:
    try:
        return post.qa
    except PostRole.DoesNotExist:
        kind = PostRole.Kind.QUESTION if post.topic.first_post_id in (None, post.pk) else PostRole.Kind.ANSWER
        role, _created = PostRole.objects.get_or_create(post=post, defaults={"kind": kind})
        post.qa = role
        return role


def question_recount(*, topic_id: int) -> Question:
    """Count the approved answers again and refresh the state, under a row lock (concurrent posts)."""
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=topic_id)
        question.answers_count = PostRole.objects.filter(
            post__topic_id=topic_id, kind=PostRole.Kind.ANSWER, post__approved=True
        ).count()
        question.refresh_status()
        question.save(update_fields=["answers_count", "status"])
    return question


def post_published(post: Post, role: PostRole) -> None:
    """Side effects of a post becoming visible: counts, state, search terms, notifications."""
    topic = post.topic
    question_of(topic)
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=topic.pk)
        if role.kind == PostRole.Kind.ANSWER:
            question = question_recount(topic_id=topic.pk)
        question.topic = topic
        question_index_append(question=question, post=post)
    topic.qa = question
    notify.notify_published(post, role)


def question_ask(
    *,
    user: User,
    forum: Forum,
    subject: str,
    content: str,
    handler: PermissionHandler | None = None,
    rate_limited: bool = True,
) -> Post:
    """Start a topic whose first post is the question. Returns the question's Post."""
    handler = handler or PermissionHandler()
    _require(user.is_authenticated and forum.is_forum and handler.can_add_topic(forum, user))
    subject = (subject or "").strip()[:SUBJECT_MAX]
    if not subject:
        raise ValidationError(_("Please give your question a title."), code="empty")
    content = _clean_content(content)
    if rate_limited:
        posting_rate_check(user)
    approved = handler.can_post_without_approval(forum, user)
    with transaction.atomic():
        topic = Topic.objects.create(
            forum=forum,
            poster=user,
            subject=subject,
            type=Topic.TOPIC_POST,
            status=Topic.TOPIC_UNLOCKED,
            approved=approved,
        )
        post = Post(topic=topic, poster=user, subject=subject, content=content, approved=approved)
        post.save()
        question = Question.objects.create(topic=topic)
        topic.qa = question
        PostRole.objects.create(post=post, kind=PostRole.Kind.QUESTION)
        if approved:
            question_index_append(question=question, post=post)
    if rate_limited:
        _posting_rate_count(user)
    return post


def _reply(
    *,
    user: User,
    topic: Topic,
    kind: str,
    parent: Post | None,
    content: str,
    handler: PermissionHandler,
    rate_limited: bool = True,
) -> Post:
    # A queued question takes replies from its own author only (the live flow posts both at once).
    _require(
        user.is_authenticated and (topic.approved or topic.poster_id == user.pk) and handler.can_add_post(topic, user)
    )
    content = _clean_content(content)
    if rate_limited:
        posting_rate_check(user)
    approved = handler.can_post_without_approval(topic.forum, user)
    with transaction.atomic():
        post = Post(topic=topic, poster=user, subject=_reply_subject(topic), content=content, approved=approved)
        post.save()
        role = PostRole.objects.create(post=post, kind=kind, parent=parent)
        if approved:
            post_published(post, role)
    if rate_limited:
        _posting_rate_count(user)
    return post


def answer_post(
    *, user: User, topic: Topic, content: str, handler: PermissionHandler | None = None, rate_limited: bool = True
) -> Post:
    return _reply(
        user=user,
        topic=topic,
        kind=PostRole.Kind.ANSWER,
        parent=None,
        content=content,
        handler=handler or PermissionHandler(),
        rate_limited=rate_limited,
    )


def _visible_parent(target: Post, kinds: set[str]) -> PostRole:
    role = role_of(target)
    if role.kind not in kinds or not target.approved:
        raise ValidationError(_("You cannot reply to this post in that way."), code="wrong_target")
    return role


def follow_up_post(*, user: User, target: Post, content: str, handler: PermissionHandler | None = None) -> Post:
    """A follow-up question (追问) on the question itself or on one answer."""
    _visible_parent(target, {PostRole.Kind.QUESTION, PostRole.Kind.ANSWER})
    return _reply(
        user=user,
        topic=target.topic,
        kind=PostRole.Kind.FOLLOW_UP,
        parent=target,
        content=content,
        handler=handler or PermissionHandler(),
    )


def supplement_post(*, user: User, answer: Post, content: str, handler: PermissionHandler | None = None) -> Post:
    """A supplementary answer (补充回答) attached to an answer, by its author (or a moderator)."""
    handler = handler or PermissionHandler()
    _visible_parent(answer, {PostRole.Kind.ANSWER})
    _require(may_supplement(user, answer, handler=handler))
    return _reply(
        user=user,
        topic=answer.topic,
        kind=PostRole.Kind.SUPPLEMENT,
        parent=answer,
        content=content,
        handler=handler,
    )


def answer_accept(*, user: User, answer: Post, handler: PermissionHandler | None = None) -> Question:
    """Accept an answer, replacing any earlier choice. Accepting the accepted answer changes nothing."""
    handler = handler or PermissionHandler()
    topic = answer.topic
    _require(may_accept(user, topic, handler=handler))
    _visible_parent(answer, {PostRole.Kind.ANSWER})
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_of(topic).pk)
        if question.accepted_answer_id == answer.pk:
            return question
        question.accepted_answer = answer
        question.accepted_by = user
        question.accepted_at = timezone.now()
        question.refresh_status()
        question.save(update_fields=["accepted_answer", "accepted_by", "accepted_at", "status"])
        notify.notify_accepted(answer, by=user)
    topic.qa = question
    return question


def answer_unaccept(*, user: User, topic: Topic, handler: PermissionHandler | None = None) -> Question:
    handler = handler or PermissionHandler()
    _require(may_accept(user, topic, handler=handler))
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_of(topic).pk)
        question.accepted_answer = None
        question.accepted_by = None
        question.accepted_at = None
        question.refresh_status()
        question.save(update_fields=["accepted_answer", "accepted_by", "accepted_at", "status"])
    topic.qa = question
    return question


def post_edit(
    *, user: User, post: Post, content: str, subject: str | None = None, handler: PermissionHandler | None = None
) -> Post:
    """Change a post's text (and, for the question, its title). machina re-renders it safely."""
    handler = handler or PermissionHandler()
    _require(user.is_authenticated and handler.can_edit_post(post, user))
    content = _clean_content(content)
    role = role_of(post)
    with transaction.atomic():
        if role.kind == PostRole.Kind.QUESTION and subject is not None:
            subject = subject.strip()[:SUBJECT_MAX]
            if not subject:
                raise ValidationError(_("Please give your question a title."), code="empty")
            post.subject = subject
            topic = post.topic
            topic.subject = subject
            topic.save()  # machina's Topic.save refreshes the slug
        post.content = content
        post.updated_by = user
        post.updates_count = (post.updates_count or 0) + 1
        post.save()
        if post.approved:
            question_index_rebuild(question=question_of(post.topic))
    return post


def _delete_with_replies(post: Post) -> None:
    # Follow-ups and supplements hang under this post: they go with it.
    for child in Post.objects.filter(qa__parent=post).select_related("topic"):
        _delete_with_replies(child)
    Post.objects.get(pk=post.pk).delete()  # machina's delete() updates the topic and forum counters


def post_remove(*, post: Post, handler: PermissionHandler | None = None) -> Topic | None:
    """Remove a post (a question removes its whole topic). Callers check permissions.

    Returns the topic, or None when the topic went with its question.
    """
    topic = post.topic
    role = role_of(post)
    with transaction.atomic():
        if role.kind == PostRole.Kind.QUESTION or topic.first_post_id == post.pk:
            Topic.objects.get(pk=topic.pk).delete()  # posts, question and roles cascade
            return None
        _delete_with_replies(post)
        topic = Topic.objects.get(pk=topic.pk)
        question_of(topic)
        question = question_recount(topic_id=topic.pk)
        question.topic = topic
        question_index_rebuild(question=question)
        topic.qa = question
    return topic


def post_delete(*, user: User, post: Post, handler: PermissionHandler | None = None) -> Topic | None:
    handler = handler or PermissionHandler()
    _require(user.is_authenticated and handler.can_delete_post(post, user))
    return post_remove(post=post, handler=handler)
