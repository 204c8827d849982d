"""Chinese-aware search terms shared by every app's search index.

Full-text engines (SQLite FTS5, PostgreSQL tsvector) split on spaces and punctuation, which leaves
a Chinese sentence as one long token: "振兴" would never find "推进乡村振兴工作会议召开". We index
jieba's words for relevance plus every character unigram and bigram of each run of Chinese text,
and turn a query into the bigrams of its Chinese runs (AND), which finds any word inside a longer
phrase on both databases.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
import re
from collections.abc import Callable

from django_stubs_ext import StrOrPromise

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[0-9A-Za-z]+")


@functools.cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _ngrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_terms(*parts: str) -> str:
    """A space-separated bag of terms to store in a search field."""
    text = " ".join(p for p in parts if p)
    terms: list[str] = []
    seen: set[str] = set()

    def add(term: str) -> None:
        if term and term not in seen:
            seen.add(term)
            terms.append(term)

    for word in _jieba().cut_for_search(text):
        word = word.strip().lower()
        if len(word) >= 2 and (CJK_RUN.fullmatch(word) or WORD.fullmatch(word)):
            add(word)
    for run in CJK_RUN.findall(text):
        for char in run:
            add(char)
        for gram in _ngrams(run):
            add(gram)
    for word in WORD.findall(text):
        add(word.lower())
    return " ".join(terms)


def query_terms(query: str) -> str:
    """The terms a user's query must all match: bigrams of Chinese runs, plain words as typed."""
    terms: list[str] = []
    for run in CJK_RUN.findall(query):
        terms.extend(_ngrams(run))
    terms.extend(w.lower() for w in WORD.findall(query))
    return " ".join(dict.fromkeys(terms))


def highlight_spans(text: str, query: str) -> list[tuple[str, bool]]:
    """Split text into (piece, is_match) for highlighting every Chinese run or word of the query."""
    needles = sorted({*CJK_RUN.findall(query), *WORD.findall(query)}, key=len, reverse=True)
    if not needles or not text:
        return [(text, False)]
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    spans: list[tuple[str, bool]] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            spans.append((text[position : match.start()], False))
        spans.append((match.group(0), True))
        position = match.end()
    if position < len(text):
        spans.append((text[position:], False))
    return spans


# --- Site search: each app contributes a provider ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SearchHit:
    """One result of the site search, whatever app it comes from."""

    kind: str  # e.g. "news", "guide", "service", "course", "forum"
    kind_label: StrOrPromise  # translated label shown beside the result (lazy or not)
    title: str
    url: str
    snippet: str = ""
    date: datetime.datetime | datetime.date | None = None
    score: float = 0.0


SearchProvider = Callable[..., list[SearchHit]]
_providers: dict[str, SearchProvider] = {}


def register_search_provider(key: str, provider: SearchProvider) -> None:
    """Called from an AppConfig.ready(): `provider(*, user, query, limit) -> list[SearchHit]`.

    The provider applies the user's access rights itself (through its app's access/selectors).
    """
    _providers[key] = provider


def search_providers() -> dict[str, SearchProvider]:
    return dict(_providers)
