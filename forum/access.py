"""The only way from a user-supplied forum, topic or post id to a row.

Reading is machina's `can_read_forum` (with our private-forum rule, forum/permissions.py) on the
forum and all its ancestors. A forum, topic or post the user may not read is "not found" (404),
exactly like an id that does not exist. Posts and topics that wait for a moderator are shown only
to their author and to the forum's moderators.
"""

from __future__ import annotations

from django.http import Http404
from machina.core.db.models import get_model
from machina.core.loading import get_class

Forum = get_model("forum", "Forum")
Post = get_model("forum_conversation", "Post")
Topic = get_model("forum_conversation", "Topic")
PermissionHandler = get_class("forum_permission.handler", "PermissionHandler")


def permission_handler(request=None):
    """The request's handler (it caches permissions for the request), or a fresh one."""
    handler = getattr(request, "forum_permission_handler", None)
    return handler if handler is not None else PermissionHandler()


def readable_forums(user, *, handler) -> list:
    """Forums (and categories) the user can read, in tree order; cached on the handler."""
    cache = handler.__dict__.setdefault("_qa_readable", {})
    key = user.pk if user.is_authenticated else None
    if key not in cache:
        forums = list(handler.get_readable_forums(Forum.objects.order_by("tree_id", "lft"), user))
        prime_permissions(user, forums, handler=handler)
        cache[key] = forums
    return cache[key]


def prime_permissions(user, forums, *, handler) -> None:
    """Compute the user's permissions on all these forums at once (see the checker's prime())."""
    checker = handler._get_checker(user)  # machina 1.3's per-user checker cache on the handler
    if hasattr(checker, "prime"):
        checker.prime(forums)


def readable_forum_ids(user, *, handler) -> set[int]:
    return {f.pk for f in readable_forums(user, handler=handler)}


def can_moderate(user, forum, *, handler) -> bool:
    """Moderators approve queued posts, handle reports and may accept an answer for the asker."""
    return bool(user.is_authenticated and handler.can_approve_posts(forum, user))


def may_accept(user, topic, *, handler) -> bool:
    """The asker chooses the accepted answer; a moderator may choose for them."""
    return bool(
        user.is_authenticated and (topic.poster_id == user.pk or can_moderate(user, topic.forum, handler=handler))
    )


def may_supplement(user, answer, *, handler) -> bool:
    """A supplementary answer comes from the answer's author (or a moderator)."""
    return bool(
        user.is_authenticated
        and (answer.poster_id == user.pk or can_moderate(user, answer.topic.forum, handler=handler))
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def access_forum_by_id(user, forum_id, *, handler=None):
    handler = handler or PermissionHandler()
    forum_id = _int(forum_id)
    for forum in readable_forums(user, handler=handler):
        if forum.pk == forum_id:
            return forum
    raise Http404


def _visible_while_pending(user, poster_id, forum, handler) -> bool:
    return user.is_authenticated and (poster_id == user.pk or can_moderate(user, forum, handler=handler))


def access_topic_by_id(user, topic_id, *, handler=None):
    handler = handler or PermissionHandler()
    try:
        topic = Topic.objects.select_related("forum", "poster", "qa", "first_post").get(pk=_int(topic_id))
    except Topic.DoesNotExist:
        raise Http404 from None
    if topic.forum_id not in readable_forum_ids(user, handler=handler):
        raise Http404
    if not topic.approved and not _visible_while_pending(user, topic.poster_id, topic.forum, handler):
        raise Http404
    return topic


def access_post_by_id(user, post_id, *, handler=None):
    handler = handler or PermissionHandler()
    try:
        post = Post.objects.select_related("topic__forum", "topic__qa", "poster", "qa").get(pk=_int(post_id))
    except Post.DoesNotExist:
        raise Http404 from None
    topic = post.topic
    if topic.forum_id not in readable_forum_ids(user, handler=handler):
        raise Http404
    for approved, poster_id in ((topic.approved, topic.poster_id), (post.approved, post.poster_id)):
        if not approved and not _visible_while_pending(user, poster_id, topic.forum, handler):
            raise Http404
    return post


def access_report_by_id(user, report_id, *, handler=None):
    """A report, for a moderator of its forum only."""
    from forum.models import PostReport

    handler = handler or PermissionHandler()
    try:
        report = PostReport.objects.select_related("forum", "post").get(pk=_int(report_id))
    except PostReport.DoesNotExist:
        raise Http404 from None
    if report.forum_id not in readable_forum_ids(user, handler=handler) or not can_moderate(
        user, report.forum, handler=handler
    ):
        raise Http404
    return report
