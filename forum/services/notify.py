"""Who hears about what happens to their questions and answers, through core's notifications.

Notifications are stored once and read later, so they are written in the site's language
(Simplified Chinese by default), not in whatever language the person posting happens to use.
Someone who can no longer read the forum (they left a private forum's branch) is not told.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.models import User
from core.services.notifications import notification_send
from forum.access import PermissionHandler, Post
from forum.markup import plain_text
from forum.models import PostRole

EXCERPT = 120


def post_url(post: Post) -> str:
    return reverse("qa:post", args=[post.pk])


def _excerpt(post: Post) -> str:
    return plain_text(getattr(post, "_content_rendered", "") or "", limit=EXCERPT)


def _send(recipients: list, *, kind: str, title_for, body: str, url: str, forum) -> None:
    reasons: dict[int, str] = {}
    for user, reason in recipients:
        if user is not None:
            reasons.setdefault(user.pk, reason)
    # Fresh rows: memberships (private forums) and is_active are read as they are now.
    for user in User.objects.filter(pk__in=reasons, is_active=True):
        if PermissionHandler().can_read_forum(forum, user):
            notification_send(recipient=user, kind=kind, title=title_for(reasons[user.pk]), body=body, url=url)


def notify_published(post: Post, role: PostRole) -> None:
    """A post became visible: tell the asker and, for a follow-up, the author of the answer."""
    topic = post.topic
    author = post.poster
    asker = topic.poster
    subject = topic.subject
    author_name = author.get_full_name() if author else ""
    recipients: list = []
    with translation.override(settings.LANGUAGE_CODE):
        body = f"{author_name}：{_excerpt(post)}" if author_name else _excerpt(post)
        if role.kind == PostRole.Kind.ANSWER:
            kind = "forum.answer"
            recipients.append((asker, "asker"))
        elif role.kind == PostRole.Kind.SUPPLEMENT:
            kind = "forum.supplement"
            recipients.append((asker, "asker"))
        elif role.kind == PostRole.Kind.FOLLOW_UP:
            kind = "forum.follow_up"
            parent = role.parent
            parent_kind = getattr(getattr(parent, "qa", None), "kind", PostRole.Kind.ANSWER)
            if parent is not None and parent_kind == PostRole.Kind.ANSWER:
                recipients.append((parent.poster, "answerer"))
            recipients.append((asker, "asker"))
        else:
            return

        def title_for(reason: str) -> str:
            if kind == "forum.answer":
                return _("New answer to your question “%(subject)s”") % {"subject": subject}
            if kind == "forum.supplement":
                return _("%(name)s added a supplementary answer to “%(subject)s”") % {
                    "name": author_name,
                    "subject": subject,
                }
            if reason == "answerer":
                return _("%(name)s asked a follow-up question on your answer in “%(subject)s”") % {
                    "name": author_name,
                    "subject": subject,
                }
            return _("New follow-up question on your question “%(subject)s”") % {"subject": subject}

        recipients = [(u, r) for u, r in recipients if u is not None and u.pk != post.poster_id]
        _send(recipients, kind=kind, title_for=title_for, body=body, url=post_url(post), forum=topic.forum)


def notify_accepted(answer: Post, *, by: User) -> None:
    if answer.poster is None or answer.poster_id == by.pk:
        return
    topic = answer.topic
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Your answer in “%(subject)s” was accepted") % {"subject": topic.subject}
        body = _excerpt(answer)
    _send(
        [(answer.poster, "answerer")],
        kind="forum.accepted",
        title_for=lambda _reason: title,
        body=body,
        url=post_url(answer),
        forum=topic.forum,
    )


def notify_moderated(post: Post, *, approved: bool) -> None:
    """Tell the author what the moderator decided about their queued post."""
    if post.poster is None:
        return
    topic = post.topic
    with translation.override(settings.LANGUAGE_CODE):
        if approved:
            title = _("Your post in “%(subject)s” was approved and is now visible") % {"subject": topic.subject}
        else:
            title = _("Your post in “%(subject)s” was not approved by the moderators") % {"subject": topic.subject}
        body = _excerpt(post)
    url = post_url(post) if approved else ""
    _send(
        [(post.poster, "author")],
        kind="forum.moderated",
        title_for=lambda _r: title,
        body=body,
        url=url,
        forum=topic.forum,
    )
