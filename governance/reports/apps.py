from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """拍一拍: problem reports from phones, dispatched to departments, handled, rated and reviewed."""

    name = "governance.reports"
    label = "reports"
    verbose_name = _("Problem reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.models import Area
        from core.signals import subtree_moved
        from governance.reports import receivers

        subtree_moved.connect(receivers.on_area_moved, sender=Area, dispatch_uid="reports.area_moved")
