"""The moderators' side: the approval queue for newcomers' posts and members' reports of posts."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import ratelimit
from core.models import User
from forum.access import PermissionHandler, Post, can_moderate
from forum.markup import plain_text
from forum.models import PostReport, PostRole
from forum.services import notify
from forum.services.posts import post_published, post_remove, question_of, role_of

REPORTS_PER_HOUR = 20


def post_approve(*, user: User, post: Post, handler: PermissionHandler | None = None) -> Post:
    """Publish a queued post; the asker (and the answer's author) hear about it now."""
    handler = handler or PermissionHandler()
    if not can_moderate(user, post.topic.forum, handler=handler):
        raise PermissionDenied
    if post.approved:
        return post
    with transaction.atomic():
        post.approved = True
        post.save()  # machina: topic approval (for a question), counters, the author's post count
        role = role_of(post)
        if role.kind == PostRole.Kind.QUESTION:
            from forum.services.index import question_index_append

            question_index_append(question=question_of(post.topic), post=post)
        else:
            post_published(post, role)
        notify.notify_moderated(post, approved=True)
    return post


def post_disapprove(*, user: User, post: Post, handler: PermissionHandler | None = None) -> None:
    """Refuse a queued post: it is removed, and its author is told."""
    handler = handler or PermissionHandler()
    if not can_moderate(user, post.topic.forum, handler=handler):
        raise PermissionDenied
    if post.approved:
        raise ValidationError(_("This post has already been published."), code="published")
    with transaction.atomic():
        notify.notify_moderated(post, approved=False)
        post_remove(post=post, handler=handler)


def report_create(
    *, user: User, post: Post, reason: str, detail: str = "", handler: PermissionHandler | None = None
) -> PostReport:
    if not user.is_authenticated:
        raise PermissionDenied
    if post.poster_id == user.pk:
        raise ValidationError(_("You cannot report your own post."), code="own_post")
    if reason not in PostReport.Reason.values:
        raise ValidationError(_("Please choose a reason."), code="reason")
    if ratelimit.is_limited("forum.report", str(user.pk), limit=REPORTS_PER_HOUR):
        raise ValidationError(_("You have sent many reports in the last hour. Please try again later."), code="rate")
    try:
        with transaction.atomic():
            report = PostReport.objects.create(
                post=post,
                post_excerpt=plain_text(post._content_rendered or "", limit=300),
                forum=post.topic.forum,
                reporter=user,
                reason=reason,
                detail=(detail or "").strip()[:500],
            )
    except IntegrityError:
        raise ValidationError(_("You have already reported this post."), code="duplicate") from None
    ratelimit.hit("forum.report", str(user.pk), window=3600)
    return report


def report_resolve(
    *, user: User, report: PostReport, remove_post: bool, handler: PermissionHandler | None = None
) -> PostReport:
    """Dismiss a report, or remove the reported post (which settles every open report on it)."""
    handler = handler or PermissionHandler()
    if not can_moderate(user, report.forum, handler=handler):
        raise PermissionDenied
    if report.status != PostReport.Status.OPEN:
        return report
    now = timezone.now()
    with transaction.atomic():
        if remove_post and report.post_id:
            post = Post.objects.select_related("topic__forum").get(pk=report.post_id)
            PostReport.objects.filter(post=post, status=PostReport.Status.OPEN).update(
                status=PostReport.Status.REMOVED, handled_by=user, handled_at=now
            )
            post_remove(post=post, handler=handler)
            report.refresh_from_db()
        else:
            report.status = PostReport.Status.DISMISSED
            report.handled_by = user
            report.handled_at = now
            report.save(update_fields=["status", "handled_by", "handled_at"])
    return report
