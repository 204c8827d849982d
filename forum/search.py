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
from forum.models import Question
from forum.services.index import post_index_text, subject_core

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


# Site-search scores, in [0, 1] like the other providers and a step below official content at the
# same kind of match (cms.search: title 1.0 / 0.8, body 0.5): a question in the subject, then one
# whose question holds the words, then one found only through its answers.
SCORE_SUBJECT_PHRASE = 0.95
SCORE_SUBJECT_WORDS = 0.75
SCORE_QUESTION_BODY = 0.45
SCORE_ANSWERS_ONLY = 0.3


def _subject_key(subject: str) -> str:
    # "请教：党费按什么标准缴纳？" repeats "党费按什么标准缴纳？".
    return "".join(ch for ch in subject_core(subject).lower() if ch.isalnum())


def forum_search_provider(*, user, query: str, limit: int = 10) -> list[SearchHit]:
    """The forum's results for the site-wide search page (core.search.register_search_provider).

    The same question asked again (same subject) is shown once, by its solved or most recent copy:
    the site search lists answers to find, the forum's own search lists every thread.
    """
    from forum.selectors import topic_url

    handler = PermissionHandler()
    needles = _needles(query)
    candidates = list(search_topics(user, query, handler=handler)[: limit * 3])
    chosen: dict[str, Topic] = {}
    for topic in candidates:
        key = _subject_key(topic.subject)
        kept = chosen.get(key)
        if kept is None or (topic.qa.accepted_answer_id and not kept.qa.accepted_answer_id):
            chosen[key] = topic
    topics = [t for t in candidates if chosen.get(_subject_key(t.subject)) is t][:limit]
    snippets = topic_snippets(topics, query)
    hits = []
    for position, topic in enumerate(topics):
        subject = topic.subject.lower()
        live = topic.qa.source == Question.Source.LIVE
        rendered = getattr(topic.first_post, "_content_rendered", "") or ""
        question = post_index_text(rendered, live_question=live).lower()
        if query.strip().lower() in subject:
            base = SCORE_SUBJECT_PHRASE
        elif needles and all(n in subject for n in needles):
            base = SCORE_SUBJECT_WORDS
        elif needles and all(n in question for n in needles):
            base = SCORE_QUESTION_BODY
        else:
            base = SCORE_ANSWERS_ONLY
        hits.append(
            SearchHit(
                kind="forum",
                kind_label=str(_("Q&A")),
                title=topic.subject,
                url=topic_url(topic),
                snippet=snippets[topic.pk],
                date=topic.last_post_on or topic.created,
                score=max(0.0, base - min(position, 999) / 10000),
            )
        )
    return hits
