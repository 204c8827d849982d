"""Live events in the site search: the events the searcher may watch whose title or description holds
every word of the query (core.search.query_terms: Chinese bigrams, so a word inside a longer title
is found). Registered in StreamingConfig.ready()."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.search import SearchHit, query_terms
from streaming.access import events_visible_to
from streaming.models import LiveEvent

SNIPPET_LENGTH = 90


def search_events(*, user, query: str, limit: int = 100) -> list[SearchHit]:
    terms = query_terms(query or "").split()
    if not terms:
        return []
    events = events_visible_to(user).exclude(state=LiveEvent.State.CANCELLED)
    for term in terms:
        events = events.filter(Q(title__icontains=term) | Q(description__icontains=term))
    hits = []
    for position, event in enumerate(events.order_by("-scheduled_start", "-pk")[:limit]):
        in_title = all(term in event.title.lower() for term in terms)
        hits.append(
            SearchHit(
                kind="live",
                kind_label=_("Live event"),
                title=event.title,
                url=event.get_absolute_url(),
                snippet=f"{event.get_state_display()} · {event.description}"[:SNIPPET_LENGTH],
                date=event.scheduled_start,
                score=max(0.0, (0.9 if in_title else 0.5) - min(position, 999) / 10000),
            )
        )
    return hits
