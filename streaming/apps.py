from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreamingConfig(AppConfig):
    name = "streaming"
    verbose_name = _("Live streaming")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.search import register_search_provider
        from streaming.search import search_events

        register_search_provider("live", search_events)
