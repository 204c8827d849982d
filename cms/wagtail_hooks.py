"""Admin registration: announcements and news categories are snippets editors manage in /admin/."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.models import Announcement, NewsCategory


class AnnouncementViewSet(SnippetViewSet):
    model = Announcement
    icon = "warning"
    menu_label = _("Announcements")
    add_to_admin_menu = True
    menu_order = 210
    list_display = ["title", "level", "starts_at", "ends_at"]
    list_filter = ["level"]
    ordering = ["-starts_at"]


class NewsCategoryViewSet(SnippetViewSet):
    model = NewsCategory
    icon = "tag"
    menu_label = _("News categories")
    list_display = ["name", "slug", "sort_order"]


register_snippet(AnnouncementViewSet)
register_snippet(NewsCategoryViewSet)
