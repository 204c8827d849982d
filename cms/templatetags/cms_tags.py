"""Template helpers of the CMS: search-result highlighting (escaped piece by piece)."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from core.search import highlight_spans

register = template.Library()


@register.filter
def highlight(text: str, query: str) -> SafeString:
    """`text` with every word of `query` in <mark>; both are escaped, so neither can inject markup."""
    pieces = []
    for piece, matched in highlight_spans(str(text or ""), str(query or "")):
        pieces.append(format_html("<mark>{}</mark>", piece) if matched else conditional_escape(piece))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece escaped above


@register.inclusion_tag("cms/includes/pagination.html", takes_context=True)
def pagination(context, page_obj, **params):
    """Previous/next links that keep the other query parameters (category …)."""
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    for name, value in params.items():
        if value:
            query[name] = value
    return {"page_obj": page_obj, "base_query": query.urlencode()}
