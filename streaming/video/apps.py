from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreamingVideoConfig(AppConfig):
    """Getting video in and out of live events: ingest, HLS packaging, the ffmpeg supervisor."""

    name = "streaming.video"
    label = "streaming_video"
    verbose_name = _("Live video")
    default_auto_field = "django.db.models.BigAutoField"
