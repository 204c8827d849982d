"""The venue's big screen around the broadcast: before the start a countdown and the agenda, after
the end the replay as soon as it is published."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from streaming.models import LiveEvent

pytestmark = pytest.mark.django_db


def screen(client, world) -> str:
    client.force_login(world.operator_a)
    response = client.get(reverse("streaming:venue_screen", args=[world.event.pk, world.venue_a.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_organiser_writes_the_agenda_when_scheduling(client, world):
    client.force_login(world.organiser)
    response = client.post(
        reverse("streaming:event_create"),
        {
            "title": "基层治理专题党课",
            "agenda": "09:00 开场\r\n\r\n  09:10 专题辅导  \r\n10:30 互动答疑",
            "scheduled_start": "2099-05-01T09:00",
            "scheduled_end": "2099-05-01T11:00",
            "audience": "invited",
            "venues": [world.venue_a.pk],
        },
    )
    assert response.status_code == 302
    event = LiveEvent.objects.get(title="基层治理专题党课")
    assert event.agenda_items == ["09:00 开场", "09:10 专题辅导", "10:30 互动答疑"]
    edit = client.get(reverse("streaming:event_edit", args=[event.pk])).content.decode()
    assert "09:10 专题辅导" in edit


def test_before_the_start_the_screen_counts_down_and_shows_the_agenda(client, world):
    LiveEvent.objects.filter(pk=world.event.pk).update(agenda="09:00 开场\n09:10 专题辅导")
    world.event.refresh_from_db()
    page = screen(client, world)
    start = timezone.localtime(world.event.scheduled_start).isoformat()
    assert "data-countdown" in page and 'data-state="scheduled"' in page
    assert f'data-start="{start[:19]}' in page  # ISO time the script counts down to
    assert '<ol class="bs-agenda"><li>09:00 开场</li><li>09:10 专题辅导</li></ol>' in page
    assert "距开始还有" in page and "议程" in page
    # The app's API gives the same agenda, item by item.
    assert client.get(f"/api/live/events/{world.event.pk}").json()["agenda"] == ["09:00 开场", "09:10 专题辅导"]


def test_without_an_agenda_the_description_stands_in(client, world):
    LiveEvent.objects.filter(pk=world.event.pk).update(description="请各分会场提前 10 分钟签到。")
    page = screen(client, world)
    assert "bs-agenda" not in page and "请各分会场提前 10 分钟签到。" in page


def test_an_ended_event_offers_its_replay_once_published(client, world):
    from streaming.video.models import LiveStream

    LiveEvent.objects.filter(pk=world.event.pk).update(state=LiveEvent.State.ENDED)
    lesson = Page.objects.live().filter(depth=2).first()  # any live page stands in for the replay lesson
    LiveStream.objects.create(event=world.event, replay_page_id=lesson.pk, recording=LiveStream.Recording.PUBLISHED)
    page = screen(client, world)
    # Ended, replay not yet announced: the link waits hidden (live.js reveals it on the push).
    assert 'data-replay-link href="#" hidden' in page and "回放发布后将在此播放" in page
    LiveEvent.objects.filter(pk=world.event.pk).update(state=LiveEvent.State.REPLAY_READY)
    page = screen(client, world)
    assert f'data-replay-link href="{lesson.url}">' in page and "观看回放" in page
    assert 'class="bs-replay-pending" hidden data-replay-pending' in page


def test_the_attendance_report_marks_the_venues_that_did_not_take_part(client):
    import datetime

    from streaming.models import Invitation
    from streaming.selectors import attendance_report
    from streaming.services import events, venues
    from streaming.tests.factories import make_venue, make_world

    w = make_world(state=LiveEvent.State.LIVE)
    late = make_venue(party_org=w.branch_a, name="甲村第二网格分会场")
    Invitation.objects.create(event=w.event, venue=late)
    now = timezone.now()
    venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=12, members=[])
    for k in range(2):  # online but never checked in: took part, not absent
        venues.venue_heartbeat(
            event=w.event, venue=late, by=w.operator_a, health="playing", now=now + datetime.timedelta(seconds=20 * k)
        )
    events.event_end(event=w.event, by=w.organiser)
    report = attendance_report(w.event)
    assert report.absent_venues == [w.main_venue]  # neither checked in nor ever online
    client.force_login(w.organiser)
    page = client.get(reverse("streaming:event_report", args=[w.event.pk])).content.decode()
    assert "1 个会场未参加" in page
    notice = page.split('class="card notice absent-venues"')[1].split("</section>")[0]
    assert w.main_venue.name in notice and w.venue_a.name not in notice and late.name not in notice
    rows = {row.split("</td>")[0].split("<td>")[-1]: row for row in page.split("<tr")[1:] if "<td>" in row}
    assert rows[w.main_venue.name].startswith(' class="is-absent"') and "未参加" in rows[w.main_venue.name]
    assert "is-absent" not in rows[w.venue_a.name] and "已签到" in rows[w.venue_a.name]
    assert "在线，未签到" in rows[late.name]
    # The Excel file says the same, in a last column, and counts them on its summary sheet.
    import io

    from openpyxl import load_workbook

    response = client.get(reverse("streaming:event_report_xlsx", args=[w.event.pk]))
    book = load_workbook(io.BytesIO(response.content))
    sheet = list(book["会场"].iter_rows(values_only=True))
    assert sheet[0][-1] == "到场情况"
    marks = {r[0]: r[-1] for r in sheet[1:]}
    assert marks == {w.main_venue.name: "未参加", w.venue_a.name: "已签到", late.name: "在线，未签到"}
    summary = {r[0]: r[1] for r in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary["未参加的会场"] == 1
