"""The only way from a user-supplied page id to a CMS page for readers (the API, feeds).

Readers see live pages without view restrictions, whoever they are: drafts, unpublished,
expired and restricted pages answer 404 exactly like ids that never existed.
"""

from __future__ import annotations

from django.http import Http404
from wagtail.models import Page


def readable_pages(model: type[Page]):
    return model.objects.live().public()


def access_page_by_id(user, page_id: int | str, *, model: type[Page]) -> Page:
    """A live, public page of type `model` (its specific class), else Http404."""
    try:
        return readable_pages(model).get(pk=int(page_id))
    except (model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
