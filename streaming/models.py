"""Live events broadcast from one main venue to N branch venues (一个主会场+N个分会场).

The video side (ingest, packaging, supervisor) lives in the `streaming.video` app and follows the
state of LiveEvent rows: the database is the source of truth for what should be on air.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import Area, PartyOrg, User


def new_stream_key() -> str:
    return secrets.token_urlsafe(18)


class Venue(models.Model):
    """A place that watches (or hosts) live events: a party branch's room, a community centre."""

    class Kind(models.TextChoices):
        MAIN = "main", _("Main venue")
        BRANCH = "branch", _("Branch venue")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BRANCH)
    # Operators of a venue are the venue-operator memberships of this party organisation.
    party_org = models.ForeignKey(
        PartyOrg,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="venues",
        verbose_name=_("party organisation"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="venues", verbose_name=_("area")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), default=0)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LiveEvent(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        LIVE = "live", _("Live")
        ENDED = "ended", _("Ended")
        REPLAY_READY = "replay_ready", _("Replay ready")
        CANCELLED = "cancelled", _("Cancelled")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Public")
        MEMBERS = "members", _("Party members")
        INVITED = "invited", _("Invited venues only")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # One item per line ("09:00 开场"), shown on the venues' waiting screens before the start.
    agenda = models.TextField(_("agenda"), blank=True)
    organiser = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="organised_events", verbose_name=_("organiser")
    )
    organiser_org = models.ForeignKey(
        PartyOrg,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="live_events",
        verbose_name=_("organising party organisation"),
    )
    scheduled_start = models.DateTimeField(_("scheduled start"))
    scheduled_end = models.DateTimeField(_("scheduled end"))
    main_venue = models.ForeignKey(
        Venue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_events",
        verbose_name=_("main venue"),
    )
    invited_venues = models.ManyToManyField(
        Venue, through="Invitation", related_name="invited_events", blank=True, verbose_name=_("invited branch venues")
    )
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.MEMBERS)
    stream_key = models.CharField(_("stream key"), max_length=64, unique=True, default=new_stream_key, editable=False)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SCHEDULED, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # The sequence number of the event's last StreamItem. Bumped under the row lock in the same
    # transaction that writes the item, so numbers are handed out in commit order without gaps.
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("live event")
        verbose_name_plural = _("live events")
        ordering = ["-scheduled_start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scheduled_end__gt=models.F("scheduled_start")), name="event_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("streaming:event_detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.state == self.State.LIVE

    @property
    def agenda_items(self) -> list[str]:
        return [line.strip() for line in self.agenda.splitlines() if line.strip()]

    @property
    def is_over(self) -> bool:
        return self.state in (self.State.ENDED, self.State.REPLAY_READY)

    @property
    def duration_seconds(self) -> float:
        """How long it was on air (0 until it has started)."""
        if not self.started_at:
            return 0.0
        from django.utils import timezone

        end = self.ended_at or timezone.now()
        return max(0.0, (end - self.started_at).total_seconds())


class Invitation(models.Model):
    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="invitations")
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="invitations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["event", "venue"], name="invitation_unique")]

    def __str__(self) -> str:
        return f"{self.event} → {self.venue}"


# --- What every screen of an event sees, in order ---------------------------------------------


class StreamItem(models.Model):
    """One push to every screen of an event (a chat message, a deletion, a question's new state,
    an announcement, a state change), numbered per event. The database is the source of truth:
    a client that reconnects asks for the items after the last number it saw."""

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="stream_items")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=30)
    # The exact JSON text sent live, so a replay sends byte-for-byte what the live push sent.
    data = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stream item")
        verbose_name_plural = _("stream items")
        constraints = [models.UniqueConstraint(fields=["event", "seq"], name="stream_item_seq_unique")]

    def __str__(self) -> str:
        return f"{self.event_id}#{self.seq} {self.kind}"


class ChatMessage(models.Model):
    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="chat_messages")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author"))
    # Posted from a venue's big screen: shown as the venue speaking.
    venue = models.ForeignKey(
        Venue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("venue")
    )
    author_name = models.CharField(_("shown as"), max_length=120)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["event", "id"])]

    def __str__(self) -> str:
        return self.text[:40]


class Question(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Waiting")
        ANSWERING = "answering", _("Being answered")
        ANSWERED = "answered", _("Answered")

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("asked by"))
    venue = models.ForeignKey(
        Venue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("venue")
    )
    author_name = models.CharField(_("shown as"), max_length=120)
    text = models.TextField(_("question"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    seconds = models.PositiveIntegerField(_("seconded by"), default=0)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    answering_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Set once the host has published it in the Q&A forum after the event.
    forum_topic_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    forum_url = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        verbose_name = _("live question")
        verbose_name_plural = _("live questions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class QuestionSecond(models.Model):
    """Someone else wants the same question answered (one per person)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="seconded")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "user"], name="question_second_unique")]


class Announcement(models.Model):
    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="announcements")
    text = models.CharField(_("text"), max_length=300)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]


# --- Attendance ----------------------------------------------------------------------------


class VenueAttendance(models.Model):
    """One venue at one event: its check-in (headcount, photo), heartbeats and player health."""

    class Health(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        WAITING = "waiting", _("Waiting for video")
        PLAYING = "playing", _("Playing")
        BUFFERING = "buffering", _("Buffering")
        ERROR = "error", _("Playback error")

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="venue_attendance")
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="attendance")
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    headcount = models.PositiveIntegerField(_("headcount"), default=0)
    photo = models.ImageField(_("photo of the room"), upload_to="streaming/checkins/%Y/%m/", blank=True)
    # Party members the operator ticked as present: they get learning credit.
    members = models.ManyToManyField(User, blank=True, related_name="+", verbose_name=_("members present"))
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    health = models.CharField(_("player"), max_length=10, choices=Health.choices, default=Health.UNKNOWN)
    health_detail = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("venue attendance")
        verbose_name_plural = _("venue attendance")
        constraints = [models.UniqueConstraint(fields=["event", "venue"], name="venue_attendance_unique")]

    def __str__(self) -> str:
        return f"{self.event} · {self.venue}"


class VenueOnlineInterval(models.Model):
    """A stretch of time a venue's screen kept sending heartbeats."""

    attendance = models.ForeignKey(VenueAttendance, on_delete=models.CASCADE, related_name="intervals")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        ordering = ["started_at", "id"]


class MemberAttendance(models.Model):
    """A person who took part: ticked present at a venue (`venue` set) or watching on their own.

    This is the event's learning record: `streaming.selectors.learning_credits_for(user)` reads it.
    """

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="member_attendance")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="live_attendance")
    venue = models.ForeignKey(Venue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Watched personally: heartbeat time while the event was live. Through a venue: the time on air.
    seconds = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="member_attendance_unique")]
        indexes = [models.Index(fields=["user", "event"])]

    def __str__(self) -> str:
        return f"{self.event} · {self.user}"
