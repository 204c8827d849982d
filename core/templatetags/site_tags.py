"""Template helpers of the site's frame (templates/base.html)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()

TITLE_SEPARATOR = " · "


@register.filter(is_safe=True)
def page_title(value: str) -> str:
    """ "Lesson · Course · Site": each part once (a home page titled like the site, a lesson titled like its
    course), ending with the site's name. Pages set their parts in `{% block title %}`."""
    site = str(settings.WAGTAIL_SITE_NAME)
    parts: list[str] = []
    for part in str(value).split(TITLE_SEPARATOR.strip()):
        part = " ".join(part.split())
        if part and part not in parts and part != site:
            parts.append(part)
    parts.append(site)
    return TITLE_SEPARATOR.join(parts)
