"""Branch venues at an event: check-in (headcount, room photo, members present), heartbeats with the
player's health, and members watching on their own. Together they are the attendance record.

Participant-times (人次) of an event = the sum of its venues' headcounts + the members who watched
on their own (at least PERSONAL_MIN_SECONDS, and not also ticked present at a venue).
"""

from __future__ import annotations

import datetime
import io
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Membership, Role, User
from core.services.audit import audit_record
from streaming.access import can_host_event, can_operate_venue, can_view_event, is_event_venue, may_manage_venues
from streaming.models import LiveEvent, MemberAttendance, Venue, VenueAttendance, VenueOnlineInterval
from streaming.services.payloads import venue_payload
from streaming.services.stream import stream_append
from streaming.signals import announce_participation

HEARTBEAT_SECONDS = 10  # how often screens report
OFFLINE_AFTER = datetime.timedelta(seconds=35)  # no heartbeat for this long: offline
PERSONAL_MIN_SECONDS = 60  # watching on one's own counts as taking part from this much on
MAX_HEADCOUNT = 5000
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_MAX_SIDE = 1600  # stored size: enough to see the room, small enough to list many

Health = VenueAttendance.Health
REPORTED_HEALTH = {Health.WAITING, Health.PLAYING, Health.BUFFERING, Health.ERROR}


MAX_VENUE_CAPACITY = 100_000


def venue_save(*, form, by: User, request=None) -> Venue:
    """Create or change a venue from the operations centre's form (streaming.forms.VenueForm), audited."""
    if not may_manage_venues(by):
        raise PermissionDenied
    creating = form.instance.pk is None
    with transaction.atomic():
        venue = form.save()
        audit_record(
            actor=by,
            action="streaming.venue.create" if creating else "streaming.venue.change",
            obj=venue,
            request=request,
            detail={"changed": sorted(form.changed_data)},
        )
    return venue


def venue_operators(venues) -> dict[int, list[str]]:
    """Each venue's operators' names (the venue-operator accounts of its party organisation)."""
    by_org: dict[int, list[str]] = {}
    org_ids = {v.party_org_id for v in venues if v.party_org_id}
    rows = (
        Membership.objects.filter(role=Role.VENUE_OPERATOR, party_org_id__in=org_ids, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
    for m in rows:
        by_org.setdefault(m.party_org_id, []).append(m.user.get_full_name() or m.user.username)
    return {v.pk: by_org.get(v.party_org_id, []) if v.party_org_id else [] for v in venues}


def is_online(attendance: VenueAttendance, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return attendance.last_heartbeat_at is not None and now - attendance.last_heartbeat_at <= OFFLINE_AFTER


def _require_operator(event: LiveEvent, venue: Venue, by: User) -> None:
    if not (can_operate_venue(by, venue) or can_host_event(by, event)) or not is_event_venue(event, venue):
        raise PermissionDenied(_("You do not operate this venue."))


def _attendance(event: LiveEvent, venue: Venue) -> VenueAttendance:
    try:
        with transaction.atomic():
            row, _created = VenueAttendance.objects.select_for_update().get_or_create(event=event, venue=venue)
    except IntegrityError:  # two requests' first contact at once: the other one created it
        row = VenueAttendance.objects.select_for_update().get(event=event, venue=venue)
    row.venue = venue
    return row


# --- Photos ------------------------------------------------------------------------------------


def checked_photo(upload) -> ContentFile:
    """The room photo, checked by its content and re-encoded as a plain JPEG (no EXIF, no location)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from cms.uploads import sniff_image

    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _("The photo is too large (at most %(n)s MB).") % {"n": PHOTO_MAX_BYTES // (1024 * 1024)}, code="photo_size"
        )
    upload.seek(0)
    real = sniff_image(upload.read(64))
    if real not in {"jpeg", "png", "webp"}:
        raise ValidationError(_("The photo must be a JPEG, PNG or WebP picture."), code="photo_type")
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            width, height = probe.size
            if width * height > PHOTO_MAX_PIXELS:
                raise ValidationError(
                    _("The photo has too many pixels (at most %(n)s megapixels).")
                    % {"n": max(1, PHOTO_MAX_PIXELS // 1_000_000)},
                    code="photo_pixels",
                )
            if (probe.format or "").lower() != real:
                raise ValidationError(_("The photo file is damaged."), code="photo_damaged")
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise ValidationError(_("The photo file is damaged."), code="photo_damaged") from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


# --- Check-in ----------------------------------------------------------------------------------


def members_of_venue(venue: Venue):
    """Party members of the venue's organisation (and the organisations under it)."""
    if venue.party_org_id is None:
        return User.objects.none()
    path = venue.party_org.path
    return User.objects.filter(
        pk__in=Membership.objects.filter(role=Role.MEMBER, party_org__path__startswith=path).values("user_id"),
        is_active=True,
    ).order_by("name", "pk")


def venue_check_in(
    *,
    event: LiveEvent,
    venue: Venue,
    by: User,
    headcount: int,
    photo=None,
    members: list[User] | None = None,
) -> VenueAttendance:
    """Check the venue in (again: a later check-in corrects the headcount and the members present)."""
    _require_operator(event, venue, by)
    # The state as it is now, not as it was when the page loaded the event.
    event.state = LiveEvent.objects.filter(pk=event.pk).values_list("state", flat=True).get()
    if event.state not in (LiveEvent.State.SCHEDULED, LiveEvent.State.LIVE):
        raise ValidationError(_("Check-in is closed: the event is over."), code="closed")
    # A room checks in when people are there: not the day before (a headcount then means nothing).
    opens_at = event.scheduled_start - datetime.timedelta(minutes=settings.LIVE_CHECK_IN_OPENS_MINUTES)
    if event.state == LiveEvent.State.SCHEDULED and timezone.now() < opens_at:
        raise ValidationError(
            _("Check-in opens %(n)s minutes before the start, at %(time)s.")
            % {"n": settings.LIVE_CHECK_IN_OPENS_MINUTES, "time": timezone.localtime(opens_at).strftime("%m-%d %H:%M")},
            code="not_open",
        )
    if not isinstance(headcount, int) or headcount < 1 or headcount > MAX_HEADCOUNT:
        raise ValidationError(
            _("Enter how many people are in the room (1 to %(n)s).") % {"n": MAX_HEADCOUNT}, code="headcount"
        )
    members = list(dict.fromkeys(members or []))
    if members:
        allowed = set(members_of_venue(venue).filter(pk__in=[m.pk for m in members]).values_list("pk", flat=True))
        if any(m.pk not in allowed for m in members):
            raise ValidationError(_("Only members of this venue's party organisation can be ticked."), code="members")
    if len(members) > headcount:
        raise ValidationError(_("More members are ticked than people are in the room."), code="members")
    stored_photo = checked_photo(photo) if photo else None
    now = timezone.now()
    with transaction.atomic():
        row = _attendance(event, venue)
        row.checked_in_at = row.checked_in_at or now
        row.checked_in_by = by
        row.headcount = headcount
        if stored_photo is not None:
            if row.photo:
                row.photo.delete(save=False)
            row.photo.save(stored_photo.name, stored_photo, save=False)
        row.save()
        row.members.set(members)
        _credit_members_at_venue(event, venue, members, now)
        stream_append(event_id=event.pk, kind="venue", payload=venue_payload(row, online=is_online(row, now)))
        announce_participation(event.pk, "check_in")
    return row


def _credit_members_at_venue(event: LiveEvent, venue: Venue, members: list[User], now) -> None:
    # A member unticked at this venue loses the venue credit; watching on their own still counts.
    MemberAttendance.objects.filter(event=event, venue=venue).exclude(user__in=members).update(venue=None)
    existing = {a.user_id: a for a in MemberAttendance.objects.filter(event=event, user__in=members)}
    seconds = round(event.duration_seconds) if event.ended_at else 0
    for member in members:
        row = existing.get(member.pk)
        if row is None:
            MemberAttendance.objects.create(
                event=event, user=member, venue=venue, first_seen_at=now, last_seen_at=now, seconds=seconds
            )
        elif row.venue_id != venue.pk:
            row.venue = venue
            row.save(update_fields=["venue"])


# --- Heartbeats --------------------------------------------------------------------------------


def _clean_health(health: str) -> str:
    if health not in REPORTED_HEALTH:
        raise ValidationError(_("Unknown player state."), code="health")
    return health


def venue_heartbeat(
    *, event: LiveEvent, venue: Venue, by: User, health: str, detail: str = "", now: datetime.datetime | None = None
) -> VenueAttendance | None:
    """The venue's screen is on and reports its player. Pushes a roster update when the venue comes
    online or its player's state changes. Nothing is recorded once the event is over (returns None)."""
    _require_operator(event, venue, by)
    health = _clean_health(health)
    if event.state not in (LiveEvent.State.SCHEDULED, LiveEvent.State.LIVE):
        return None
    now = now or timezone.now()
    with transaction.atomic():
        row = _attendance(event, venue)
        was_online = is_online(row, now)
        changed = not was_online or row.health != health
        row.first_seen_at = row.first_seen_at or now
        row.last_heartbeat_at = now
        row.health = health
        row.health_detail = " ".join(str(detail or "").split())[:200]
        row.save(update_fields=["first_seen_at", "last_heartbeat_at", "health", "health_detail"])
        interval = row.intervals.order_by("-ended_at").first()
        if interval is not None and now - interval.ended_at <= OFFLINE_AFTER:
            VenueOnlineInterval.objects.filter(pk=interval.pk).update(ended_at=max(now, interval.ended_at))
        else:
            VenueOnlineInterval.objects.create(attendance=row, started_at=now, ended_at=now)
        if changed:
            stream_append(event_id=event.pk, kind="venue", payload=venue_payload(row, online=True))
    return row


def member_watch_heartbeat(
    *, event: LiveEvent, user: User, health: str, now: datetime.datetime | None = None
) -> MemberAttendance | None:
    """A signed-in person watching on their own device: the time between heartbeats while the event
    is live counts (a gap longer than two heartbeats counts as two)."""
    if not user.is_authenticated or not can_view_event(user, event):
        raise PermissionDenied(_("You are not invited to this event."))
    _clean_health(health)
    if event.state != LiveEvent.State.LIVE:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                row, created = MemberAttendance.objects.select_for_update().get_or_create(
                    event=event, user=user, defaults={"first_seen_at": now, "last_seen_at": now}
                )
        except IntegrityError:
            row, created = MemberAttendance.objects.select_for_update().get(event=event, user=user), False
        if not created:
            if health in (Health.PLAYING, Health.BUFFERING) and row.last_seen_at and now > row.last_seen_at:
                gap = (now - row.last_seen_at).total_seconds()
                counted_before = row.seconds >= PERSONAL_MIN_SECONDS
            row.seconds = round(row.seconds + min(gap, 2 * HEARTBEAT_SECONDS), 1)
            if not counted_before and row.seconds >= PERSONAL_MIN_SECONDS and row.venue_id is None:
                announce_participation(event.pk, "viewer")
            row.last_seen_at = max(now, row.last_seen_at or now)
            row.first_seen_at = row.first_seen_at or now
            row.save(update_fields=["seconds", "last_seen_at", "first_seen_at"])
    return row


def personal_viewers_filter() -> Q:
    return Q(venue__isnull=True, seconds__gte=PERSONAL_MIN_SECONDS)
