from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = _("Online classroom")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.search import register_search_provider
        from learning.search import search_courses

        register_search_provider("courses", search_courses)

        from core.worker import register_reaper
        from learning.services.media import media_assets_fail_stalled

        register_reaper("media conversions", media_assets_fail_stalled)
