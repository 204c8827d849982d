"""The learning app's entries on 我的 (core.navigation)."""

from django.utils.translation import gettext_lazy as _

from core.access import is_member_audience
from core.navigation import Entry, register
from learning.access import is_organiser, organiser_orgs

register(
    Entry(
        key="learning.record",
        section="learning",
        label=_("My learning"),
        hint=_("Your hours this year, lessons completed, live sessions attended"),
        url_name="learning:record",
        order=10,
    )
)
register(
    Entry(
        key="learning.podcasts",
        section="learning",
        label=_("Lessons on the go (podcasts)"),
        hint=_("Listen to lessons in a podcast app"),
        url_name="learning:podcasts",
        order=30,
        allowed=is_member_audience,
    )
)
register(
    Entry(
        key="learning.org_record",
        section="work",
        label=_("Organisations' learning"),
        hint=_("Hours and completion per party organisation, no names"),
        url_name="learning:org_record",
        order=40,
        # The page lists the organisations in the person's areas: none there (a grid without a branch), no entry.
        allowed=lambda user: is_organiser(user) and organiser_orgs(user).exists(),
    )
)
register(
    Entry(
        key="learning.media",
        section="admin",
        label=_("Video and audio uploads"),
        hint=_("Upload lessons and follow their conversion"),
        url_name="wagtailsnippets_learning_mediaasset:list",
        order=30,
        allowed=lambda user: user.has_perm("learning.add_mediaasset"),
    )
)
