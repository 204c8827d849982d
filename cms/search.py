"""Site search: the CMS's own provider, and the merge of every registered provider's hits.

The CMS pages index `search_title_terms`/`search_body_terms` (core.search.index_terms: jieba words,
CJK unigrams and bigrams) and are queried with core.search.query_terms (the bigrams of the query,
all required), which both SQLite FTS5 and PostgreSQL's parser split on the spaces between them.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from cms.models import GuidePage, NewsPage, ServicePage, UpdatePage
from core.search import CJK_RUN, WORD, SearchHit, query_terms, search_providers

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 100
PROVIDER_LIMIT = 100
SNIPPET_LENGTH = 90

KINDS = {
    NewsPage: ("news", _("News")),
    UpdatePage: ("update", _("Work update")),
    GuidePage: ("guide", _("Guide")),
    ServicePage: ("service", _("Service")),
}
KIND_LABELS = {key: label for key, label in KINDS.values()}


def clean_query(raw: str | None) -> str:
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def snippet_around(text: str, query: str, length: int = SNIPPET_LENGTH) -> str:
    """A piece of `text` of about `length` characters around the first word of the query found in it."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    needles = [*CJK_RUN.findall(query), *WORD.findall(query)]
    positions = [p for p in (text.lower().find(n.lower()) for n in needles) if p >= 0]
    start = max(0, min(positions) - length // 3) if positions else 0
    piece = text[start : start + length]
    return ("…" if start else "") + piece + ("…" if start + length < len(text) else "")


def _score(title: str, query: str, position: int) -> float:
    """Higher for a title holding the whole query, then all its words; backend order breaks ties."""
    needles = [*CJK_RUN.findall(query), *(w.lower() for w in WORD.findall(query))]
    lowered = title.lower()
    if query.lower() in lowered:
        base = 1.0
    elif needles and all(n.lower() in lowered for n in needles):
        base = 0.8
    else:
        base = 0.5
    return base - min(position, 999) / 10000


def cms_search_pages(*, query: str, limit: int = PROVIDER_LIMIT) -> list[Page]:
    """Live public CMS pages matching every term of `query`, most relevant first (specific pages)."""
    terms = query_terms(query)
    if not terms:
        return []
    results = Page.objects.live().public().type(*KINDS).search(terms, operator="and")[:limit]
    ids = [page.pk for page in results]
    specific = {page.pk: page for page in Page.objects.filter(pk__in=ids).specific()}
    return [specific[pk] for pk in ids if pk in specific]


def cms_search_hits(*, user, query: str, limit: int = PROVIDER_LIMIT) -> list[SearchHit]:
    """The CMS's search provider (registered in CmsConfig.ready). CMS pages are public to everyone
    who can reach the site, so `user` does not narrow them; restricted pages are left out for all."""
    from cms.cache import cache_seconds, current_generation

    query = clean_query(query)
    if not query_terms(query):
        return []
    # Cached with the pages (same generation, same switch): a publish orphans these too.
    caching = cache_seconds() > 0
    key = f"cms:search:{current_generation()}:{get_language()}:{limit}:{query}" if caching else ""
    hits = cache.get(key) if caching else None
    if hits is None:
        hits = []
        for position, page in enumerate(cms_search_pages(query=query, limit=limit)):
            kind, label = KINDS[type(page)]
            hits.append(
                SearchHit(
                    kind=kind,
                    kind_label=str(label),
                    title=page.title,
                    url=page.url or "",
                    snippet=snippet_around(page.search_text(), query),
                    date=getattr(page, "date", None) or page.last_published_at,
                    score=_score(page.title, query, position),
                )
            )
        if caching:
            cache.set(key, hits, 300)
    return hits


def site_search(*, user, query: str, kind: str | None = None) -> list[SearchHit]:
    """Every provider's hits for `query`, best first. A failing provider is left out, never fatal."""
    query = clean_query(query)
    if not query:
        return []
    hits: list[SearchHit] = []
    for key, provider in search_providers().items():
        try:
            found = provider(user=user, query=query, limit=PROVIDER_LIMIT)
        except Exception:
            logger.exception("search provider %r failed for %r", key, query)
            continue
        hits.extend(found)
    if kind:
        hits = [h for h in hits if h.kind == kind]
    # Providers score in [0, 1]; the newest first among equal scores.
    hits.sort(key=lambda h: (-h.score, -_timestamp(h)))
    return [replace(h, kind_label=str(h.kind_label)) for h in hits]


def _timestamp(hit: SearchHit) -> float:
    import datetime

    if hit.date is None:
        return 0.0
    if isinstance(hit.date, datetime.datetime):
        return hit.date.timestamp()
    return datetime.datetime.combine(hit.date, datetime.time()).timestamp()
