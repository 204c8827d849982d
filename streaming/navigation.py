"""The live app's entries on 我的 (core.navigation): scheduling, host consoles, venue screens."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.navigation import Entry, Link, register
from streaming import access, selectors


def _when(event) -> str:
    if event.state == event.State.LIVE:
        return str(_("Live now"))
    return formats.date_format(timezone.localtime(event.scheduled_start), "m-d H:i")


def host_console_links(user) -> list[Link]:
    return [
        Link(label=event.title, url=reverse("streaming:host_console", args=[event.pk]), hint=_when(event))
        for event in selectors.events_hosted_by(user)
    ]


def venue_screen_links(user) -> list[Link]:
    return [
        Link(
            label=f"{row.venue.name} · {row.event.title}",
            url=reverse("streaming:venue_screen", args=[row.event.pk, row.venue.pk]),
            hint=_when(row.event),
        )
        for row in selectors.venue_events_for(user)[:6]
    ]


register(
    Entry(
        key="streaming.event_create",
        section="live",
        label=_("Schedule a live session"),
        hint=_("One main venue and the branch venues you invite"),
        url_name="streaming:event_create",
        order=10,
        allowed=access.may_organise_events,
    )
)
register(
    Entry(
        key="streaming.host_consoles",
        section="live",
        label=_("Host consoles"),
        order=20,
        allowed=access.may_organise_events,
        links=host_console_links,
    )
)
register(
    Entry(
        key="streaming.venue_screens",
        section="live",
        label=_("My venues' big screens"),
        order=30,
        allowed=lambda user: bool(access.operated_party_org_ids(user)),
        links=venue_screen_links,
    )
)
register(
    Entry(
        key="streaming.event_list",
        section="live",
        label=_("All live sessions"),
        hint=_("Live now, upcoming and replays"),
        url_name="streaming:event_list",
        order=90,
    )
)
register(
    Entry(
        key="streaming.venues",
        section="admin",
        label=_("Venues"),
        hint=_("Main and branch venues for live sessions, and who runs them"),
        url_name="streaming:venue_list",
        order=45,
        allowed=access.may_manage_venues,
    )
)
