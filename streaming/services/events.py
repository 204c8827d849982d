"""The life of a live event: schedule → live → ended (→ replay ready), or cancelled.

Each change is one transaction that also appends a `state` item to the event's stream, so every
screen hears of it after the commit. The video side (streaming.video) follows LiveEvent.state
in the database; nothing here calls into it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy
from django_stubs_ext import StrOrPromise

from cms.cache import page_cache_invalidate
from core.models import Membership, PartyOrg, Role, User
from core.services.audit import audit_record
from core.services.notifications import notification_send_many
from streaming.access import can_host_event, may_organise_events, venues_invitable_by
from streaming.models import Invitation, LiveEvent, MemberAttendance, Venue, new_stream_key
from streaming.services.payloads import state_payload
from streaming.services.stream import stream_append
from streaming.signals import announce_participation

logger = logging.getLogger(__name__)

State = LiveEvent.State
MAX_DURATION = datetime.timedelta(hours=12)
MAX_VENUES = 500

STATE_LABELS: dict[str, StrOrPromise] = {
    State.SCHEDULED: pgettext_lazy("event state", "scheduled"),
    State.LIVE: pgettext_lazy("event state", "live"),
    State.ENDED: pgettext_lazy("event state", "ended"),
    State.REPLAY_READY: pgettext_lazy("event state", "ended (replay ready)"),
    State.CANCELLED: pgettext_lazy("event state", "cancelled"),
}


class EventStateError(ValidationError):
    """The event is not in a state that allows this action; the message says which it is in."""


def _state_error(event: LiveEvent, action: str) -> EventStateError:
    return EventStateError(
        _("This event cannot be %(action)s: it is %(state)s.") % {"action": action, "state": STATE_LABELS[event.state]},
        code="state",
    )


def _require_host(event: LiveEvent, by: User) -> None:
    if not can_host_event(by, event):
        raise PermissionDenied(_("Only the organiser or the operations centre can do this."))


def _invalidate_portal() -> None:
    # The portal's live-now strip is cached for anonymous readers (cms/cache.py).
    page_cache_invalidate()


def _locked(event: LiveEvent) -> LiveEvent:
    """The event row, locked until commit, so two hosts' clicks cannot both pass the state check."""
    return LiveEvent.objects.select_for_update(of=("self",)).select_related("main_venue").get(pk=event.pk)


def _check_schedule(start: datetime.datetime, end: datetime.datetime) -> None:
    if end <= start:
        raise ValidationError(_("The event must end after it starts."), code="schedule")
    if end - start > MAX_DURATION:
        raise ValidationError(_("An event can last at most 12 hours."), code="schedule")


def _check_venues(organiser: User, main_venue: Venue | None, venues: list[Venue]) -> None:
    if len(venues) > MAX_VENUES:
        raise ValidationError(_("Invite at most %(n)s venues.") % {"n": MAX_VENUES}, code="venues")
    allowed = set(venues_invitable_by(organiser).filter(pk__in=[v.pk for v in venues]).values_list("pk", flat=True))
    if any(v.pk not in allowed for v in venues):
        raise ValidationError(_("You can only invite venues in your area."), code="venues")
    if main_venue is not None and main_venue in venues:
        raise ValidationError(_("The main venue cannot also be a branch venue."), code="venues")


def event_create(
    *,
    organiser: User,
    title: str,
    scheduled_start: datetime.datetime,
    scheduled_end: datetime.datetime,
    audience: str = LiveEvent.Audience.MEMBERS,
    description: str = "",
    agenda: str = "",
    main_venue: Venue | None = None,
    venues: Iterable[Venue] = (),
    organiser_org: PartyOrg | None = None,
) -> LiveEvent:
    if not may_organise_events(organiser):
        raise PermissionDenied(_("You cannot organise live events."))
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("Give the event a title."), code="title")
    if audience not in LiveEvent.Audience.values:
        raise ValidationError(_("Choose who may watch."), code="audience")
    _check_schedule(scheduled_start, scheduled_end)
    if scheduled_end <= timezone.now():
        raise ValidationError(_("The event would be over already; check the date and time."), code="schedule")
    venues = list(dict.fromkeys(venues))
    _check_venues(organiser, main_venue, venues)
    with transaction.atomic():
        event = LiveEvent.objects.create(
            title=title[:200],
            description=description,
            agenda=(agenda or "").strip(),
            organiser=organiser,
            organiser_org=organiser_org,
            scheduled_start=scheduled_start,
            scheduled_end=scheduled_end,
            main_venue=main_venue,
            audience=audience,
        )
        Invitation.objects.bulk_create([Invitation(event=event, venue=v) for v in venues])
        audit_record(actor=organiser, action="streaming.event.create", obj=event, detail={"venues": len(venues)})
        _notify_venues(event, venues, invited=True)
    return event


def event_schedule(
    *,
    event: LiveEvent,
    by: User,
    title: str,
    scheduled_start: datetime.datetime,
    scheduled_end: datetime.datetime,
    audience: str,
    description: str = "",
    agenda: str = "",
    main_venue: Venue | None = None,
    venues: Iterable[Venue] = (),
) -> LiveEvent:
    """Change a scheduled event's details, time and invited venues (newly invited venues are told)."""
    _require_host(event, by)
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("Give the event a title."), code="title")
    if audience not in LiveEvent.Audience.values:
        raise ValidationError(_("Choose who may watch."), code="audience")
    _check_schedule(scheduled_start, scheduled_end)
    venues = list(dict.fromkeys(venues))
    with transaction.atomic():
        event = _locked(event)
        if event.state != State.SCHEDULED:
            raise _state_error(event, pgettext("event action", "changed"))
        current = set(event.invitations.values_list("venue_id", flat=True))
        # Venues already invited stay allowed even if the organiser's scope changed since.
        _check_venues(event.organiser, main_venue, [v for v in venues if v.pk not in current])
        if main_venue is not None and main_venue in venues:
            raise ValidationError(_("The main venue cannot also be a branch venue."), code="venues")
        event.title, event.description, event.audience = title[:200], description, audience
        event.agenda = (agenda or "").strip()
        event.scheduled_start, event.scheduled_end, event.main_venue = scheduled_start, scheduled_end, main_venue
        event.save()
        wanted = {v.pk for v in venues}
        Invitation.objects.filter(event=event).exclude(venue_id__in=wanted).delete()
        added = [v for v in venues if v.pk not in current]
        Invitation.objects.bulk_create([Invitation(event=event, venue=v) for v in added])
        stream_append(event_id=event.pk, kind="state", payload=state_payload(event))
        audit_record(actor=by, action="streaming.event.schedule", obj=event, detail={"added": len(added)})
        _notify_venues(event, added, invited=True)
    return event


def event_start(*, event: LiveEvent, by: User) -> LiveEvent:
    _require_host(event, by)
    with transaction.atomic():
        event = _locked(event)
        if event.state != State.SCHEDULED:
            raise _state_error(event, pgettext("event action", "started"))
        event.state = State.LIVE
        event.started_at = timezone.now()
        event.save(update_fields=["state", "started_at"])
        stream_append(event_id=event.pk, kind="state", payload=state_payload(event))
        audit_record(actor=by, action="streaming.event.start", obj=event)
        announce_participation(event.pk, "state")
        _notify_venues(event, list(event.invited_venues.all()), invited=False)
        _invalidate_portal()
    return event


def event_end(*, event: LiveEvent, by: User) -> LiveEvent:
    _require_host(event, by)
    with transaction.atomic():
        event = _locked(event)
        if event.state != State.LIVE:
            raise _state_error(event, pgettext("event action", "ended"))
        event.state = State.ENDED
        event.ended_at = timezone.now()
        event.save(update_fields=["state", "ended_at"])
        # Members present at a venue are credited with the time the event was on air.
        MemberAttendance.objects.filter(event=event, venue__isnull=False).update(seconds=round(event.duration_seconds))
        stream_append(event_id=event.pk, kind="state", payload=state_payload(event))
        audit_record(actor=by, action="streaming.event.end", obj=event, detail={"seconds": event.duration_seconds})
        announce_participation(event.pk, "state")
        _invalidate_portal()
    return event


def event_cancel(*, event: LiveEvent, by: User, reason: str = "") -> LiveEvent:
    _require_host(event, by)
    with transaction.atomic():
        event = _locked(event)
        if event.state != State.SCHEDULED:
            raise _state_error(event, pgettext("event action", "cancelled"))
        event.state = State.CANCELLED
        event.cancel_reason = " ".join((reason or "").split())[:200]
        event.save(update_fields=["state", "cancel_reason"])
        stream_append(event_id=event.pk, kind="state", payload=state_payload(event))
        audit_record(actor=by, action="streaming.event.cancel", obj=event, detail={"reason": event.cancel_reason})
        announce_participation(event.pk, "state")
        _notify_venues(event, list(event.invited_venues.all()), invited=False)
    return event


def event_mark_replay_ready(*, event_id: int, replay_url: str | None) -> bool:
    """The video side has published the replay: ended → replay ready, pushed to every open screen
    (which then offer the replay). False when the event is not (or no longer) ended."""
    with transaction.atomic():
        event = LiveEvent.objects.select_for_update(of=("self",)).filter(pk=event_id).first()
        if event is None or event.state != State.ENDED:
            return False
        event.state = State.REPLAY_READY
        event.save(update_fields=["state"])
        stream_append(event_id=event.pk, kind="state", payload={**state_payload(event), "replay_url": replay_url})
        _invalidate_portal()
    return True


def stream_key_rotate(*, event: LiveEvent, by: User) -> LiveEvent:
    """A new secret key for the encoder; the old one stops working for new connections."""
    _require_host(event, by)
    with transaction.atomic():
        event = _locked(event)
        if event.state not in (State.SCHEDULED, State.LIVE):
            raise _state_error(event, pgettext("event action", "given a new stream key"))
        event.stream_key = new_stream_key()
        event.save(update_fields=["stream_key"])
        audit_record(actor=by, action="streaming.event.rotate_key", obj=event)
    return event


def _notify_venues(event: LiveEvent, venues: list[Venue], *, invited: bool) -> None:
    """Tell the operators of these venues (after commit, through core's notifications)."""
    orgs = {v.party_org_id for v in venues if v.party_org_id}
    if not orgs:
        return
    operators = list(
        User.objects.filter(
            pk__in=Membership.objects.filter(role=Role.VENUE_OPERATOR, party_org_id__in=orgs).values("user_id"),
            is_active=True,
        )
    )
    if not operators:
        return
    # Notifications are stored once for everyone: in the site's language, whatever the host's.
    with translation.override(settings.LANGUAGE_CODE):
        _notify(event, operators, invited=invited)


def _notify(event: LiveEvent, operators: list[User], *, invited: bool) -> None:
    start = timezone.localtime(event.scheduled_start)
    if event.state == State.CANCELLED:
        title = _("Live event cancelled: %(title)s") % {"title": event.title}
        body = event.cancel_reason
    elif event.state == State.LIVE:
        title = _("Live now: %(title)s") % {"title": event.title}
        body = _("Open your venue's big screen; it starts playing by itself.")
    elif invited:
        title = _("Your venue is invited: %(title)s") % {"title": event.title}
        body = _("Starts %(when)s.") % {"when": start.strftime("%Y-%m-%d %H:%M")}
    else:
        return
    notification_send_many(
        recipients=operators,
        kind="streaming.event",
        title=title[:200],
        body=body,
        url=reverse("streaming:event_detail", args=[event.pk]),
    )
