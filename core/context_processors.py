from django.conf import settings

from core.navigation import TABS, active_tab
from core.selectors import unread_notification_count


def site(request):
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        "SITE_OPERATOR": settings.SITE_OPERATOR,
        "SITE_CONTACT": settings.SITE_CONTACT,
        "SITE_ICP_RECORD": settings.SITE_ICP_RECORD,
        "unread_notifications": unread_notification_count(user) if user is not None else 0,
        "nav_tabs": TABS,
        "nav_active": active_tab(request.path),
    }
