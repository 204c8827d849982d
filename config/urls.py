from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from config.api import api

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
    path("live-video/", include("streaming.video.urls")),
    path("", include("streaming.urls")),
    path("", include("learning.urls")),
    path("", include("cms.urls")),
    path("", include("core.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's catch-all page serving comes last.
urlpatterns += [path("", include(wagtail_urls))]
