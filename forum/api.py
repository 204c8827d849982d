"""The Q&A forum in the JSON API (/api/forum/…): forums, questions with their state, a question's posts.

Read-only, through the same access layer as the pages: a private forum, or a topic or post in it,
is a 404 for anyone who may not read it. Post bodies are the sanitised HTML the site shows.
"""

from __future__ import annotations

from datetime import datetime

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Query, Router, Schema

from forum import selectors
from forum.access import access_forum_by_id, access_topic_by_id, permission_handler, readable_forum_ids
from forum.models import Question
from forum.search import search_topics

router = Router(tags=["forum"])


class ForumOut(Schema):
    id: int
    name: str
    parent_id: int | None
    is_category: bool
    private: bool
    topics: int
    posts: int
    unanswered: int
    url: str


class TopicOut(Schema):
    id: int
    forum_id: int
    subject: str
    status: str
    answers: int
    accepted_answer_id: int | None
    asker: str
    source: str
    views: int
    created: datetime
    last_activity: datetime | None
    locked: bool
    url: str


class TopicPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[TopicOut]


class PostOut(Schema):
    id: int
    kind: str
    author: str
    created: datetime
    approved: bool
    accepted: bool = False
    html: str
    children: list[PostOut] = []


class TopicPostsOut(Schema):
    topic: TopicOut
    question: PostOut
    answers_count: int
    page: int
    pages: int
    answers: list[PostOut]


class TopicFilter(Schema):
    status: str | None = None
    page: int = 1


_STATUS_NAMES = {value: name for name, value in selectors.STATUS_FILTERS.items()}


def _topic_out(topic) -> TopicOut:
    question = getattr(topic, "qa", None)
    return TopicOut(
        id=topic.pk,
        forum_id=topic.forum_id,
        subject=topic.subject,
        status=_STATUS_NAMES[question.status if question else Question.Status.UNANSWERED],
        answers=question.answers_count if question else 0,
        accepted_answer_id=question.accepted_answer_id if question else None,
        asker=topic.poster.get_full_name() if topic.poster else "",
        source=question.source if question else Question.Source.FORUM,
        views=topic.views_count,
        created=topic.created,
        last_activity=topic.last_post_on,
        locked=topic.is_locked,
        url=selectors.topic_url(topic),
    )


def _topics_out(qs, page_number: int) -> TopicPageOut:
    page = Paginator(qs, selectors.TOPICS_PER_PAGE).get_page(page_number)
    return TopicPageOut(
        count=page.paginator.count,
        page=page.number,
        pages=page.paginator.num_pages,
        results=[_topic_out(t) for t in page.object_list],
    )


def _post_out(node) -> PostOut:
    post = node.post
    return PostOut(
        id=post.pk,
        kind=node.kind,
        author=post.poster.get_full_name() if post.poster else (post.username or ""),
        created=post.created,
        approved=post.approved,
        accepted=node.accepted,
        html=post._content_rendered or "",
        children=[_post_out(child) for child in node.children],
    )


def _flatten(rows, out: list[ForumOut]) -> list[ForumOut]:
    for row in rows:
        forum = row.forum
        out.append(
            ForumOut(
                id=forum.pk,
                name=forum.name,
                parent_id=forum.parent_id,
                is_category=forum.is_category,
                private=row.private,
                topics=row.topics_count,
                posts=row.posts_count,
                unanswered=row.unanswered,
                url=selectors.forum_url(forum),
            )
        )
        _flatten(row.children, out)
    return out


@router.get("/forums", response=list[ForumOut], summary="Forums the caller can read, in tree order")
def forum_list(request: HttpRequest):
    return _flatten(selectors.forum_rows(request.user, handler=permission_handler(request)), [])


@router.get("/forums/{forum_id}/topics", response=TopicPageOut, summary="A forum's questions, filtered by state")
def forum_topics(request: HttpRequest, forum_id: int, filters: Query[TopicFilter]):
    handler = permission_handler(request)
    forum = access_forum_by_id(request.user, forum_id, handler=handler)
    readable = readable_forum_ids(request.user, handler=handler)
    subtree = [f.pk for f in forum.get_descendants(include_self=True) if f.pk in readable]
    return _topics_out(selectors.topics_in(subtree, status=filters.status), filters.page)


@router.get("/topics", response=TopicPageOut, summary="Latest questions in every readable forum, or a search")
def topic_list(request: HttpRequest, filters: Query[TopicFilter], q: str = ""):
    handler = permission_handler(request)
    if q.strip():
        return _topics_out(search_topics(request.user, q[:100], handler=handler), filters.page)
    forum_ids = readable_forum_ids(request.user, handler=handler)
    return _topics_out(selectors.topics_in(forum_ids, status=filters.status), filters.page)


@router.get("/topics/{topic_id}", response=TopicOut, summary="One question with its state")
def topic_detail(request: HttpRequest, topic_id: int):
    return _topic_out(access_topic_by_id(request.user, topic_id, handler=permission_handler(request)))


@router.get(
    "/topics/{topic_id}/posts",
    response=TopicPostsOut,
    summary="The question, a page of answers (accepted first) with their follow-ups and supplements",
)
def topic_posts(request: HttpRequest, topic_id: int, page: int = 1):
    handler = permission_handler(request)
    topic = access_topic_by_id(request.user, topic_id, handler=handler)
    built = selectors.topic_page(topic, request.user, page_number=page, handler=handler)
    return TopicPostsOut(
        topic=_topic_out(topic),
        question=_post_out(built.question),
        answers_count=built.answers.paginator.count,
        page=built.answers.number,
        pages=built.answers.paginator.num_pages,
        answers=[_post_out(node) for node in built.answer_nodes],
    )
