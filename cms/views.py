"""Thin views of the CMS beyond Wagtail's page serving: site search, the news feed, named routes."""

from __future__ import annotations

import datetime

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.translation import gettext_lazy as _
from wagtail.views import serve

from cms.cache import mark_cacheable
from cms.search import KIND_LABELS, clean_query, site_search
from cms.selectors import news_live

SEARCH_PAGE_SIZE = 10
FEED_ITEMS = 30


def section(request, path: str):
    """The Wagtail page at a fixed path, under a URL name the portal tiles can reverse."""
    return serve(request, path)


def search(request):
    query = clean_query(request.GET.get("q"))
    kind = request.GET.get("kind") or None
    hits = site_search(user=request.user, query=query) if query else []
    counts: dict[str, int] = {}
    labels: dict[str, str] = dict(KIND_LABELS)
    for hit in hits:
        counts[hit.kind] = counts.get(hit.kind, 0) + 1
        labels.setdefault(hit.kind, hit.kind_label)
    if kind in labels:
        hits = [h for h in hits if h.kind == kind]
    else:
        kind = None
    page = Paginator(hits, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    facets = [(k, labels[k], n) for k, n in counts.items()]
    return render(
        request,
        "cms/search.html",
        {"query": query, "kind": kind, "results": page, "facets": facets, "total": sum(counts.values())},
    )


class NewsFeed(Feed):
    feed_type = Rss201rev2Feed
    title = _("Smart Party-Building Platform · News")
    description = _("The latest news and notices")
    link = "/news/"

    def __call__(self, request, *args, **kwargs):
        mark_cacheable(request)
        return super().__call__(request, *args, **kwargs)

    def items(self):
        return news_live().select_related("category").order_by("-date", "-pk")[:FEED_ITEMS]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.url

    def item_pubdate(self, item):
        moment = item.first_published_at
        if moment and moment.date() == item.date:
            return moment
        return timezone.make_aware(datetime.datetime.combine(item.date, datetime.time(8)))

    def item_author_name(self, item):
        return item.author or None

    def item_categories(self, item):
        return [item.category.name] if item.category else []
