"""Reads of the live-events app that are more than one line.

Public contracts used by other apps:
- `events_live_now(user)`: the portal's live-now strip (cms/selectors.py).
- `learning_credits_for(user)`: the live part of a member's learning record. The learning app's
  own record (learning.LearningDay) is tied to lessons, so live attendance is kept here in
  `MemberAttendance` and read through this function: one row per event the person took part in,
  through a venue (credited with the time the event was on air) or on their own (the time they
  watched, counted from heartbeats), with the total.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.access import is_city_wide
from core.models import User
from streaming.access import events_visible_to, venues_operated_by
from streaming.models import (
    Announcement,
    ChatMessage,
    Invitation,
    LiveEvent,
    MemberAttendance,
    Question,
    Venue,
    VenueAttendance,
)
from streaming.services.payloads import announcement_payload, chat_payload, question_payload, state_payload
from streaming.services.venues import OFFLINE_AFTER, PERSONAL_MIN_SECONDS, personal_viewers_filter

State = LiveEvent.State
SNAPSHOT_CHAT = 100
SNAPSHOT_QUESTIONS = 300


# --- Lists -------------------------------------------------------------------------------------


def with_participants(events: QuerySet[LiveEvent]) -> QuerySet[LiveEvent]:
    """Annotate `participants` (participant-times) in the same query."""
    headcounts = (
        VenueAttendance.objects.filter(event=OuterRef("pk")).values("event").annotate(n=Sum("headcount")).values("n")
    )
    personal = (
        MemberAttendance.objects.filter(personal_viewers_filter(), event=OuterRef("pk"))
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return events.annotate(
        participants=Coalesce(Subquery(headcounts, output_field=IntegerField()), Value(0))
        + Coalesce(Subquery(personal, output_field=IntegerField()), Value(0))
    )


def events_live_now(user) -> list[LiveEvent]:
    """Live events `user` may watch, each with `venue_count` (venues online now)."""
    since = timezone.now() - OFFLINE_AFTER
    online = (
        VenueAttendance.objects.filter(event=OuterRef("pk"), last_heartbeat_at__gte=since)
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        events_visible_to(user)
        .filter(state=State.LIVE)
        .annotate(venue_count=Coalesce(Subquery(online, output_field=IntegerField()), Value(0)))
        .order_by("-started_at", "-pk")[:20]
    )


@dataclass
class EventLists:
    live: list[LiveEvent]
    upcoming: list[LiveEvent]
    past: QuerySet[LiveEvent]


def event_lists(user) -> EventLists:
    visible = events_visible_to(user).select_related("main_venue")
    now = timezone.now()
    return EventLists(
        live=list(visible.filter(state=State.LIVE).order_by("-started_at")),
        upcoming=list(visible.filter(state=State.SCHEDULED, scheduled_end__gte=now).order_by("scheduled_start")[:50]),
        past=with_participants(
            visible.filter(state__in=[State.ENDED, State.REPLAY_READY, State.CANCELLED]).order_by(
                "-scheduled_start", "-pk"
            )
        ),
    )


def events_hosted_by(user, *, limit: int = 6) -> list[LiveEvent]:
    """Live and upcoming events whose host console `user` may open (streaming.access.can_host_event),
    live first, then by start: the 我的 page's way to the host console."""
    if not (user.is_authenticated and user.is_active):
        return []
    events = LiveEvent.objects.filter(Q(state=State.LIVE) | Q(state=State.SCHEDULED, scheduled_end__gte=timezone.now()))
    if not is_city_wide(user):
        events = events.filter(organiser=user)
    live_first = Case(When(state=State.LIVE, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(events.order_by(live_first, "scheduled_start", "pk")[:limit])


@dataclass
class VenueEvent:
    venue: Venue
    event: LiveEvent


def venue_events_for(user) -> list[VenueEvent]:
    """Live and upcoming events of the venues `user` operates: where their big screen should go."""
    venues = venues_operated_by(user)
    now = timezone.now()
    rows = (
        Invitation.objects.filter(venue__in=venues, event__state__in=[State.SCHEDULED, State.LIVE])
        .filter(Q(event__state=State.LIVE) | Q(event__scheduled_end__gte=now))
        .select_related("venue", "event")
        .order_by("event__scheduled_start", "venue__name")[:50]
    )
    return [VenueEvent(venue=r.venue, event=r.event) for r in rows]


# --- One event ---------------------------------------------------------------------------------


@dataclass
class Totals:
    venues_invited: int = 0
    venues_online: int = 0
    venues_checked_in: int = 0
    headcount: int = 0
    personal: int = 0

    @property
    def participants(self) -> int:
        return self.headcount + self.personal

    def as_dict(self) -> dict:
        return {
            "venues_invited": self.venues_invited,
            "venues_online": self.venues_online,
            "venues_checked_in": self.venues_checked_in,
            "headcount": self.headcount,
            "personal": self.personal,
            "participants": self.participants,
        }


def event_totals(event: LiveEvent) -> Totals:
    since = timezone.now() - OFFLINE_AFTER
    venues = VenueAttendance.objects.filter(event=event).aggregate(
        online=Count("pk", filter=Q(last_heartbeat_at__gte=since)),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
        headcount=Coalesce(Sum("headcount"), 0),
    )
    return Totals(
        venues_invited=event.invitations.count(),
        # Before the start too: the host sees which rooms are ready.
        venues_online=venues["online"] if event.state in (State.SCHEDULED, State.LIVE) else 0,
        venues_checked_in=venues["checked_in"],
        headcount=venues["headcount"],
        personal=MemberAttendance.objects.filter(personal_viewers_filter(), event=event).count(),
    )


@dataclass
class RosterRow:
    venue: Venue
    attendance: VenueAttendance | None
    online: bool
    is_main: bool = False

    def as_dict(self) -> dict:
        a = self.attendance
        return {
            "id": self.venue.pk,
            "name": self.venue.name,
            "main": self.is_main,
            "online": self.online,
            "checked_in": bool(a and a.checked_in_at),
            "checked_in_at": a.checked_in_at.isoformat() if a and a.checked_in_at else None,
            "headcount": a.headcount if a else 0,
            "health": a.health if a else VenueAttendance.Health.UNKNOWN,
            "last_heartbeat": a.last_heartbeat_at.isoformat() if a and a.last_heartbeat_at else None,
            "photo": bool(a and a.photo),
        }


def roster(event: LiveEvent) -> list[RosterRow]:
    """Every invited venue (main venue first) with its check-in, heartbeat and player health."""
    since = timezone.now() - OFFLINE_AFTER
    attendance = {a.venue_id: a for a in VenueAttendance.objects.filter(event=event)}
    venues = list(Venue.objects.filter(invitations__event=event).order_by("name"))
    if event.main_venue is not None:
        venues.insert(0, event.main_venue)
    rows = []
    for venue in venues:
        a = attendance.get(venue.pk)
        on_air = event.state in (State.SCHEDULED, State.LIVE)
        online = bool(on_air and a and a.last_heartbeat_at and a.last_heartbeat_at >= since)
        rows.append(RosterRow(venue=venue, attendance=a, online=online, is_main=venue.pk == event.main_venue_id))
    return rows


def question_queue(event: LiveEvent) -> list[Question]:
    """Being answered first, then waiting ones by how many seconded them, then answered."""
    order: dict[str, int] = {Question.State.ANSWERING: 0, Question.State.OPEN: 1, Question.State.ANSWERED: 2}
    questions = list(Question.objects.filter(event=event)[:SNAPSHOT_QUESTIONS])
    return sorted(questions, key=lambda q: (order[q.state], -q.seconds if q.state == Question.State.OPEN else 0, q.pk))


def snapshot(event: LiveEvent) -> dict:
    """What a screen shows on joining, with the sequence number it is consistent with."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One snapshot for all reads below (SQLite's transaction already is one).
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        fresh = LiveEvent.objects.get(pk=event.pk)
        chat = list(ChatMessage.objects.filter(event=event, deleted_at__isnull=True).order_by("-pk")[:SNAPSHOT_CHAT])
        questions = question_queue(event)
        announcement = Announcement.objects.filter(event=event).first()
    return {
        "type": "snapshot",
        "seq": fresh.last_seq,
        "state": state_payload(fresh),
        "chat": [chat_payload(m) for m in reversed(chat)],
        "questions": [question_payload(q) for q in questions],
        "announcement": announcement_payload(announcement) if announcement else None,
    }


# --- After the event ---------------------------------------------------------------------------


@dataclass
class VenueReportRow:
    venue: Venue
    checked_in_at: datetime.datetime | None
    headcount: int
    members: list[User]
    intervals: list[tuple[datetime.datetime, datetime.datetime]]
    online_seconds: float
    has_photo: bool
    attendance_id: int | None

    @property
    def absent(self) -> bool:
        """Neither checked in nor ever online: nobody at this venue took part."""
        return self.checked_in_at is None and not self.intervals


@dataclass
class MemberReportRow:
    user: User
    venue: Venue | None
    seconds: float
    first_seen_at: datetime.datetime | None


@dataclass
class AttendanceReport:
    event: LiveEvent
    totals: Totals
    venues: list[VenueReportRow] = field(default_factory=list)
    members: list[MemberReportRow] = field(default_factory=list)
    questions: int = 0
    chat_messages: int = 0

    @property
    def absent_venues(self) -> list[Venue]:
        return [row.venue for row in self.venues if row.absent]


def attendance_report(event: LiveEvent) -> AttendanceReport:
    rows = {a.venue_id: a for a in VenueAttendance.objects.filter(event=event).prefetch_related("intervals", "members")}
    report = AttendanceReport(event=event, totals=event_totals(event))
    for r in roster(event):
        a = rows.get(r.venue.pk)
        intervals = [(i.started_at, i.ended_at) for i in a.intervals.all()] if a else []
        report.venues.append(
            VenueReportRow(
                venue=r.venue,
                checked_in_at=a.checked_in_at if a else None,
                headcount=a.headcount if a else 0,
                members=sorted(a.members.all(), key=lambda u: (u.name, u.pk)) if a else [],
                intervals=intervals,
                online_seconds=sum((end - start).total_seconds() for start, end in intervals),
                has_photo=bool(a and a.photo),
                attendance_id=a.pk if a else None,
            )
        )
    people = (
        MemberAttendance.objects.filter(event=event)
        .filter(Q(venue__isnull=False) | Q(seconds__gte=PERSONAL_MIN_SECONDS))
        .select_related("user", "venue")
        .order_by("venue__name", "user__name", "user_id")
    )
    report.members = [
        MemberReportRow(user=m.user, venue=m.venue, seconds=m.seconds, first_seen_at=m.first_seen_at) for m in people
    ]
    report.questions = Question.objects.filter(event=event).count()
    report.chat_messages = ChatMessage.objects.filter(event=event, deleted_at__isnull=True).count()
    return report


# --- The learning record ------------------------------------------------------------------------


@dataclass
class LearningCredit:
    event: LiveEvent
    venue: Venue | None
    seconds: float

    @property
    def minutes(self) -> int:
        return round(self.seconds / 60)


@dataclass
class LearningCredits:
    rows: list[LearningCredit]

    @property
    def total_seconds(self) -> float:
        return sum(r.seconds for r in self.rows)

    @property
    def total_hours(self) -> float:
        return round(self.total_seconds / 3600, 1)


def learning_credits_for(user, *, since: datetime.datetime | None = None) -> LearningCredits:
    """Live events `user` took part in (ended ones), newest first, with the seconds credited.

    Through a venue: ticked present at check-in; credited with the time the event was on air.
    On their own: at least PERSONAL_MIN_SECONDS of heartbeats; credited with the time watched.
    """
    if not user.is_authenticated:
        return LearningCredits(rows=[])
    rows = (
        MemberAttendance.objects.filter(user=user, event__state__in=[State.ENDED, State.REPLAY_READY])
        .filter(Q(venue__isnull=False) | Q(seconds__gte=PERSONAL_MIN_SECONDS))
        .select_related("event", "venue")
        .order_by("-event__started_at", "-event_id")
    )
    if since is not None:
        rows = rows.filter(event__started_at__gte=since)
    return LearningCredits(rows=[LearningCredit(event=r.event, venue=r.venue, seconds=r.seconds) for r in rows])
