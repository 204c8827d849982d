from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyConfig(AppConfig):
    name = "party"
    verbose_name = _("Party-building management")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from party import receivers  # noqa: F401  (connects the organisational-life receivers)
