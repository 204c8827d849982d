"""Who may watch, host and operate live events: the only way from a user-supplied id to a row.

Watching depends on the event's audience:
- public: anyone, signed in or not;
- members: core.access.is_member_audience (anyone signed in holding a role other than resident);
- invited: operators of the invited venues (venue-operator memberships of the venue's party
  organisation), the organiser, and the operations centre.
The organiser and the operations centre (ops admins, superusers) host: start, end, moderate.
A venue is operated by the venue operators of its party organisation (and the operations centre).
Missing and not-allowed answer the same 404, so ids cannot be probed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from core.access import AnyUser, is_city_wide, is_member_audience, memberships_of
from core.models import Role
from streaming.models import LiveEvent, Venue

# Roles that may organise events (and pick venues under their place in the trees).
ORGANISER_ROLES = {Role.OPS_ADMIN, Role.TOWN_STAFF}


def _id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if number <= 0:
        raise Http404
    return number


def operated_party_org_ids(user: AnyUser) -> set[int]:
    return {m.party_org_id for m in memberships_of(user) if m.role == Role.VENUE_OPERATOR and m.party_org_id}


def can_host_event(user: AnyUser, event: LiveEvent) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return event.organiser_id == user.pk or is_city_wide(user)


def _operates_an_invited_venue(user: AnyUser, event: LiveEvent) -> bool:
    orgs = operated_party_org_ids(user)
    if not orgs:
        return False
    return event.invitations.filter(venue__party_org_id__in=orgs).exists() or (
        event.main_venue is not None and event.main_venue.party_org_id in orgs
    )


def can_view_event(user: AnyUser, event: LiveEvent) -> bool:
    if event.audience == LiveEvent.Audience.PUBLIC:
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    if can_host_event(user, event):
        return True
    if event.audience == LiveEvent.Audience.MEMBERS:
        return is_member_audience(user)
    return _operates_an_invited_venue(user, event)


def events_visible_to(user: AnyUser) -> QuerySet[LiveEvent]:
    """The events `user` may watch, as one queryset (for lists and the API)."""
    events = LiveEvent.objects.all()
    if is_city_wide(user):
        return events
    condition = Q(audience=LiveEvent.Audience.PUBLIC)
    if user.is_authenticated and user.is_active:
        condition |= Q(organiser=user)
        if is_member_audience(user):
            condition |= Q(audience=LiveEvent.Audience.MEMBERS)
        orgs = operated_party_org_ids(user)
        if orgs:
            condition |= Q(audience=LiveEvent.Audience.INVITED) & (
                Q(invitations__venue__party_org_id__in=orgs) | Q(main_venue__party_org_id__in=orgs)
            )
    return events.filter(pk__in=events.filter(condition).values("pk"))


def access_event_by_id(user: AnyUser, event_id, *, for_host: bool = False) -> LiveEvent:
    try:
        event = LiveEvent.objects.select_related("main_venue", "organiser", "organiser_org").get(pk=_id(event_id))
    except LiveEvent.DoesNotExist:
        raise Http404 from None
    allowed = can_host_event(user, event) if for_host else can_view_event(user, event)
    if not allowed:
        raise Http404
    return event


# --- Venues --------------------------------------------------------------------------------


def can_operate_venue(user: AnyUser, venue: Venue) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return is_city_wide(user) or (venue.party_org_id is not None and venue.party_org_id in operated_party_org_ids(user))


def venues_operated_by(user: AnyUser) -> QuerySet[Venue]:
    if is_city_wide(user):
        return Venue.objects.all()
    orgs = operated_party_org_ids(user)
    return Venue.objects.filter(party_org_id__in=orgs) if orgs else Venue.objects.none()


def access_venue_by_id(user: AnyUser, venue_id) -> Venue:
    try:
        venue = Venue.objects.select_related("party_org", "area").get(pk=_id(venue_id))
    except Venue.DoesNotExist:
        raise Http404 from None
    if not can_operate_venue(user, venue):
        raise Http404
    return venue


def is_event_venue(event: LiveEvent, venue: Venue) -> bool:
    return event.main_venue_id == venue.pk or event.invitations.filter(venue=venue).exists()


def access_event_venue(user: AnyUser, event_id, venue_id) -> tuple[LiveEvent, Venue]:
    """A venue's big-screen page: the venue is invited to the event and `user` operates it
    (hosts may open any of their event's venue pages, to see what the room sees)."""
    event = access_event_by_id(user, event_id)
    try:
        venue = Venue.objects.select_related("party_org", "area").get(pk=_id(venue_id))
    except Venue.DoesNotExist:
        raise Http404 from None
    if not is_event_venue(event, venue):
        raise Http404
    if not (can_operate_venue(user, venue) or can_host_event(user, event)):
        raise Http404
    return event, venue


# --- Organising ------------------------------------------------------------------------------


def may_organise_events(user: AnyUser) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or any(m.role in ORGANISER_ROLES for m in memberships_of(user))


def venues_invitable_by(user: AnyUser) -> QuerySet[Venue]:
    """Venues an organiser may invite: all for the operations centre, those in their town for town staff."""
    if is_city_wide(user):
        return Venue.objects.all()
    condition = Q()
    for m in memberships_of(user):
        if m.role == Role.TOWN_STAFF and m.area is not None:
            condition |= Q(area__path__startswith=m.area.path) | Q(party_org__area__path__startswith=m.area.path)
    if not condition:
        return Venue.objects.none()
    return Venue.objects.filter(condition)


def may_manage_venues(user: AnyUser) -> bool:
    """The operations centre keeps the city's venues (main and branch) and who runs them."""
    return is_city_wide(user)
