from django.conf import settings

from core.selectors import unread_notification_count


def site(request):
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        "unread_notifications": unread_notification_count(user) if user is not None else 0,
    }
