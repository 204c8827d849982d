"""Reads of the Q&A forum. Every list and page is built in a fixed number of queries, whatever the
number of forums, topics or posts it shows (the forum tests hold them to a query budget)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse

from forum.access import Forum, Post, Topic, can_moderate, may_supplement, readable_forums
from forum.models import PostReport, PostRole, Question

TOPICS_PER_PAGE = 20
ANSWERS_PER_PAGE = 20

STATUS_FILTERS = {
    "unanswered": Question.Status.UNANSWERED,
    "answered": Question.Status.ANSWERED,
    "solved": Question.Status.SOLVED,
}


def topic_url(topic) -> str:
    return reverse(
        "forum_conversation:topic",
        kwargs={"forum_slug": topic.forum.slug, "forum_pk": topic.forum_id, "slug": topic.slug, "pk": topic.pk},
    )


def forum_url(forum) -> str:
    return reverse("forum:forum", kwargs={"slug": forum.slug, "pk": forum.pk})


# --- Forums -------------------------------------------------------------------------------------


@dataclass
class ForumRow:
    forum: Forum
    private: bool = False
    unanswered: int = 0
    children: list[ForumRow] = field(default_factory=list)

    @property
    def topics_count(self) -> int:
        return self.forum.direct_topics_count + sum(c.topics_count for c in self.children)

    @property
    def posts_count(self) -> int:
        return self.forum.direct_posts_count + sum(c.posts_count for c in self.children)


def forum_rows(user, *, handler) -> list[ForumRow]:
    """Readable forums as categories with their forums, each with its unanswered-question count."""
    forums = readable_forums(user, handler=handler)
    ids = [f.pk for f in forums]
    with_last = {
        f.pk: f
        for f in Forum.objects.filter(pk__in=ids).select_related("last_post__poster", "last_post__topic", "qa_policy")
    }
    unanswered = dict(
        Question.objects.filter(topic__forum_id__in=ids, topic__approved=True, status=Question.Status.UNANSWERED)
        .values_list("topic__forum_id")
        .annotate(n=Count("pk"))
    )
    rows: dict[int, ForumRow] = {}
    top: list[ForumRow] = []
    for forum in forums:
        full = with_last.get(forum.pk, forum)
        policy = getattr(full, "qa_policy", None)  # RelatedObjectDoesNotExist is an AttributeError
        row = ForumRow(forum=full, private=bool(policy and policy.party_org_id), unanswered=unanswered.get(forum.pk, 0))
        rows[forum.pk] = row
        parent = rows.get(forum.parent_id)
        (parent.children if parent else top).append(row)
    return top


def postable_forums(user, *, handler) -> list:
    """Forums (not categories) where the user may ask a question."""
    if not user.is_authenticated:
        return []
    return [f for f in readable_forums(user, handler=handler) if f.is_forum and handler.can_add_topic(f, user)]


def forum_private_org(forum):
    try:
        return forum.qa_policy.party_org
    except Forum.qa_policy.RelatedObjectDoesNotExist:
        return None


# --- Topic lists --------------------------------------------------------------------------------


def topics_in(forum_ids, *, status: str | None = None) -> QuerySet:
    """Published questions in these forums, stickies first, then by latest activity."""
    qs = (
        Topic.objects.filter(forum_id__in=forum_ids, approved=True)
        .exclude(type=Topic.TOPIC_ANNOUNCE)
        .select_related("forum", "poster", "qa", "last_post__poster")
        .order_by("-type", "-last_post_on", "-pk")
    )
    if status in STATUS_FILTERS:
        wanted = STATUS_FILTERS[status]
        if wanted == Question.Status.UNANSWERED:
            qs = qs.filter(Q(qa__status=wanted) | Q(qa__isnull=True))
        else:
            qs = qs.filter(qa__status=wanted)
    return qs


def announcements_in(forum) -> list:
    return list(
        Topic.objects.filter(forum=forum, approved=True, type=Topic.TOPIC_ANNOUNCE)
        .select_related("forum", "poster", "qa", "last_post__poster")
        .order_by("-last_post_on")
    )


def status_counts(forum_ids) -> dict[str, int]:
    """How many published questions are unanswered, answered and solved, in one query."""
    rows = dict(
        Topic.objects.filter(forum_id__in=forum_ids, approved=True)
        .exclude(type=Topic.TOPIC_ANNOUNCE)
        .annotate(state=Case(When(qa__isnull=True, then=Value(0)), default="qa__status", output_field=IntegerField()))
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    counts = {name: rows.get(int(value), 0) for name, value in STATUS_FILTERS.items()}
    counts["all"] = sum(counts.values())
    return counts


def topics_page(qs: QuerySet, page_number) -> Page:
    return Paginator(qs, TOPICS_PER_PAGE).get_page(page_number)


# --- A topic page -------------------------------------------------------------------------------


@dataclass
class PostNode:
    post: Post
    kind: str
    children: list[PostNode] = field(default_factory=list)
    accepted: bool = False
    # What the reader may do with this post (filled by topic_page).
    can_edit: bool = False
    can_delete: bool = False
    can_supplement: bool = False
    can_follow_up: bool = False
    can_report: bool = False


def _visible(user, *, moderator: bool) -> Q:
    if moderator:
        return Q()
    if user.is_authenticated:
        return Q(approved=True) | Q(poster=user)
    return Q(approved=True)


def _kind(post) -> str:
    try:
        return post.qa.kind
    except PostRole.DoesNotExist:
        return PostRole.Kind.ANSWER


def answers_queryset(topic, user, *, moderator: bool) -> QuerySet:
    """The topic's answers in display order: the accepted answer first, then oldest first.

    Posts without a role (made outside our services) count as answers.
    """
    accepted_id = getattr(getattr(topic, "qa", None), "accepted_answer_id", None)
    return (
        topic.posts.filter(_visible(user, moderator=moderator))
        .filter(Q(qa__kind=PostRole.Kind.ANSWER) | Q(qa__isnull=True))
        .exclude(pk=topic.first_post_id)
        .select_related("poster", "qa", "updated_by")
        .annotate(
            accepted_first=Case(When(pk=accepted_id or 0, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("accepted_first", "created", "pk")
    )


@dataclass
class TopicPage:
    topic: Topic
    question: PostNode
    answers: Page
    answer_nodes: list[PostNode]
    moderator: bool


def topic_page(topic, user, *, page_number, handler) -> TopicPage:
    moderator = can_moderate(user, topic.forum, handler=handler)
    question_post = Post.objects.select_related("poster", "qa", "updated_by").get(pk=topic.first_post_id)
    answers = Paginator(answers_queryset(topic, user, moderator=moderator), ANSWERS_PER_PAGE).get_page(page_number)
    accepted_id = getattr(getattr(topic, "qa", None), "accepted_answer_id", None)
    question = PostNode(post=question_post, kind=PostRole.Kind.QUESTION)
    nodes = {question_post.pk: question}
    answer_nodes = []
    for post in answers.object_list:
        node = PostNode(post=post, kind=PostRole.Kind.ANSWER, accepted=post.pk == accepted_id)
        nodes[post.pk] = node
        answer_nodes.append(node)
    children = (
        Post.objects.filter(qa__parent_id__in=list(nodes))
        .filter(_visible(user, moderator=moderator))
        .select_related("poster", "qa", "updated_by")
        .order_by("created", "pk")
    )
    for child in children:
        nodes[child.qa.parent_id].children.append(PostNode(post=child, kind=child.qa.kind))
    can_reply = user.is_authenticated and topic.approved and handler.can_add_post(topic, user)
    for node in nodes.values():
        for item in (node, *node.children):
            # machina's permission checks read post.topic.forum: share the one topic, no query per post.
            item.post.topic = topic
            item.can_edit = user.is_authenticated and handler.can_edit_post(item.post, user)
            item.can_delete = user.is_authenticated and handler.can_delete_post(item.post, user)
            item.can_report = user.is_authenticated and item.post.poster_id != user.pk
        node.can_follow_up = can_reply and node.post.approved
        node.can_supplement = (
            can_reply
            and node.kind == PostRole.Kind.ANSWER
            and node.post.approved
            and may_supplement(user, node.post, handler=handler)
        )
    return TopicPage(topic=topic, question=question, answers=answers, answer_nodes=answer_nodes, moderator=moderator)


def _accepted_id(topic):
    return getattr(getattr(topic, "qa", None), "accepted_answer_id", None)


def post_page_number(post, user, *, moderator: bool) -> int:
    """Which page of its topic shows this post (answers are paginated; replies go with their answer)."""
    topic = post.topic
    target = post
    if _kind(post) in (PostRole.Kind.FOLLOW_UP, PostRole.Kind.SUPPLEMENT):
        target = post.qa.parent
    accepted = _accepted_id(topic)
    if target.pk in (topic.first_post_id, accepted):
        return 1
    earlier = (
        answers_queryset(topic, user, moderator=moderator)
        .filter(Q(created__lt=target.created) | Q(created=target.created, pk__lt=target.pk))
        .exclude(pk=accepted or 0)
        .count()
    )
    return (earlier + (1 if accepted else 0)) // ANSWERS_PER_PAGE + 1


# --- Moderation ---------------------------------------------------------------------------------


def moderation_forums(user, *, handler) -> list:
    if not user.is_authenticated:
        return []
    return list(handler.get_moderation_queue_forums(user))


def queued_posts(forums) -> QuerySet:
    return (
        Post.objects.filter(topic__forum__in=forums, approved=False)
        .select_related("topic__forum", "poster", "qa")
        .order_by("created", "pk")
    )


def open_reports(forums) -> QuerySet:
    return (
        PostReport.objects.filter(forum__in=forums, status=PostReport.Status.OPEN)
        .select_related("post__topic__forum", "post__poster", "reporter", "forum")
        .order_by("created_at", "pk")
    )
