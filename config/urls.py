import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from config.api import api
from core.security import public_media

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/", api.urls),
    # Ours first: it takes over machina's index, forum, topic, posting, moderation, search and feed pages.
    path("forum/", include("forum.urls")),
    path("forum/", include("machina.urls")),
    path("governance/", include("governance.urls")),
    path("open311/v2/", include("governance.reports.open311_urls")),
    path("party/", include("party.urls")),
    path("villages/", include("villages.urls")),
    path("dashboards/", include("dashboards.urls")),
    *([path("live-video/", include("streaming.video.urls"))] if settings.LIVE_VIDEO_ENABLED else []),
    path("", include("streaming.urls")),
    path("", include("learning.urls")),
    path("", include("cms.urls")),
    path("", include("core.urls")),
]

# With DEBUG on, only public media (Wagtail images, avatars) by address; the rest has its own views.
urlpatterns += [re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$", public_media)]

# Wagtail's catch-all page serving comes last.
urlpatterns += [path("", include(wagtail_urls))]

# Our 500 page gets the site's frame without context processors (core.views.server_error);
# 400/403/404 use Django's handlers with our templates (templates/4xx.html).
handler500 = "core.views.server_error"
