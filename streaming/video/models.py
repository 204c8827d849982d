"""What the live supervisor knows about one event's video, for the pages that show it.

The supervisor (manage.py live_supervisor) follows LiveEvent.state and writes this row; the pages
only read it (streaming.video.selectors.ingest_status).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from streaming.models import LiveEvent


class LiveStream(models.Model):
    class Source(models.TextChoices):
        NONE = "", _("No source")
        RTMP = "rtmp", _("Encoder (RTMP)")
        BROWSER = "browser", _("Browser camera")

    class Recording(models.TextChoices):
        NONE = "none", _("Nothing recorded")
        RECORDING = "recording", _("Recording")
        PUBLISHING = "publishing", _("Making the replay")
        PUBLISHED = "published", _("Replay published")
        FAILED = "failed", _("Replay failed")
        DISCARDED = "discarded", _("Discarded")

    event = models.OneToOneField(
        LiveEvent, on_delete=models.CASCADE, primary_key=True, related_name="video", verbose_name=_("live event")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, blank=True, default="")
    on_air = models.BooleanField(_("on air"), default=False)
    source_info = models.JSONField(_("source details"), default=dict, blank=True)
    connected_at = models.DateTimeField(_("source connected at"), null=True, blank=True)
    last_segment_at = models.DateTimeField(_("last segment at"), null=True, blank=True)
    restarts = models.PositiveIntegerField(_("packager restarts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    recording = models.CharField(_("recording"), max_length=12, choices=Recording.choices, default=Recording.NONE)
    recorded_seconds = models.FloatField(_("recorded seconds"), default=0)
    # The replay lesson (a Wagtail page of the learning app); an id, not a foreign key, so that this
    # app does not depend on the learning app's migrations.
    replay_page_id = models.PositiveIntegerField(_("replay page"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("live video stream")
        verbose_name_plural = _("live video streams")

    def __str__(self) -> str:
        return f"{self.event_id}: {self.source or '-'}"
