"""The forum in the mobile client's JSON API: what each caller sees, the Q&A state and structure."""

from __future__ import annotations

import pytest

from forum.services import posts
from forum.tests.factories import ask

pytestmark = pytest.mark.django_db


def test_forums_follow_the_callers_rights(client, qa):
    ids = {f["id"] for f in client.get("/api/forum/forums").json()}
    assert qa.public.pk in ids and qa.private.pk not in ids
    client.force_login(qa.asker)
    forums = {f["id"]: f for f in client.get("/api/forum/forums").json()}
    assert forums[qa.private.pk]["private"] is True and forums[qa.public.pk]["private"] is False
    assert forums[qa.public.parent_id]["is_category"] is True
    assert forums[qa.public.pk]["parent_id"] == qa.public.parent_id


def test_topics_with_their_state_and_filters(client, qa):
    open_question = ask(qa.asker, qa.public, subject="待回答的问题")
    solved = ask(qa.asker, qa.public, subject="已解决的问题")
    answer = posts.answer_post(user=qa.answerer, topic=solved, content="答案")
    posts.answer_accept(user=qa.asker, answer=answer)
    data = client.get(f"/api/forum/forums/{qa.public.pk}/topics").json()
    assert data["count"] == 2 and {t["status"] for t in data["results"]} == {"unanswered", "solved"}
    solved_only = client.get(f"/api/forum/forums/{qa.public.pk}/topics?status=solved").json()
    assert [t["id"] for t in solved_only["results"]] == [solved.pk]
    assert solved_only["results"][0]["accepted_answer_id"] == answer.pk
    assert solved_only["results"][0]["answers"] == 1
    detail = client.get(f"/api/forum/topics/{open_question.pk}").json()
    assert detail["subject"] == "待回答的问题" and detail["status"] == "unanswered" and detail["source"] == "forum"
    everywhere = client.get("/api/forum/topics?status=unanswered").json()
    assert [t["id"] for t in everywhere["results"]] == [open_question.pk]
    assert client.get("/api/forum/topics?q=解决").json()["results"][0]["id"] == solved.pk


def test_a_topics_posts_are_structured(client, qa):
    topic = ask(qa.asker, qa.public, content="<script>x</script>问题正文")
    answer = posts.answer_post(user=qa.answerer, topic=topic, content="**回答**")
    follow = posts.follow_up_post(user=qa.asker, target=answer, content="追问")
    supplement = posts.supplement_post(user=qa.answerer, answer=answer, content="补充")
    on_question = posts.follow_up_post(user=qa.answerer, target=topic.first_post, content="对问题的追问")
    posts.answer_accept(user=qa.asker, answer=answer)
    data = client.get(f"/api/forum/topics/{topic.pk}/posts").json()
    assert data["topic"]["status"] == "solved" and data["answers_count"] == 1 and data["pages"] == 1
    question = data["question"]
    assert question["kind"] == "question" and "&lt;script&gt;" in question["html"] and "<script" not in question["html"]
    assert [c["id"] for c in question["children"]] == [on_question.pk]
    (only,) = data["answers"]
    assert only["id"] == answer.pk and only["accepted"] is True and "<strong>回答</strong>" in only["html"]
    assert [(c["id"], c["kind"]) for c in only["children"]] == [(follow.pk, "follow_up"), (supplement.pk, "supplement")]
    assert only["author"] == qa.answerer.get_full_name()


def test_private_topics_are_404_in_the_api(client, qa):
    topic = ask(qa.asker, qa.private)
    for url in (
        f"/api/forum/forums/{qa.private.pk}/topics",
        f"/api/forum/topics/{topic.pk}",
        f"/api/forum/topics/{topic.pk}/posts",
        "/api/forum/topics/999999",
    ):
        assert client.get(url).status_code == 404, url
    client.force_login(qa.outsider)
    assert client.get(f"/api/forum/topics/{topic.pk}").status_code == 404
    client.force_login(qa.answerer)
    assert client.get(f"/api/forum/topics/{topic.pk}/posts").status_code == 200


def test_the_schema_documents_the_forum_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/forum/forums",
        "/api/forum/forums/{forum_id}/topics",
        "/api/forum/topics",
        "/api/forum/topics/{topic_id}",
        "/api/forum/topics/{topic_id}/posts",
    ):
        assert path in paths, path
