"""Chinese word search over the forum's questions, and the forum's part of the site search.

Each Question stores core.search.index_terms of its subject and approved posts; a query must match
all of core.search.query_terms (bigrams of its Chinese runs), so "党费" finds "按月缴纳党费的标准".
This replaces machina's haystack page: haystack's SimpleEngine matches whole space-separated words
with LIKE and cannot find a word inside a Chinese sentence. Only forums the user can read are searched.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.search import CJK_RUN, WORD, SearchHit, highlight_spans, query_terms
from forum.access import PermissionHandler, Post, Topic, readable_forum_ids
from forum.markup import plain_text

SNIPPET_RADIUS = 40


def search_topics(user, query: str, *, handler, forum_ids: set[int] | None = None) -> QuerySet:
    terms = query_terms(query or "").split()
    if not terms:
        return Topic.objects.none()
    allowed = readable_forum_ids(user, handler=handler)
    if forum_ids is not None:
        allowed &= set(forum_ids)
    qs = Topic.objects.filter(forum_id__in=allowed, approved=True)
    for term in terms:
        qs = qs.filter(qa__search_terms__contains=f" {term} ")
    return qs.select_related("forum", "poster", "qa", "first_post").order_by("-last_post_on", "-pk")


def _needles(query: str) -> list[str]:
    return [n.lower() for n in (*CJK_RUN.findall(query), *WORD.findall(query))]


def snippet(text: str, query: str, *, radius: int = SNIPPET_RADIUS) -> str:
    """A window of `text` around the first place the query appears (or its start)."""
    lowered = text.lower()
    positions = [p for p in (lowered.find(n) for n in _needles(query)) if p >= 0]
    if not positions:
        return text[: radius * 2] + ("…" if len(text) > radius * 2 else "")
    start = max(0, min(positions) - radius)
    end = min(len(text), min(positions) + radius)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def topic_snippets(topics, query: str) -> dict[int, str]:
    """A snippet per topic around the query: from the question, else from the first post that has it.

    One query for all the topics whose question does not contain the words, whatever their number.
    """
    needles = sorted(_needles(query), key=len, reverse=True)
    snippets: dict[int, str] = {}
    pending: list[int] = []
    for topic in topics:
        text = plain_text(getattr(topic.first_post, "_content_rendered", "") or "") if topic.first_post_id else ""
        snippets[topic.pk] = snippet(text, query)
        if needles and not any(n in text.lower() for n in needles):
            pending.append(topic.pk)
    if pending:
        rows = (
            Post.objects.filter(topic_id__in=pending, approved=True, _content_rendered__contains=needles[0])
            .order_by("created", "pk")
            .values_list("topic_id", "_content_rendered")
        )
        found: set[int] = set()
        for topic_id, rendered in rows:
            if topic_id not in found:
                found.add(topic_id)
                snippets[topic_id] = snippet(plain_text(rendered or ""), query)
    return snippets


def highlighted(text: str, query: str) -> list[tuple[str, bool]]:
    return highlight_spans(text, query)


def forum_search_provider(*, user, query: str, limit: int = 10) -> list[SearchHit]:
    """The forum's results for the site-wide search page (core.search.register_search_provider)."""
    from forum.selectors import topic_url

    handler = PermissionHandler()
    needles = _needles(query)
    topics = list(search_topics(user, query, handler=handler)[:limit])
    snippets = topic_snippets(topics, query)
    hits = []
    for topic in topics:
        subject = topic.subject.lower()
        in_subject = bool(needles) and all(n in subject for n in needles)
        hits.append(
            SearchHit(
                kind="forum",
                kind_label=str(_("Q&A")),
                title=topic.subject,
                url=topic_url(topic),
                snippet=snippets[topic.pk],
                date=topic.last_post_on or topic.created,
                score=2.0 if in_subject else 1.0,
            )
        )
    return hits
