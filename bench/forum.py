"""Forum figures: seeding the demo questions, page times and query counts, Chinese search.

Runs on a scratch SQLite database (or DATABASE_URL if set): migrates, seeds core's people and the
forum's questions at --scale, then measures in-process with Django's test client. Each figure is
printed beside a baseline measured in the same run:

- topic page: a long topic (≥ 200 posts) beside a short one (a handful);
- forum index and forum page: beside the same page with a tenth of the topics (status filter);
- search: our term index beside a LIKE scan of every post's text (count and first page, as
  haystack's SimpleEngine would do; it cannot match a word inside a sentence when the query has
  several words, ours can).

    .venv/bin/python bench/forum.py --scale 1.0
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(database_url: str | None) -> str:
    if database_url is None:
        path = Path(tempfile.mkdtemp(prefix="bench-forum-")) / "db.sqlite3"
        database_url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = database_url
    # The test settings: no collectstatic manifest needed, fast password hashing, DEBUG off.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("VAR_DIR", str(Path(tempfile.gettempdir()) / "bench-forum-var"))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.FORUM_POST_RATE_LIMITS = ((100_000, 60),)
    return database_url


def timed(func, repeat: int) -> tuple[float, int]:
    """Median milliseconds of `func()` and the queries of its last run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    func()  # warm: session, first-visit tracking, caches
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            func()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(captured)


def row(label: str, value: tuple[float, int], baseline: tuple[float, int], baseline_label: str) -> None:
    ours = f"{value[0]:8.1f} ms {value[1]:4d} q"
    print(f"  {label:<34} {ours}   |  {baseline_label:<30} {baseline[0]:8.1f} ms {baseline[1]:4d} q")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="demo-data scale (1.0: 2,100 questions)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per figure (median shown)")
    parser.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    args = parser.parse_args()
    url = setup(args.database_url or os.environ.get("BENCH_DATABASE_URL"))

    from django.core.management import call_command
    from django.test import Client
    from machina.core.db.models import get_model

    from core.demo.registry import DemoContext, discover, run_step
    from core.models import User
    from forum.models import Question
    from forum.selectors import forum_url, topic_url
    from forum.services import posts

    Topic = get_model("forum_conversation", "Topic")  # noqa: N806
    Post = get_model("forum_conversation", "Post")  # noqa: N806

    print(f"database: {url.split('@')[-1]}")
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - start:.1f} s")
    ctx = DemoContext(scale=args.scale, password="Bench-2026!", log=lambda _m: None)
    for step in discover():
        if step.name.startswith(("core.", "forum.")):
            start = time.perf_counter()
            status = run_step(step, ctx)
            print(f"  {step.name:<28} {time.perf_counter() - start:7.2f} s  {status}")
    print(f"topics: {Topic.objects.count()}  posts: {Post.objects.count()}  questions: {Question.objects.count()}")

    # A long topic of 250 posts and a short one, built through the services like members do.
    member = User.objects.get(username="demo_member")
    people = list(User.objects.filter(memberships__role="member").exclude(pk=member.pk)[:12])
    forum = Topic.objects.filter(forum__name="党务知识").first().forum
    short = posts.question_ask(user=member, forum=forum, subject="短问题：党费怎么交", content="请教。").topic
    posts.answer_post(user=people[0], topic=short, content="按月缴纳。")
    start = time.perf_counter()
    long = posts.question_ask(user=member, forum=forum, subject="长问题：三会一课怎么开", content="请教。").topic
    for i in range(40):
        author = people[i % len(people)]
        answer = posts.answer_post(user=author, topic=long, content=f"第{i}条回答。")
        for j in range(2):
            posts.follow_up_post(user=people[(i + j + 1) % len(people)], target=answer, content="追问")
            posts.supplement_post(user=author, answer=answer, content="补充")
    for j in range(50):
        posts.follow_up_post(user=people[j % len(people)], target=long.first_post, content=f"追问{j}")
    long = Topic.objects.get(pk=long.pk)
    print(f"long topic: {long.posts_count} posts written through the services in {time.perf_counter() - start:.1f} s")

    def like_search(query: str) -> None:
        """What a plain LIKE search (haystack's SimpleEngine) does: scan every post's text."""
        matches = Topic.objects.filter(posts__content__contains=query).distinct()
        matches.count()
        list(matches.order_by("-last_post_on")[:20])

    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(member)
    print()
    print(f"{'page':<36} {'median':>11} {'queries':>6}   |  baseline (same run)")
    for who, client in (("anonymous", anonymous), ("demo_member", signed_in)):
        print(f"{who}:")

        def get(path, client=client):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        row(
            f"topic page ({long.posts_count} posts)",
            timed(lambda: get(topic_url(long)), args.repeat),
            timed(lambda: get(topic_url(short)), args.repeat),
            f"topic page ({short.posts_count} posts)",
        )
        row(
            "forum index (all questions)",
            timed(lambda: get("/forum/"), args.repeat),
            timed(lambda: get("/forum/?status=unanswered"), args.repeat),
            "forum index (unanswered only)",
        )
        row(
            f"forum page {forum.name}",
            timed(lambda: get(forum_url(forum)), args.repeat),
            timed(lambda: get(forum_url(forum) + "?status=unanswered"), args.repeat),
            "same, unanswered only",
        )
        row(
            "search page 党费",
            timed(lambda: get("/forum/search/?q=党费"), args.repeat),
            timed(lambda: like_search("党费"), args.repeat),
            "LIKE over posts: count + page",
        )
        row(
            "search page 组织关系转接",
            timed(lambda: get("/forum/search/?q=组织关系转接"), args.repeat),
            timed(lambda: like_search("组织关系转接"), args.repeat),
            "LIKE over posts: count + page",
        )
        row(
            "API topic posts",
            timed(lambda: get(f"/api/forum/topics/{long.pk}/posts"), args.repeat),
            timed(lambda: get(f"/api/forum/topics/{short.pk}/posts"), args.repeat),
            "API, short topic",
        )


if __name__ == "__main__":
    main()
