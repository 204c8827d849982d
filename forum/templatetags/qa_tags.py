"""Small template helpers of the Q&A pages: URLs of machina objects and status chips."""

from __future__ import annotations

from django import template

from forum import selectors
from forum.markup import plain_text

register = template.Library()


@register.filter
def topic_url(topic) -> str:
    return selectors.topic_url(topic)


@register.filter
def forum_url(forum) -> str:
    return selectors.forum_url(forum)


@register.filter
def excerpt(post, length: int = 80) -> str:
    return plain_text(getattr(post, "_content_rendered", "") or "", limit=int(length))


@register.simple_tag(takes_context=True)
def page_query(context, page_number: int) -> str:
    """The current query string with another page number (keeps filters such as ?status=)."""
    params = context["request"].GET.copy()
    params["page"] = page_number
    return "?" + params.urlencode()
