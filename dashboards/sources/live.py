"""Live sessions (一个主会场+N个分会场): events held, venues checked in, participant-times (人次).

Attribution: an event and the members who watched it on their own count for the organising party
organisation (else the main venue's); a venue's check-in and headcount count for the venue's party
organisation. Only events that went on air count (live, ended, replay ready); a cancelled one
drops out. Days are the event's scheduled start (local time).
"""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dashboards.models import Tree
from dashboards.registry import Chart, Dashboard, Metric, register, where_q
from dashboards.sources.common import date_range, period_of, under_party
from streaming.models import LiveEvent, MemberAttendance, VenueAttendance
from streaming.services.venues import personal_viewers_filter

EVENTS = "live.events"
CHECKINS = "live.checkins"
HEADCOUNT = "live.headcount"
PERSONAL = "live.personal"
PARTICIPANTS = "live.participants"

HELD = (LiveEvent.State.LIVE, LiveEvent.State.ENDED, LiveEvent.State.REPLAY_READY)


def _rows(qs, *, org, date_field, value, event_field, under, start, end, by_month, source, only):
    """Group `qs` by organisation and day (or month), and by live event with `source`;
    `only` keeps one live event's records."""
    if only is not None:
        qs = qs.filter(**{event_field: only})
    qs = qs.annotate(org=org).filter(org__isnull=False)
    qs = date_range(under_party(qs, "org", under), date_field, start, end, is_datetime=True)
    fields = [event_field, "org", "period"] if source else ["org", "period"]
    rows = (
        qs.annotate(period=period_of(date_field, by_month=by_month, is_datetime=True))
        .values(*fields)
        .annotate(value=value)
        .values_list(*fields, "value")
    )
    if not source:
        return [(o, p, "", v) for o, p, v in rows]
    return [(s, o, p, "", v) for s, o, p, v in rows]


def event_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    return _rows(
        LiveEvent.objects.filter(where_q(where), state__in=HELD),
        org=Coalesce("organiser_org_id", "main_venue__party_org_id"),
        date_field="scheduled_start",
        value=Count("pk"),
        event_field="pk",
        under=under,
        start=start,
        end=end,
        by_month=by_month,
        source=source,
        only=only,
    )


def _checked_in(where):
    return VenueAttendance.objects.filter(where_q(where), event__state__in=HELD, checked_in_at__isnull=False)


def checkin_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    return _rows(
        _checked_in(where),
        org=F("venue__party_org_id"),
        date_field="event__scheduled_start",
        value=Count("pk"),
        event_field="event_id",
        under=under,
        start=start,
        end=end,
        by_month=by_month,
        source=source,
        only=only,
    )


def headcount_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    return _rows(
        _checked_in(where),
        org=F("venue__party_org_id"),
        date_field="event__scheduled_start",
        value=Sum("headcount"),
        event_field="event_id",
        under=under,
        start=start,
        end=end,
        by_month=by_month,
        source=source,
        only=only,
    )


def personal_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    return _rows(
        MemberAttendance.objects.filter(where_q(where), personal_viewers_filter(), event__state__in=HELD),
        org=Coalesce("event__organiser_org_id", "event__main_venue__party_org_id"),
        date_field="event__scheduled_start",
        value=Count("pk"),
        event_field="event_id",
        under=under,
        start=start,
        end=end,
        by_month=by_month,
        source=source,
        only=only,
    )


def live_records(*, user, node, start, end) -> list:
    """The events held in the period that the organisation organised or one of its venues joined,
    those `user` may see."""
    from streaming.access import events_visible_to

    within = Q(organiser_org__path__startswith=node.path) | Q(
        venue_attendance__venue__party_org__path__startswith=node.path,
        venue_attendance__checked_in_at__isnull=False,
    )
    events = (
        events_visible_to(user)
        .filter(within, state__in=HELD, scheduled_start__date__gte=start, scheduled_start__date__lte=end)
        .distinct()
        .order_by("-scheduled_start", "-pk")[:500]
    )
    return [
        {"title": e.title, "detail": e.get_state_display(), "url": e.get_absolute_url(), "date": e.scheduled_start}
        for e in events
    ]


DASHBOARD = register(
    Dashboard(
        key="live",
        order=50,
        title=_("Live sessions"),
        description=_("Live events held, branch venues checked in and participant-times, by party organisation."),
        tree=Tree.PARTY,
        metrics=(
            Metric(
                key=EVENTS,
                tree=Tree.PARTY,
                label=_("Live events"),
                counts=_("Events that went on air (cancelled ones are not counted), on their scheduled day."),
                records=_("Live events, under the organising party organisation."),
                rows=event_rows,
                unit=_("events"),
            ),
            Metric(
                key=CHECKINS,
                tree=Tree.PARTY,
                label=_("Venue check-ins"),
                counts=_("Branch venues that checked in to an event that went on air."),
                records=_("Venues' attendance records, under the venue's party organisation."),
                rows=checkin_rows,
                unit=_("check-ins"),
            ),
            Metric(
                key=HEADCOUNT,
                tree=Tree.PARTY,
                label=_("People at venues"),
                counts=_("Headcounts the venues gave when they checked in."),
                records=_("Venues' attendance records, under the venue's party organisation."),
                rows=headcount_rows,
                unit=_("participant-times"),
            ),
            Metric(
                key=PERSONAL,
                tree=Tree.PARTY,
                label=_("Watching on their own"),
                counts=_("People who watched on their own device long enough to count (not ticked at a venue)."),
                records=_("Members' attendance records, under the organising party organisation."),
                rows=personal_rows,
                unit=_("participant-times"),
            ),
            Metric(
                key=PARTICIPANTS,
                tree=Tree.PARTY,
                label=_("Participant-times"),
                counts=_("Headcounts at venues plus people watching on their own (人次)."),
                records=_("Venues' and members' attendance records of events that went on air."),
                parts=(HEADCOUNT, PERSONAL),
                unit=_("participant-times"),
            ),
        ),
        charts=(
            Chart("trend", _("Events and participant-times by month"), "line", (EVENTS, PARTICIPANTS), "month"),
            Chart("checkins_by_org", _("Venue check-ins by organisation"), "bar", (CHECKINS,), "child"),
            Chart("participants_by_org", _("Participant-times by organisation"), "bar", (PARTICIPANTS,), "child"),
            Chart("participants_split", _("Where participants watched"), "pie", (PARTICIPANTS,), "parts"),
        ),
        source_prefix="live.event",
        records=live_records,
    )
)
