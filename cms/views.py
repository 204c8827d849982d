"""Thin views of the CMS beyond Wagtail's page serving: site search, the news feed, named routes."""

from __future__ import annotations

import copy
import datetime

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from wagtail.views import serve

from cms.cache import SEARCH_CACHE_SECONDS, mark_cacheable
from cms.search import KIND_LABELS, clean_query, site_search
from cms.selectors import news_live

SEARCH_PAGE_SIZE = 10
FEED_ITEMS = 30


def section(request, path: str):
    """The Wagtail page at a fixed path, under a URL name the portal tiles can reverse."""
    return serve(request, path)


def search(request):
    mark_cacheable(request, allowed_params={"q", "kind", "page"}, seconds=SEARCH_CACHE_SECONDS)
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

    def __call__(self, request, *args, **kwargs):
        # One Feed instance serves every request: links are made absolute from a per-request copy
        # (the sites framework's domain is a placeholder; the reader's host is the real one).
        mark_cacheable(request)
        feed = copy.copy(self)
        feed.request = request
        return super(NewsFeed, feed).__call__(request, *args, **kwargs)

    def link(self):
        return self.request.build_absolute_uri(reverse("cms:news_index"))

    def items(self):
        return news_live().select_related("category").order_by("-date", "-pk")[:FEED_ITEMS]

    # Readers render titles and descriptions as HTML: escape our plain text for them.
    def item_title(self, item):
        return escape(item.title)

    def item_description(self, item):
        return escape(item.summary)

    def item_link(self, item):
        return self.request.build_absolute_uri(item.url)

    def item_pubdate(self, item):
        moment = item.first_published_at
        if moment and moment.date() == item.date:
            return moment
        return timezone.make_aware(datetime.datetime.combine(item.date, datetime.time(8)))

    def item_author_name(self, item):
        return item.author or None

    def item_categories(self, item):
        return [item.category.name] if item.category else []
