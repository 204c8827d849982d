"""The rollups equal the live GROUP BY: after the owning apps' services change records, after a
rebuild and on random data (on the demo data: test_rollups_demo.py)."""

from __future__ import annotations

import datetime
import time

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import PartyOrg
from dashboards import registry
from dashboards.models import Rollup, RollupSource
from dashboards.selectors import figures_from_rollups, parse_period
from dashboards.services.rollups import rollup_rebuild
from dashboards.tests.factories import assert_rollups_match_live, make_live_event, make_world
from learning.models import LearningDay, LessonProgress
from learning.services.progress import progress_report, progress_ticket
from learning.signals import learning_credited, lesson_completed
from streaming.models import LiveEvent, MemberAttendance, VenueAttendance
from streaming.services.events import event_cancel, event_end, event_start
from streaming.services.venues import member_watch_heartbeat, venue_check_in
from streaming.signals import participation_changed

LEARNING = registry.get("learning")
LIVE = registry.get("live")


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return make_world()


def _total(dashboard, node, metric):
    return figures_from_rollups(dashboard, node, parse_period({}))[metric].total


def test_learning_reports_keep_the_rollups_current(world, django_capture_on_commit_callbacks):
    member = world.people["member_a1"]
    lesson = world.course.lessons["members"]  # 120 s of video
    ticket = progress_ticket(user=member, lesson=lesson, issued_at=time.time() - 600)
    with django_capture_on_commit_callbacks(execute=True):
        progress_report(user=member, lesson=lesson, ticket=ticket, intervals=[[0, 60]])
    committee = world.orgs["committee_a"]
    assert _total(LEARNING, committee, "learning.seconds") == pytest.approx(60)
    assert _total(LEARNING, committee, "learning.completions") == 0
    with django_capture_on_commit_callbacks(execute=True):
        progress_report(user=member, lesson=lesson, ticket=ticket, intervals=[[60, 115]], now=time.time() + 60)
    assert _total(LEARNING, committee, "learning.seconds") == pytest.approx(115)
    assert _total(LEARNING, world.orgs["branch_a1"], "learning.completions") == 1
    assert _total(LEARNING, world.orgs["branch_a2"], "learning.seconds") == 0
    assert _total(LEARNING, world.orgs["committee_b"], "learning.seconds") == 0
    assert assert_rollups_match_live(LEARNING) == 2  # the branch and its committee


def test_live_services_keep_the_rollups_current(world, django_capture_on_commit_callbacks):
    organiser = world.people["ops"]
    venue = world.venues[0]
    event = LiveEvent.objects.create(
        title="专题党课",
        organiser=organiser,
        main_venue=world.main_venue,
        scheduled_start=timezone.now(),
        scheduled_end=timezone.now() + datetime.timedelta(hours=2),
        audience=LiveEvent.Audience.MEMBERS,
    )
    event.invitations.create(venue=venue)
    committee, branch = world.orgs["committee_a"], world.orgs["branch_a1"]
    with django_capture_on_commit_callbacks(execute=True):
        venue_check_in(event=event, venue=venue, by=world.operators[venue.pk], headcount=12)
    assert _total(LIVE, committee, "live.checkins") == 0  # not on air yet: nothing counts
    with django_capture_on_commit_callbacks(execute=True):
        event_start(event=event, by=organiser)
    assert _total(LIVE, committee, "live.events") == 1
    assert _total(LIVE, branch, "live.checkins") == 1
    assert _total(LIVE, branch, "live.headcount") == 12
    with django_capture_on_commit_callbacks(execute=True):
        venue_check_in(event=event, venue=venue, by=world.operators[venue.pk], headcount=20)
    assert _total(LIVE, committee, "live.participants") == 20
    viewer = world.people["member_b"]
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(8):
            member_watch_heartbeat(
                event=event, user=viewer, health="playing", now=t0 + datetime.timedelta(seconds=10 * i)
            )
    assert _total(LIVE, committee, "live.personal") == 1  # the organising side's figure
    assert _total(LIVE, committee, "live.participants") == 21
    with django_capture_on_commit_callbacks(execute=True):
        event_end(event=event, by=organiser)
    assert assert_rollups_match_live(LIVE) == 2


def test_a_cancelled_event_counts_nowhere(world, django_capture_on_commit_callbacks):
    organiser = world.people["ops"]
    venue = world.venues[2]
    event = make_live_event(organiser=organiser, org=world.orgs["committee_b"], state=LiveEvent.State.SCHEDULED)
    event.invitations.create(venue=venue)
    with django_capture_on_commit_callbacks(execute=True):
        venue_check_in(event=event, venue=venue, by=world.operators[venue.pk], headcount=7)
        event_cancel(event=event, by=organiser, reason="改期")
    assert _total(LIVE, world.orgs["committee_b"], "live.headcount") == 0
    assert assert_rollups_match_live(LIVE) == 0


def test_rebuild_corrects_drift_and_then_finds_nothing(world, django_capture_on_commit_callbacks):
    member = world.people["member_b"]
    lesson = world.course.lessons["members"]
    ticket = progress_ticket(user=member, lesson=lesson, issued_at=time.time() - 600)
    with django_capture_on_commit_callbacks(execute=True):
        progress_report(user=member, lesson=lesson, ticket=ticket, intervals=[[0, 110]])
    Rollup.objects.filter(metric="learning.seconds").update(value=F("value") + 5)
    Rollup.objects.filter(metric="learning.completions").delete()
    Rollup.objects.create(metric="learning.seconds", tree="party", node_id=999999, day=datetime.date(2020, 1, 1))
    run = rollup_rebuild(dashboard=LEARNING)
    assert run.corrected > 0
    assert assert_rollups_match_live(LEARNING) == 2
    assert rollup_rebuild(dashboard=LEARNING).corrected == 0


def test_reconcile_command_reports_each_dashboard(world, capsys):
    call_command("rollups_reconcile", "live", "learning")
    out = capsys.readouterr().out
    assert "learning:" in out and "live:" in out


# --- Random data -------------------------------------------------------------------------------

operation = st.one_of(
    st.tuples(st.just("credit"), st.integers(0, 4), st.integers(0, 500), st.floats(0.5, 4000), st.integers(0, 3)),
    st.tuples(st.just("complete"), st.integers(0, 4), st.integers(0, 500), st.integers(0, 3)),
    st.tuples(
        st.just("event"),
        st.sampled_from(["committee_a", "committee_b", "branch_a1", "branch_b", None]),
        st.integers(0, 500),
        st.sampled_from([s for s, _ in LiveEvent.State.choices]),
    ),
    st.tuples(st.just("check_in"), st.integers(0, 20), st.integers(0, 2), st.integers(1, 300)),
    st.tuples(st.just("viewer"), st.integers(0, 20), st.integers(0, 4), st.floats(0, 200)),
    st.tuples(st.just("state"), st.integers(0, 20), st.sampled_from([s for s, _ in LiveEvent.State.choices])),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, max_size=14))
def test_rollups_equal_the_live_computation_on_random_data(world, ops):
    """Records are written directly and announced as their services announce them."""
    courses = list(world.course.courses.values())
    lessons = list(world.course.lessons.values())
    events = list(LiveEvent.objects.order_by("pk"))
    today = timezone.localdate()
    for op in ops:
        kind = op[0]
        if kind == "credit":
            _, m, days, seconds, c = op
            user, lesson, day = world.members[m], lessons[c], today - datetime.timedelta(days=days)
            row, _ = LearningDay.objects.get_or_create(
                user=user, lesson=lesson, day=day, defaults={"course": courses[c], "seconds": 0}
            )
            LearningDay.objects.filter(pk=row.pk).update(seconds=F("seconds") + round(seconds, 2))
            learning_credited.send(None, user_id=user.pk, course_id=row.course_id, day=day, seconds=round(seconds, 2))
        elif kind == "complete":
            _, m, days, c = op
            user, lesson = world.members[m], lessons[c]
            if LessonProgress.objects.filter(user=user, lesson=lesson).exists():
                continue
            when = timezone.now() - datetime.timedelta(days=days)
            p = LessonProgress.objects.create(user=user, lesson=lesson, course=courses[c], completed_at=when)
            lesson_completed.send(None, user_id=user.pk, course_id=p.course_id, lesson_id=lesson.pk, completed_at=when)
        elif kind == "event":
            _, org, days, state = op
            event = make_live_event(
                organiser=world.people["ops"], org=world.orgs[org] if org else None, days_ago=days, state=state
            )
            if org is None:
                LiveEvent.objects.filter(pk=event.pk).update(main_venue=world.main_venue)
            events.append(event)
            participation_changed.send(None, event_id=event.pk, what="state")
        elif not events:
            continue
        elif kind == "check_in":
            _, e, v, headcount = op
            event = events[e % len(events)]
            VenueAttendance.objects.update_or_create(
                event=event, venue=world.venues[v], defaults={"checked_in_at": timezone.now(), "headcount": headcount}
            )
            participation_changed.send(None, event_id=event.pk, what="check_in")
        elif kind == "viewer":
            _, e, m, seconds = op
            event = events[e % len(events)]
            MemberAttendance.objects.update_or_create(
                event=event, user=world.members[m], defaults={"seconds": seconds, "venue": None}
            )
            participation_changed.send(None, event_id=event.pk, what="viewer")
        elif kind == "state":
            _, e, state = op
            event = events[e % len(events)]
            LiveEvent.objects.filter(pk=event.pk).update(state=state)
            participation_changed.send(None, event_id=event.pk, what="state")
    for dashboard in (LEARNING, LIVE):
        assert_rollups_match_live(dashboard)
        # A random window of months too, at the top of the trees.
        months = sorted({today.replace(day=1) - datetime.timedelta(days=31 * k) for k in (0, 3, 9)})
        period = parse_period({"from": f"{months[0]:%Y-%m}", "to": f"{months[-1]:%Y-%m}"})
        assert_rollups_match_live(dashboard, period=period, nodes=PartyOrg.objects.filter(parent__isnull=True))
    # And the sources remember exactly what each event added.
    assert RollupSource.objects.count() <= LiveEvent.objects.count()
