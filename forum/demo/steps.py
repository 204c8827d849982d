"""The forum's demo data: topic-area forums, private branch forums, moderators, and 2,000+ questions
with answers, follow-ups (追问) and supplementary answers (补充回答) in natural Chinese.

Questions are bulk-inserted (tens of thousands of rows); machina's denormalised counters (topic post
counts, first/last post, forum totals, members' post counts) and our Question state and search
terms are computed alongside and written in bulk too, so the site shows exactly what a member would
see had every post gone through the forms.
"""

from __future__ import annotations

import contextlib
import datetime
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify
from machina.core.db.models import get_model

from core.demo.names import RIDER_BRANCH, TOWNS
from core.demo.registry import DemoContext, demo_step
from core.demo.steps import DEMO_VILLAGE_CODE, branch_code
from core.models import Membership, PartyOrg, Role, User
from forum.demo import texts
from forum.markup import plain_text, render_markdown
from forum.models import ForumPolicy, PostReport, PostRole, Question
from forum.services.index import post_index_text, question_terms
from forum.services.policies import forum_create, forum_policy_set

Forum = get_model("forum", "Forum")
Topic = get_model("forum_conversation", "Topic")
Post = get_model("forum_conversation", "Post")
ForumProfile = get_model("forum_member", "ForumProfile")
ForumPermission = get_model("forum_permission", "ForumPermission")
GroupForumPermission = get_model("forum_permission", "GroupForumPermission")

TOPIC_TOTAL = 2100
BATCH = 500
PRIVATE_SHARE = 0.06
LIVE_SHARE = 0.02
FORUM_WEIGHTS = {"党务知识": 35, "政策咨询": 20, "学习交流": 15, "基层治理": 15, "流动党员之家": 9}
# How many answers a question gets: (count, weight). About one in seven stays unanswered.
ANSWER_COUNTS = [(0, 14), (1, 24), (2, 25), (3, 18), (4, 10), (5, 5), (6, 3), (8, 1)]
MODERATOR_PERMISSIONS = (
    "can_approve_posts",
    "can_edit_posts",
    "can_delete_posts",
    "can_lock_topics",
    "can_move_topics",
    "can_post_stickies",
    "can_post_announcements",
    "can_reply_to_locked_topics",
)
MODERATOR_ACCOUNTS = ("demo_reviewer", "demo_ops")
PRIVATE_BRANCHES = 5


# --- Forums --------------------------------------------------------------------------------------


def _child(parent, name: str):
    return Forum.objects.filter(parent=parent, name=name).first()


def _private_branches() -> list[PartyOrg]:
    """The demo member's branch, the delivery riders' branch and the branches with most members."""
    chosen: list[PartyOrg] = []
    for org in (
        PartyOrg.objects.filter(code=branch_code(DEMO_VILLAGE_CODE, 1)).first(),
        PartyOrg.objects.filter(name=RIDER_BRANCH).first(),
    ):
        if org is not None:
            chosen.append(org)
    busiest = (
        Membership.objects.filter(role=Role.MEMBER, party_org__kind=PartyOrg.Kind.BRANCH)
        .exclude(party_org__in=chosen)
        .values("party_org")
        .annotate(n=Count("pk"))
        .order_by("-n", "party_org")
    )
    ids = [row["party_org"] for row in busiest[: max(0, PRIVATE_BRANCHES - len(chosen))]]
    chosen.extend(PartyOrg.objects.filter(pk__in=ids).order_by("code"))
    return chosen


def _forums_complete() -> bool:
    """Everything seed_forums makes is there (three queries: a second run only reads)."""
    names = set(
        Forum.objects.filter(
            Q(parent=None, name__in=[texts.CATEGORY, texts.BRANCH_CATEGORY])
            | Q(parent__parent=None, parent__name=texts.CATEGORY)
        ).values_list("name", flat=True)
    )
    wanted = {texts.CATEGORY, texts.BRANCH_CATEGORY, *(name for name, _ in texts.PUBLIC_FORUMS)}
    grants = GroupForumPermission.objects.filter(
        group__name=texts.MODERATOR_GROUP, forum=None, permission__codename__in=MODERATOR_PERMISSIONS
    ).count()
    moderators = User.objects.filter(username__in=MODERATOR_ACCOUNTS).exclude(groups__name=texts.MODERATOR_GROUP)
    return wanted <= names and grants == len(MODERATOR_PERMISSIONS) and not moderators.exists()


@demo_step(order=200, models=("forum.Forum", "qa_forum.ForumPolicy", "forum_permission.GroupForumPermission"))
def seed_forums(ctx: DemoContext) -> str:
    if _forums_complete():
        return "skipped: forums are there"
    created = 0
    category = Forum.objects.filter(parent=None, name=texts.CATEGORY, type=Forum.FORUM_CAT).first()
    if category is None:
        category = forum_create(name=texts.CATEGORY, category=True)
        created += 1
    for name, description in texts.PUBLIC_FORUMS:
        forum = _child(category, name)
        if forum is None:
            forum = forum_create(name=name, parent=category, description=description)
            created += 1
        if name == texts.MODERATED_FORUM and not ForumPolicy.objects.filter(forum=forum).exists():
            forum_policy_set(forum=forum, moderate_newcomers=True, newcomer_threshold=3)
    branches = Forum.objects.filter(parent=None, name=texts.BRANCH_CATEGORY, type=Forum.FORUM_CAT).first()
    if branches is None:
        # The branches' private forums come with their category, on the first run.
        branches = forum_create(name=texts.BRANCH_CATEGORY, category=True)
        created += 1
        private = {p.party_org_id for p in ForumPolicy.objects.filter(party_org__isnull=False)}
        for org in _private_branches():
            if org.pk in private:
                continue
            forum = forum_create(
                name=f"{org.name}园地",
                parent=branches,
                description=f"{org.name}党员的交流园地，仅本支部党员可见。",
            )
            forum_policy_set(forum=forum, party_org=org)
            created += 1

    group, _new = Group.objects.get_or_create(name=texts.MODERATOR_GROUP)
    held = set(
        GroupForumPermission.objects.filter(group=group, forum=None).values_list("permission__codename", flat=True)
    )
    for permission in ForumPermission.objects.filter(codename__in=MODERATOR_PERMISSIONS):
        if permission.codename not in held:
            GroupForumPermission.objects.create(group=group, forum=None, permission=permission, has_perm=True)
            created += 1
    for user in User.objects.filter(username__in=MODERATOR_ACCOUNTS).exclude(groups=group):
        user.groups.add(group)
        created += 1
    return f"{created} forums, policies and moderator grants"


# --- Questions -----------------------------------------------------------------------------------


@dataclass
class _PostPlan:
    poster_id: int
    kind: str
    text: str
    created: datetime.datetime
    parent: _PostPlan | None = None
    approved: bool = True
    post: object = None


@dataclass
class _TopicPlan:
    forum: object
    poster_id: int
    subject: str
    posts: list[_PostPlan] = field(default_factory=list)
    accepted: _PostPlan | None = None
    accepted_at: datetime.datetime | None = None
    source: str = Question.Source.FORUM
    source_title: str = ""
    views: int = 0


@contextlib.contextmanager
def _explicit_dates(*models) -> Iterator[None]:
    """Let bulk_create keep the historical `created`/`updated` we set (auto_now* would overwrite them)."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class _Writer:
    """Fills the templates of one theme with coherent slot values."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.towns = [t[0] for t in TOWNS]

    def fill(self, template: str) -> str:
        rng = self.rng
        values = {key: rng.choice(options) for key, options in texts.SLOTS.items()}
        values.update(
            town=rng.choice(self.towns),
            persona=rng.choice(texts.PERSONAS),
            amount=str(rng.randrange(2800, 12000, 100)),
            months=str(rng.randint(2, 5)),
            age=str(rng.randint(24, 86)),
            mu=str(rng.randrange(30, 320, 10)),
            n=str(rng.randint(3, 15)),
        )
        return template.format_map(values)

    def question(self, theme: texts.Theme) -> tuple[str, str]:
        rng = self.rng
        subject = rng.choice(texts.SUBJECT_PREFIXES) + rng.choice(theme.subjects)
        body = (
            self.fill(rng.choice(texts.QUESTION_OPENERS))
            + self.fill(rng.choice(theme.details))
            + rng.choice(texts.QUESTION_CLOSERS)
        )
        return subject, body

    def answers(self, theme: texts.Theme, n: int) -> list[str]:
        rng = self.rng
        pool = list(theme.answers)
        rng.shuffle(pool)
        chosen = pool[:n] + [rng.choice(texts.GENERIC_ANSWERS) for _ in range(max(0, n - len(pool)))]
        return [self.fill(a) + rng.choice(texts.ANSWER_CLOSERS) for a in chosen]


def _later(rng: random.Random, after: datetime.datetime, now: datetime.datetime, *, hours: float) -> datetime.datetime:
    return min(now, after + datetime.timedelta(minutes=3 + rng.expovariate(1 / (hours * 60))))


def _plan_topic(
    rng: random.Random,
    writer: _Writer,
    *,
    forum,
    theme: texts.Theme,
    asker: int,
    people: list[int],
    now: datetime.datetime,
) -> _TopicPlan:
    subject, body = writer.question(theme)
    asked = now - datetime.timedelta(seconds=rng.uniform(3600, 365 * 86400))
    plan = _TopicPlan(forum=forum, poster_id=asker, subject=subject)
    question = _PostPlan(poster_id=asker, kind=PostRole.Kind.QUESTION, text=body, created=asked)
    plan.posts.append(question)
    counts, weights = zip(*ANSWER_COUNTS, strict=True)
    n_answers = rng.choices(counts, weights=weights)[0]
    answerers = [p for p in people if p != asker]
    rng.shuffle(answerers)
    last = asked
    answers = []
    for text, answerer in zip(writer.answers(theme, n_answers), answerers, strict=False):
        last = _later(rng, last, now, hours=10)
        answer = _PostPlan(poster_id=answerer, kind=PostRole.Kind.ANSWER, text=text, created=last)
        plan.posts.append(answer)
        answers.append(answer)
    # Follow-ups come after the answers they ask about; the answerer often adds to the answer.
    followed = []
    for answer in answers:
        if rng.random() < 0.4:
            asked_by = asker if rng.random() < 0.8 else rng.choice(people)
            when = _later(rng, answer.created, now, hours=20)
            follow = _PostPlan(
                poster_id=asked_by,
                kind=PostRole.Kind.FOLLOW_UP,
                text=rng.choice(theme.follow_ups),
                created=when,
                parent=answer,
            )
            plan.posts.append(follow)
            if rng.random() < 0.65:
                plan.posts.append(
                    _PostPlan(
                        poster_id=answer.poster_id,
                        kind=PostRole.Kind.SUPPLEMENT,
                        text=rng.choice(theme.supplements),
                        created=_later(rng, when, now, hours=12),
                        parent=answer,
                    )
                )
                followed.append(answer)
    if answers and rng.random() < 0.1:
        other = rng.choice(people)
        plan.posts.append(
            _PostPlan(
                poster_id=other,
                kind=PostRole.Kind.FOLLOW_UP,
                text=rng.choice(texts.QUESTION_FOLLOW_UP_PREFIXES) + rng.choice(theme.follow_ups),
                created=_later(rng, asked, now, hours=30),
                parent=question,
            )
        )
    if answers and rng.random() < 0.55:
        plan.accepted = rng.choice(followed or answers)
        plan.accepted_at = _later(rng, max(p.created for p in plan.posts), now, hours=6)
    plan.posts.sort(key=lambda p: p.created)
    plan.views = rng.randint(8, 60) + len(plan.posts) * rng.randint(10, 60)
    return plan


def _plan_live(rng: random.Random, writer: _Writer, *, forum, theme: texts.Theme, host: int, now) -> _TopicPlan:
    event = rng.choice(texts.LIVE_EVENTS)
    subject = rng.choice(theme.subjects)
    asker_name = rng.choice(["分会场观众", "外卖骑手党员", "村党支部书记", "退休老党员"])
    body = f"{subject}\n\n*{asker_name}在直播《{event}》中提问。*"
    asked = now - datetime.timedelta(seconds=rng.uniform(3600, 180 * 86400))
    plan = _TopicPlan(forum=forum, poster_id=host, subject=subject, source=Question.Source.LIVE, source_title=event)
    plan.posts.append(_PostPlan(poster_id=host, kind=PostRole.Kind.QUESTION, text=body, created=asked))
    answer = _PostPlan(
        poster_id=host,
        kind=PostRole.Kind.ANSWER,
        text=writer.fill(rng.choice(theme.answers)),
        created=asked + datetime.timedelta(minutes=2),
    )
    plan.posts.append(answer)
    plan.accepted, plan.accepted_at = answer, answer.created
    plan.views = rng.randint(100, 900)
    return plan


def _plans(ctx: DemoContext, forums: dict[str, object], private: list[tuple[object, PartyOrg]]) -> list[_TopicPlan]:
    rng = ctx.rng
    writer = _Writer(rng)
    now = timezone.now()
    by_org: dict[int, list[int]] = defaultdict(list)
    for user_id, org_id in Membership.objects.filter(role=Role.MEMBER).values_list("user_id", "party_org_id"):
        by_org[org_id].append(user_id)
    members = sorted({u for ids in by_org.values() for u in ids})
    staff = sorted(
        set(Membership.objects.filter(role=Role.DEPARTMENT_STAFF).values_list("user_id", flat=True)) - set(members)
    )
    demo_member = User.objects.filter(username="demo_member").values_list("pk", flat=True).first()
    hosts = list(Membership.objects.filter(role=Role.OPS_ADMIN).values_list("user_id", flat=True)) or members
    if len(members) < 3:
        return []
    themes_by_forum: dict[str, list[texts.Theme]] = defaultdict(list)
    for theme in texts.THEMES:
        themes_by_forum[theme.forum].append(theme)
    branch_themes = [t for t in texts.THEMES if t.branch]
    names, weights = zip(*FORUM_WEIGHTS.items(), strict=True)

    total = ctx.scaled(TOPIC_TOTAL, minimum=30)
    n_private = round(total * PRIVATE_SHARE) if private else 0
    n_live = max(1, round(total * LIVE_SHARE))
    plans: list[_TopicPlan] = []
    # The demo member asks a few questions of their own, so their account has a history.
    own = max(2, ctx.scaled(12))
    for i in range(total - n_private - n_live):
        name = rng.choices(names, weights=weights)[0]
        theme = rng.choice(themes_by_forum[name])
        people = members + (staff if name == "政策咨询" else [])
        asker = demo_member if (demo_member and i < own) else rng.choice(members)
        plans.append(_plan_topic(rng, writer, forum=forums[name], theme=theme, asker=asker, people=people, now=now))
    for i in range(n_private):
        forum, org = private[i % len(private)]
        people = by_org.get(org.pk, [])
        if len(people) < 2:
            continue
        plans.append(
            _plan_topic(
                rng,
                writer,
                forum=forum,
                theme=rng.choice(branch_themes),
                asker=rng.choice(people),
                people=people,
                now=now,
            )
        )
    for _ in range(n_live):
        name = rng.choice(["政策咨询", "党务知识"])
        plans.append(
            _plan_live(
                rng,
                writer,
                forum=forums[name],
                theme=rng.choice(themes_by_forum[name]),
                host=rng.choice(hosts),
                now=now,
            )
        )
    # A few newcomers' answers wait in the moderation queue of the pre-moderated forum.
    queued = [p for p in plans if p.forum is forums[texts.MODERATED_FORUM]][:3]
    for plan in queued:
        plan.posts.append(
            _PostPlan(
                poster_id=rng.choice(members),
                kind=PostRole.Kind.ANSWER,
                text="我们小区也有这个问题，希望有关部门能尽快处理。",
                created=max(p.created for p in plan.posts) + datetime.timedelta(minutes=5),
                approved=False,
            )
        )
    return plans


def _write(plans: list[_TopicPlan]) -> tuple[int, int]:
    topics = []
    for plan in plans:
        visible = [p for p in plan.posts if p.approved]
        topics.append(
            Topic(
                forum=plan.forum,
                poster_id=plan.poster_id,
                subject=plan.subject,
                slug=slugify(plan.subject, allow_unicode=True) or "topic",
                type=Topic.TOPIC_POST,
                status=Topic.TOPIC_UNLOCKED,
                approved=True,
                posts_count=len(visible),
                views_count=plan.views,
                last_post_on=visible[-1].created,
                created=plan.posts[0].created,
                updated=visible[-1].created,
            )
        )
    with _explicit_dates(Topic, Post):
        Topic.objects.bulk_create(topics, batch_size=BATCH)
        posts = []
        for plan, topic in zip(plans, topics, strict=True):
            reply_subject = f"Re: {plan.subject}"[:255]
            for p in plan.posts:
                p.post = Post(
                    topic=topic,
                    poster_id=p.poster_id,
                    subject=plan.subject if p.kind == PostRole.Kind.QUESTION else reply_subject,
                    content=p.text,
                    _content_rendered=render_markdown(p.text),
                    approved=p.approved,
                    created=p.created,
                    updated=p.created,
                )
                posts.append(p.post)
        Post.objects.bulk_create(posts, batch_size=BATCH)
    for plan, topic in zip(plans, topics, strict=True):
        visible = [p for p in plan.posts if p.approved]
        topic.first_post = plan.posts[0].post
        topic.last_post = visible[-1].post
    Topic.objects.bulk_update(topics, ["first_post", "last_post"], batch_size=BATCH)

    roles = [
        PostRole(post=p.post, kind=p.kind, parent=p.parent.post if p.parent else None)
        for plan in plans
        for p in plan.posts
    ]
    PostRole.objects.bulk_create(roles, batch_size=BATCH)
    questions = []
    for plan, topic in zip(plans, topics, strict=True):
        visible = [p for p in plan.posts if p.approved]
        live = plan.source == Question.Source.LIVE
        question = Question(
            topic=topic,
            answers_count=sum(1 for p in visible if p.kind == PostRole.Kind.ANSWER),
            accepted_answer=plan.accepted.post if plan.accepted else None,
            accepted_by_id=plan.poster_id if plan.accepted else None,
            accepted_at=plan.accepted_at,
            source=plan.source,
            source_title=plan.source_title,
            search_terms=question_terms(
                plan.subject,
                [
                    post_index_text(p.post._content_rendered, live_question=live and i == 0)
                    for i, p in enumerate(visible)
                ],
            ),
        )
        question.refresh_status()
        questions.append(question)
    Question.objects.bulk_create(questions, batch_size=BATCH)
    return len(topics), len(posts)


def _recount(plans: list[_TopicPlan]) -> None:
    """machina's denormalised counters, as its save() would have left them."""
    forums = {plan.forum.pk: plan.forum for plan in plans}
    for forum in Forum.objects.filter(pk__in=forums):
        forum.update_trackers()
    approved = Counter(p.poster_id for plan in plans for p in plan.posts if p.approved)
    profiles = {fp.user_id: fp for fp in ForumProfile.objects.filter(user_id__in=approved)}
    for profile in profiles.values():
        profile.posts_count += approved[profile.user_id]
    ForumProfile.objects.bulk_update(list(profiles.values()), ["posts_count"], batch_size=BATCH)
    ForumProfile.objects.bulk_create(
        [ForumProfile(user_id=u, posts_count=n) for u, n in approved.items() if u not in profiles], batch_size=BATCH
    )


def _reports(rng: random.Random, plans: list[_TopicPlan]) -> int:
    """Two open reports for the moderators' page."""
    candidates = [p for plan in plans for p in plan.posts if p.approved and p.kind == PostRole.Kind.ANSWER]
    reporters = [plan.poster_id for plan in plans]
    made = 0
    for p in rng.sample(candidates, min(2, len(candidates))):
        reporter = next((r for r in reporters if r != p.poster_id), None)
        if reporter is None:
            continue
        PostReport.objects.create(
            post=p.post,
            post_excerpt=plain_text(p.post._content_rendered, limit=300),
            forum_id=p.post.topic.forum_id,
            reporter_id=reporter,
            reason=PostReport.Reason.MISLEADING,
            detail="这个说法和我们支部的要求不一样，请管理员核实。",
        )
        made += 1
    return made


@demo_step(
    order=210,
    models=(
        "forum_conversation.Topic",
        "forum_conversation.Post",
        "qa_forum.Question",
        "qa_forum.PostRole",
        "qa_forum.PostReport",
    ),
)
def seed_questions(ctx: DemoContext) -> str:
    forums = {f.name: f for f in Forum.objects.filter(parent__parent=None, parent__name=texts.CATEGORY)}
    if not forums:
        return "skipped: no forums (seed_forums did not run)"
    if Topic.objects.filter(forum__in=forums.values()).exists():
        return "skipped: questions are there"
    private = [
        (p.forum, p.party_org)
        for p in ForumPolicy.objects.filter(party_org__isnull=False).select_related("forum", "party_org")
    ]
    plans = _plans(ctx, forums, private)
    if not plans:
        return "skipped: no party members to ask questions"
    topics, posts = _write(plans)
    _recount(plans)
    reports = _reports(ctx.rng, plans)
    return f"{topics} questions, {posts} posts, {reports} reports"
