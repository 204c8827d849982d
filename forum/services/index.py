"""The Chinese word-search terms of each question (core.search.index_terms), kept with the question.

One row per question holds the terms of its subject and of every approved post, so a search finds
a question by words from its answers too. New posts append their terms; edits and removals rebuild.

Only what people wrote is indexed: the line the platform adds under a question asked during a live
event ("在直播《…》中提问") is left out, or every question of an event would match its title's words.
"""

from __future__ import annotations

import re

from core.search import index_terms
from forum.access import Post
from forum.markup import plain_text
from forum.models import Question

# forum.services.live writes the origin as the question's last paragraph, in Markdown emphasis.
ORIGIN_PARAGRAPH = re.compile(r"<p>\s*<em>[^<]*</em>\s*</p>\s*$")
# What people put before a question that says nothing about it: "请教：", "求助：", "【提问】" …
SUBJECT_PREFIX = re.compile(r"^\s*(?:【(?:提问|求助|请教|咨询)】|(?:请教|求助|咨询一下|咨询|请问)\s*[：:，,]?)\s*")


def subject_core(subject: str) -> str:
    """The subject without a leading "请教：" and the like (indexed, and compared to find repeats)."""
    return SUBJECT_PREFIX.sub("", subject or "", count=1) or subject or ""


def _frame(terms: str) -> str:
    # Leading and trailing spaces let a lookup match whole terms: contains(" 党费 ").
    return f" {terms.strip()} " if terms.strip() else ""


def post_index_text(rendered_html: str, *, live_question: bool = False) -> str:
    """The searchable text of a post: its plain text, without the origin line of a live question."""
    rendered_html = rendered_html or ""
    if live_question:
        rendered_html = ORIGIN_PARAGRAPH.sub("", rendered_html)
    return plain_text(rendered_html)


def question_terms(subject: str, texts: list[str]) -> str:
    return _frame(index_terms(subject_core(subject), *texts))


def question_index_rebuild(*, question: Question) -> None:
    topic = question.topic
    live = question.source == Question.Source.LIVE
    rows = topic.posts.filter(approved=True).order_by("created", "pk").values_list("pk", "_content_rendered")
    texts = [post_index_text(html, live_question=live and pk == topic.first_post_id) for pk, html in rows]
    question.search_terms = question_terms(topic.subject, texts)
    question.save(update_fields=["search_terms"])


def question_index_append(*, question: Question, post: Post) -> None:
    live = question.source == Question.Source.LIVE and post.pk == question.topic.first_post_id
    text = post_index_text(post._content_rendered, live_question=live)
    new_terms = index_terms(subject_core(question.topic.subject), text).split()
    merged = dict.fromkeys([*question.search_terms.split(), *new_terms])
    question.search_terms = _frame(" ".join(merged))
    question.save(update_fields=["search_terms"])
