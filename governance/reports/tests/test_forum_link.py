"""A forum moderator turns a question into a report; the topic and the report link to each other."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum.selectors import topic_url
from forum.tests.factories import ask, make_moderator_group, make_qa
from governance.reports.models import Report, Source

from .factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    w = World()
    qa = make_qa(w.tree)
    moderator = qa.answerer
    moderator.groups.add(make_moderator_group())
    topic = ask(qa.asker, qa.public, subject="小区门口井盖丢了", content="幸福小区东门的井盖丢了好几天，晚上很危险。")
    return w, qa, moderator, topic


def test_moderator_turns_a_question_into_a_report(setup, client):
    w, qa, moderator, topic = setup
    client.force_login(moderator)
    assert "转为问题上报" in client.get(topic_url(topic)).content.decode()
    url = reverse("governance:reports:from_forum", args=[topic.pk])
    assert "幸福小区东门" in client.get(url).content.decode()  # prefilled from the question
    response = client.post(
        url, {"category": w.category.pk, "description": "幸福小区东门井盖缺失", "address": "幸福小区东门"}
    )
    report = Report.objects.get(forum_topic_id=topic.pk)
    assert response["Location"] == reverse("governance:reports:detail", args=[report.pk])
    assert report.source == Source.FORUM and report.reporter == qa.asker and report.department == w.department
    # Both ways: the topic names the report, the report links the topic; a second click does not duplicate.
    client.force_login(qa.asker)
    assert report.number in client.get(topic_url(topic)).content.decode()
    assert topic_url(topic) in client.get(reverse("governance:reports:detail", args=[report.pk])).content.decode()
    client.force_login(moderator)
    client.post(url, {"category": w.category.pk, "description": "再来一次", "address": "东门"})
    assert Report.objects.filter(forum_topic_id=topic.pk).count() == 1


def test_members_who_are_not_moderators_get_a_404(setup, client):
    w, qa, moderator, topic = setup
    client.force_login(qa.outsider)
    assert "转为问题上报" not in client.get(topic_url(topic)).content.decode()
    assert client.get(reverse("governance:reports:from_forum", args=[topic.pk])).status_code == 404
    assert client.post(reverse("governance:reports:from_forum", args=[topic.pk]), {}).status_code == 404
