"""The Q&A forum's entries on 我的 (core.navigation)."""

from django.utils.translation import gettext_lazy as _

from core.navigation import Entry, register
from forum.access import permission_handler
from forum.selectors import moderation_forums

register(
    Entry(
        key="forum.ask",
        section="community",
        label=_("Ask a question"),
        hint=_("Members and experts answer in the Q&A"),
        url_name="qa:ask",
        order=10,
    )
)
register(
    Entry(
        key="forum.moderation",
        section="work",
        label=_("Q&A moderation"),
        hint=_("Posts awaiting approval and reported posts"),
        url_name="qa:moderation_queue",
        order=60,
        allowed=lambda user: bool(moderation_forums(user, handler=permission_handler())),
    )
)
