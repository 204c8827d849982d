"""Live events in the JSON API: the list and one event (what the caller may watch), and the
caller's venues with their live and upcoming events."""

import datetime

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from streaming import access, integrations, selectors
from streaming.models import LiveEvent

router = Router(tags=["live"])


class VenueOut(Schema):
    id: int
    name: str
    kind: str


class EventOut(Schema):
    id: int
    title: str
    state: str
    audience: str
    scheduled_start: datetime.datetime
    scheduled_end: datetime.datetime
    started_at: datetime.datetime | None
    ended_at: datetime.datetime | None
    main_venue: VenueOut | None
    url: str

    @staticmethod
    def resolve_url(obj: LiveEvent) -> str:
        return obj.get_absolute_url()


class TotalsOut(Schema):
    venues_invited: int
    venues_online: int
    venues_checked_in: int
    headcount: int
    personal: int
    participants: int


class EventDetailOut(EventOut):
    description: str
    agenda: list[str]
    organiser: str
    venues: list[VenueOut]
    totals: TotalsOut
    playback_url: str | None
    websocket: str

    @staticmethod
    def resolve_agenda(obj: LiveEvent) -> list[str]:
        return obj.agenda_items

    @staticmethod
    def resolve_organiser(obj: LiveEvent) -> str:
        return obj.organiser.get_full_name()

    @staticmethod
    def resolve_venues(obj: LiveEvent) -> list:
        return list(obj.invited_venues.order_by("name"))

    @staticmethod
    def resolve_totals(obj: LiveEvent) -> dict:
        return selectors.event_totals(obj).as_dict()

    @staticmethod
    def resolve_playback_url(obj: LiveEvent) -> str | None:
        return integrations.playback_url(obj) if obj.is_live else None

    @staticmethod
    def resolve_websocket(obj: LiveEvent) -> str:
        return f"/ws/live/{obj.pk}/"


class MyVenueEventOut(Schema):
    venue: VenueOut
    event: EventOut
    screen_url: str


@router.get("/events", response=list[EventOut], summary="Live events the caller may watch, newest first")
@paginate(LimitOffsetPagination)
def event_list(request: HttpRequest, state: LiveEvent.State | None = None):
    events = access.events_visible_to(request.user).select_related("main_venue").order_by("-scheduled_start", "-pk")
    if state:
        events = events.filter(state=state)
    return events


@router.get("/events/{event_id}", response=EventDetailOut, summary="One live event with its venues and totals")
def event_detail(request: HttpRequest, event_id: int):
    return access.access_event_by_id(request.user, event_id)


@router.get("/my-venues", response=list[MyVenueEventOut], summary="Live and upcoming events of the caller's venues")
def my_venues(request: HttpRequest):
    if not request.user.is_authenticated:
        return []
    return [
        {
            "venue": row.venue,
            "event": row.event,
            "screen_url": reverse("streaming:venue_screen", args=[row.event.pk, row.venue.pk]),
        }
        for row in selectors.venue_events_for(request.user)
    ]
