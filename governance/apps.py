from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Grassroots governance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.worker import register_reaper
        from governance.services.imports import import_jobs_fail_stalled

        register_reaper("import jobs", import_jobs_fail_stalled)
