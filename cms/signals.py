"""Anything a reader can see changed: orphan the cached anonymous pages (see cms/cache.py)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from cms.cache import page_cache_invalidate
from cms.models import Announcement, NewsCategory


@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_page_move)
def _page_changed(sender, **kwargs) -> None:
    page_cache_invalidate()


@receiver(post_delete)
def _page_deleted(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page):
        page_cache_invalidate()


@receiver(post_save, sender=Announcement)
@receiver(post_delete, sender=Announcement)
@receiver(post_save, sender=NewsCategory)
@receiver(post_delete, sender=NewsCategory)
def _snippet_changed(sender, **kwargs) -> None:
    page_cache_invalidate()
