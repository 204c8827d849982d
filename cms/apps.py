from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Content management")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms import signals  # noqa: F401  (page-cache invalidation on publish)
        from cms.search import cms_search_hits
        from core.search import register_search_provider

        register_search_provider("cms", cms_search_hits)
