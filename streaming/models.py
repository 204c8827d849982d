"""Live events broadcast from one main venue to N branch venues (一个主会场+N个分会场).

The video side (ingest, packaging, supervisor) lives in the `streaming.video` app and follows the
state of LiveEvent rows: the database is the source of truth for what should be on air.
"""

from __future__ import annotations

import secrets

from django.db import models
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
