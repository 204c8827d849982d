"""Wagtail page types. The portal home is the root page of the default site."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from cms.portal import portal_tiles


class HomePage(Page):
    """The mobile-first portal (门户首页): tiles to every part of the platform."""

    intro = models.CharField(_("welcome text"), max_length=200, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("portal home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["tiles"] = portal_tiles(request.user)
        return context
