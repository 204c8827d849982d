"""Organisational life: a live lesson the branch's venue attended and a course its members completed
show up in the branch's life without anyone entering them, once, and count towards what is due."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.models import PartyOrg, Role
from core.tests.factories import DEFAULT_PASSWORD, make_party_org, make_user_with_role
from learning.models import LessonKind, Topic, Visibility
from learning.services.courses import course_create, course_index_get_or_create, lesson_create
from learning.services.progress import lesson_mark_done
from party.models import Meeting, MeetingKind, PartyRole
from party.selectors import LIFE_RULES, life_figures, life_figures_of, life_overview, subtree
from party.services.life import org_life_sync
from party.tests.factories import make_keeper, make_record
from streaming.models import LiveEvent
from streaming.services.events import event_end, event_start
from streaming.services.venues import venue_check_in
from streaming.tests.factories import make_event, make_venue

pytestmark = pytest.mark.django_db


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


@pytest.fixture
def branch_people(orgs):
    branch = orgs["branch_a1"]
    members = [make_user_with_role(Role.MEMBER, party_org=branch) for _ in range(3)]
    records = [make_record(branch, user=u, name=f"党员{i}") for i, u in enumerate(members)]
    return {"branch": branch, "members": members, "records": records}


def test_live_event_attended_by_the_branch_venue_becomes_a_lecture(
    client, orgs, branch_people, django_capture_on_commit_callbacks
):
    branch, members, records = branch_people["branch"], branch_people["members"], branch_people["records"]
    secretary = make_keeper(PartyRole.Kind.SECRETARY, branch)
    host = make_user_with_role(Role.OPS_ADMIN)
    operator = make_user_with_role(Role.VENUE_OPERATOR, party_org=branch)
    venue = make_venue(party_org=branch)
    other_venue = make_venue(party_org=orgs["branch_b"])
    event = make_event(organiser=host, venues=[venue, other_venue], title="学习贯彻四中全会精神专题党课")
    event_start(event=event, by=host)
    venue_check_in(event=event, venue=venue, by=operator, headcount=12, members=members[:2])

    login(client, secretary)
    page = client.get(reverse("party:org_life", args=[branch.pk])).content.decode()
    assert "学习贯彻四中全会精神专题党课" not in page  # still on air: not a meeting yet

    # Linked as the lesson ends (party.receivers), not by opening the page.
    with django_capture_on_commit_callbacks(execute=True):
        event_end(event=LiveEvent.objects.get(pk=event.pk), by=host)
    assert Meeting.objects.filter(org=branch, live_event=event).exists()
    page = client.get(reverse("party:org_life", args=[branch.pk])).content.decode()
    meetings_table = page.split('id="meetings"')[1].split("</table>")[0]
    assert "学习贯彻四中全会精神专题党课" in meetings_table and "来自直播课" in meetings_table
    meeting = Meeting.objects.get(org=branch, live_event=event)
    assert meeting.kind == MeetingKind.LECTURE and meeting.present == 12 and meeting.expected == 3
    assert set(meeting.attendees.all()) == set(records[:2])
    # The venue that never checked in gets nothing; opening the page again adds nothing.
    assert not Meeting.objects.filter(org=orgs["branch_b"]).exists()
    client.get(reverse("party:org_life", args=[branch.pk]))
    assert org_life_sync() == 0
    assert Meeting.objects.filter(live_event=event).count() == 1


def test_completed_course_becomes_the_branch_lecture_and_grows(branch_people, django_capture_on_commit_callbacks):
    branch, members, records = branch_people["branch"], branch_people["members"], branch_people["records"]
    index = course_index_get_or_create()
    course = course_create(index=index, title="党章逐章学", topic=Topic.CONSTITUTION, visibility=Visibility.MEMBERS)
    lessons = [
        lesson_create(course=course, title=f"第{i}章", kind=LessonKind.LINK, external_url="https://www.12371.cn/")
        for i in (1, 2)
    ]

    def done(user, lesson):
        # The receiver of the completed lesson links it, after the commit.
        with django_capture_on_commit_callbacks(execute=True):
            lesson_mark_done(user=user, lesson=lesson)

    done(members[0], lessons[0])
    assert not Meeting.objects.filter(course=course).exists()  # one lesson of two is not the course
    done(members[0], lessons[1])
    meeting = Meeting.objects.get(org=branch, course=course)
    assert meeting.source == Meeting.Source.COURSE and meeting.kind == MeetingKind.LECTURE
    assert meeting.present == 1 and list(meeting.attendees.all()) == [records[0]]
    assert "党章逐章学" in meeting.topic and meeting.held_on == timezone.localdate()
    assert org_life_sync() == 0  # the reconcile finds nothing the receiver missed
    for lesson in lessons:
        done(members[1], lesson)
    meeting.refresh_from_db()
    assert meeting.present == 2 and set(meeting.attendees.all()) == set(records[:2])
    assert Meeting.objects.filter(course=course).count() == 1
    assert org_life_sync() == 0


def test_the_reconcile_links_what_no_receiver_did(branch_people):
    branch, members = branch_people["branch"], branch_people["members"]
    course = course_create(
        index=course_index_get_or_create(), title="党史专题", topic=Topic.CONSTITUTION, visibility=Visibility.MEMBERS
    )
    lesson = lesson_create(course=course, title="第一讲", kind=LessonKind.LINK, external_url="https://www.12371.cn/")
    lesson_mark_done(user=members[2], lesson=lesson)  # its after-commit receiver never ran
    assert not Meeting.objects.filter(course=course).exists()
    assert org_life_sync() == 1
    assert Meeting.objects.get(course=course).org == branch


def test_due_and_missed_per_branch(orgs, branch_people):
    branch = branch_people["branch"]
    today = datetime.date(2026, 5, 20)
    Meeting.objects.create(org=branch, kind=MeetingKind.COMMITTEE, held_on=datetime.date(2026, 1, 9), topic="支委会")
    Meeting.objects.create(org=branch, kind=MeetingKind.COMMITTEE, held_on=datetime.date(2026, 3, 9), topic="支委会")
    Meeting.objects.create(org=branch, kind=MeetingKind.LECTURE, held_on=datetime.date(2026, 2, 9), topic="党课")
    with translation.override("en"):
        overview = {b.org: b for b in life_overview(subtree(orgs["town_a"]), 2026, today=today)}
    assert set(overview) == {orgs["branch_a1"], orgs["branch_a2"]}  # branches only, in tree order
    kinds = {k.kind: k for k in overview[branch].kinds}
    # January to April are over: four committee meetings due, two held, February and April missed.
    assert (kinds["committee"].due, kinds["committee"].held) == (4, 2)
    assert kinds["committee"].missed == ["month 2", "month 4"]
    # The first quarter is over; the second is still running and not due yet.
    assert (kinds["lecture"].due, kinds["lecture"].held, kinds["lecture"].missed) == (1, 1, [])
    assert (kinds["life_meeting"].due, kinds["life_meeting"].held) == (0, 0)
    assert overview[orgs["branch_a2"]].held == 0 and overview[orgs["branch_a2"]].due > 0


def _life_page_queries(client, org, **params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("party:org_life", args=[org.pk]), params)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_life_page_costs_the_same_for_a_town_and_a_city(client, orgs, tree):
    """The city's page sums the kinds in the database and reads one page of branches: its queries
    do not grow with the branches (it used to read every branch's months and link the whole city)."""
    keeper = make_keeper(PartyRole.Kind.ORG_DEPARTMENT)
    login(client, keeper)
    today = timezone.localdate()
    branches = [
        make_party_org(PartyOrg.Kind.BRANCH, orgs["town_b"], tree["village_b"], f"乙社区第{i:02d}党支部")
        for i in range(60)
    ]
    last_year = today.year - 1
    Meeting.objects.bulk_create(
        Meeting(org=b, kind=kind, held_on=datetime.date(last_year, 1, 15), topic="学习")
        for b in branches
        for kind in LIFE_RULES
    )
    few, _page = _life_page_queries(client, orgs["town_a"], year=last_year)
    many, page = _life_page_queries(client, orgs["city"], year=last_year)
    assert few == many == 11
    table = page.split('id="life-branches"')[1].split("</table>")[0]
    # 64 branches in the city: 50 on the first page, the rest on the second, in the tree's order.
    assert table.count("<tr>") == 1 + 50
    queries, second = _life_page_queries(client, orgs["city"], year=last_year, page=2)
    assert queries == 11
    assert second.split('id="life-branches"')[1].split("</table>")[0].count("<tr>") == 1 + 14
    # The kinds' totals cover every branch, not only the page shown.
    # The kinds' totals cover every branch, not only the page shown: a branch committee is due
    # each month in the 64 branches, held in January in the 60 new ones.
    kinds = page.split('id="life-kinds"')[1].split("</tbody>")[0]
    with translation.override("zh-hans"):
        label = str(dict(MeetingKind.choices)[MeetingKind.COMMITTEE])
    row = next(r for r in kinds.split("<tr>") if label in r)
    assert f"<td>{64 * 12}</td><td>60</td><td>60</td>" in row


def test_life_figures_in_sql_equal_the_overview(orgs, branch_people):
    """The database's sums equal the per-branch overview's on mixed meetings (repeats in a period,
    periods not due yet, another year)."""
    import random

    rng = random.Random(12)
    today = datetime.date(2026, 8, 14)
    branches = [orgs["branch_a1"], orgs["branch_a2"], orgs["branch_b"], orgs["riders"]]
    kinds = list(LIFE_RULES)
    Meeting.objects.bulk_create(
        Meeting(
            org=rng.choice(branches),
            kind=rng.choice(kinds),
            held_on=datetime.date(rng.choice([2025, 2026]), rng.randint(1, 12), rng.randint(1, 28)),
            topic="随机",
        )
        for _ in range(400)
    )
    for year in (2025, 2026):
        for top in ("city", "town_a"):
            sql = life_figures(year, subtree(orgs[top]), today=today)
            python = life_figures_of(life_overview(subtree(orgs[top]), year, today=today))
            assert [(k.kind, k.due, k.held, k.meetings) for k in sql] == [
                (k.kind, k.due, k.held, k.meetings) for k in python
            ]
