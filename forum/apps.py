from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumConfig(AppConfig):
    name = "forum"
    label = "qa_forum"  # "forum" is taken by machina.apps.forum
    verbose_name = _("Party members' Q&A")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.search import register_search_provider
        from forum.search import forum_search_provider

        register_search_provider("forum", forum_search_provider)
