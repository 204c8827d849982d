from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreamingConfig(AppConfig):
    name = "streaming"
    verbose_name = _("Live streaming")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.health import register_check
        from core.search import register_search_provider
        from streaming import integrations
        from streaming.search import search_events
        from streaming.wire import live_writes_report

        register_search_provider("live", search_events)
        register_check("live_writes", live_writes_report)
        # The optional live video, when switched on, is imported now: broken, it stops the start.
        integrations.load()
