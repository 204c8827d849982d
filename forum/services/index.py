"""The Chinese word-search terms of each question (core.search.index_terms), kept with the question.

One row per question holds the terms of its subject and of every approved post, so a search finds
a question by words from its answers too. New posts append their terms; edits and removals rebuild.
"""

from __future__ import annotations

from core.search import index_terms
from forum.access import Post, Topic
from forum.markup import plain_text
from forum.models import Question


def _frame(terms: str) -> str:
    # Leading and trailing spaces let a lookup match whole terms: contains(" 党费 ").
    return f" {terms.strip()} " if terms.strip() else ""


def question_terms(topic: Topic, texts: list[str]) -> str:
    return _frame(index_terms(topic.subject, *texts))


def question_index_rebuild(*, question: Question) -> None:
    topic = question.topic
    rendered = topic.posts.filter(approved=True).order_by("created", "pk").values_list("_content_rendered", flat=True)
    question.search_terms = question_terms(topic, [plain_text(html or "") for html in rendered])
    question.save(update_fields=["search_terms"])


def question_index_append(*, question: Question, post: Post) -> None:
    new_terms = index_terms(question.topic.subject, plain_text(post._content_rendered or "")).split()
    merged = dict.fromkeys([*question.search_terms.split(), *new_terms])
    question.search_terms = _frame(" ".join(merged))
    question.save(update_fields=["search_terms"])
