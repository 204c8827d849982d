"""The attendance report after an event: on the page and as an Excel file."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import Role
from core.spreadsheets import cell_text
from core.tests.factories import DEFAULT_PASSWORD, make_user_with_role
from streaming.models import LiveEvent
from streaming.services import chat, events, venues
from streaming.tests.factories import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished():
    cache.clear()
    w = make_world(audience=LiveEvent.Audience.MEMBERS, state=LiveEvent.State.LIVE)
    t0 = timezone.now()
    venues.venue_heartbeat(event=w.event, venue=w.venue_a, by=w.operator_a, health="playing", now=t0)
    venues.venue_heartbeat(
        event=w.event, venue=w.venue_a, by=w.operator_a, health="playing", now=t0 + datetime.timedelta(seconds=20)
    )
    venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=27, members=[w.member_a])
    phone = make_user_with_role(Role.MEMBER, party_org=w.branch_a)
    phone.name = '=HYPERLINK("http://evil")'
    phone.save()
    for k in range(8):
        venues.member_watch_heartbeat(
            event=w.event, user=phone, health="playing", now=t0 + datetime.timedelta(seconds=10 * k)
        )
    chat.question_ask(event=w.event, author=w.operator_a, text="村集体经济怎么发展？", venue=w.venue_a)
    events.event_end(event=w.event, by=w.organiser)
    w.event.refresh_from_db()
    return w, phone


def test_report_page_shows_venues_members_and_totals(client, finished):
    w, phone = finished
    client.login(username=w.organiser.username, password=DEFAULT_PASSWORD)
    response = client.get(reverse("streaming:event_report", args=[w.event.pk]))
    assert response.status_code == 200
    text = response.text
    assert w.venue_a.name in text and w.main_venue.name in text and "27" in text
    assert w.member_a.name in text and "村集体经济怎么发展？" in text
    assert 'data-total="participants">28<' in text  # 27 in the room + 1 on a phone (70 s ≥ 60 s)
    client.logout()
    client.login(username=w.operator_a.username, password=DEFAULT_PASSWORD)
    assert client.get(reverse("streaming:event_report", args=[w.event.pk])).status_code == 404


def test_excel_report_content(client, finished):
    w, phone = finished
    client.login(username=w.organiser.username, password=DEFAULT_PASSWORD)
    response = client.get(reverse("streaming:event_report_xlsx", args=[w.event.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["概况", "会场", "党员"]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary["活动"] == w.event.title
    assert summary["参学人次"] == 28 and summary["分会场到场人数"] == 27 and summary["提问"] == 1
    venues_sheet = list(book["会场"].iter_rows(values_only=True))
    assert venues_sheet[0][:4] == ("会场", "类型", "签到时间", "到场人数")
    rows = {r[0]: r for r in venues_sheet[1:]}
    assert rows[w.venue_a.name][3] == 27 and rows[w.venue_a.name][4] == 1
    assert isinstance(rows[w.venue_a.name][2], datetime.datetime)
    assert "–" in rows[w.venue_a.name][5]  # the online interval, e.g. 09:00–09:00
    assert rows[w.main_venue.name][3] == 0
    people = {r[1]: r for r in book["党员"].iter_rows(min_row=2, values_only=True)}
    assert people[w.member_a.username][2] == "分会场集中收看" and people[w.member_a.username][3] == w.venue_a.name
    # A name that looks like a formula stays text.
    assert people[phone.username][0] == '\'=HYPERLINK("http://evil")'
    assert people[phone.username][2] == "个人收看" and people[phone.username][5] == pytest.approx(70 / 60, abs=0.05)


def test_cell_text_guards_formulas():
    assert cell_text("=1+1") == "'=1+1" and cell_text("@SUM(A1)") == "'@SUM(A1)" and cell_text("党课") == "党课"


def test_host_publishes_a_live_question_in_the_forum(client, finished):
    from forum.tests.factories import make_category, make_forum
    from streaming.models import Question

    w, _phone = finished
    forum = make_forum("党务知识", parent=make_category())
    question = Question.objects.get(event=w.event)
    url = reverse("streaming:question_to_forum", args=[w.event.pk, question.pk])
    client.login(username=w.organiser.username, password=DEFAULT_PASSWORD)
    page = client.get(url)
    assert page.status_code == 200 and "党务知识" in page.text
    response = client.post(url, {"forum": forum.pk, "answer": "按照章程，由成员大会民主决定分配方案。"})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.forum_topic_id and question.forum_url
    topic = forum.topics.get(pk=question.forum_topic_id)
    assert "村集体经济" in topic.subject
    content = topic.first_post.content.raw
    assert w.event.title in content and w.venue_a.name in content
    report = client.get(reverse("streaming:event_report", args=[w.event.pk]))
    assert question.forum_url in report.text
    # Once is enough.
    again = client.post(url, {"forum": forum.pk, "answer": "再发一次"})
    assert again.status_code == 200 and forum.topics.count() == 1
    # Only the hosts may do it.
    client.logout()
    client.login(username=w.operator_a.username, password=DEFAULT_PASSWORD)
    assert client.get(url).status_code == 404
