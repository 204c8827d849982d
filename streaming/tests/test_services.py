"""Services: the event state machine, pushes after commit, check-in, heartbeats, attendance, credits."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.models import Notification, Role
from core.tests.factories import make_user_with_role
from streaming import selectors
from streaming.models import LiveEvent, MemberAttendance, Question, StreamItem, VenueAttendance
from streaming.services import chat, events, venues
from streaming.services.stream import event_group
from streaming.tests.factories import make_event, make_world

pytestmark = pytest.mark.django_db
State = LiveEvent.State


def listen(event_id: int) -> tuple:
    """A channel in the event's group, on whichever layer the run uses (in-memory or Redis)."""
    layer = get_channel_layer()
    # A plain channel name (no "!"): it can be read from a fresh event loop on every call.
    channel = f"test-listener.{uuid.uuid4().hex}"
    async_to_sync(layer.group_add)(event_group(event_id), channel)
    return layer, channel


def received(layer, channel) -> list[dict]:
    """Everything pushed so far: waits up to a second for the first message, then drains."""
    out = []

    async def drain():
        import asyncio

        timeout = 1.0
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout)
            except TimeoutError:
                return
            out.extend(json.loads(data) for _seq, data in message["items"])
            timeout = 0.2

    async_to_sync(drain)()
    return out


# --- State machine -----------------------------------------------------------------------------


def test_start_end_and_the_errors_in_between(world, django_capture_on_commit_callbacks):
    layer, channel = listen(world.event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        events.event_start(event=world.event, by=world.organiser)
    world.event.refresh_from_db()
    assert world.event.state == State.LIVE and world.event.started_at
    pushed = received(layer, channel)
    assert [(p["type"], p["state"]) for p in pushed] == [("state", "live")]
    assert pushed[0]["seq"] == world.event.last_seq == StreamItem.objects.get(event=world.event).seq

    with pytest.raises(events.EventStateError) as error:
        events.event_start(event=world.event, by=world.organiser)
    assert "直播中" in error.value.messages[0]
    with pytest.raises(events.EventStateError):
        events.event_cancel(event=world.event, by=world.organiser)

    with django_capture_on_commit_callbacks(execute=True):
        events.event_end(event=world.event, by=world.ops)
    world.event.refresh_from_db()
    assert world.event.state == State.ENDED and world.event.ended_at >= world.event.started_at
    assert [p["state"] for p in received(layer, channel)] == ["ended"]
    with pytest.raises(events.EventStateError):
        events.event_end(event=world.event, by=world.organiser)
    with pytest.raises(events.EventStateError):
        events.stream_key_rotate(event=world.event, by=world.organiser)


def test_nothing_is_pushed_when_the_transaction_rolls_back(world, django_capture_on_commit_callbacks):
    layer, channel = listen(world.event.pk)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        events.event_start(event=world.event, by=world.organiser)
        raise RuntimeError("rollback")
    world.event.refresh_from_db()
    assert world.event.state == State.SCHEDULED and world.event.last_seq == 0
    assert received(layer, channel) == []
    assert not StreamItem.objects.exists()


def test_only_hosts_change_the_state(world):
    for user in (world.operator_a, world.member_a, world.resident):
        with pytest.raises(PermissionDenied):
            events.event_start(event=world.event, by=user)
    world.event.refresh_from_db()
    assert world.event.state == State.SCHEDULED


def test_cancel_tells_the_invited_venues(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        events.event_cancel(event=world.event, by=world.organiser, reason="  台风  预警 ")
    world.event.refresh_from_db()
    assert world.event.state == State.CANCELLED and world.event.cancel_reason == "台风 预警"
    note = Notification.objects.get(recipient=world.operator_a)
    assert world.event.title in note.title and "取消" in note.title
    assert not Notification.objects.filter(recipient=world.operator_b).exists()


def test_start_notifies_operators_and_rotating_the_key_changes_it(world):
    old = world.event.stream_key
    events.stream_key_rotate(event=world.event, by=world.organiser)
    world.event.refresh_from_db()
    assert world.event.stream_key != old and len(world.event.stream_key) >= 20
    events.event_start(event=world.event, by=world.organiser)
    assert Notification.objects.filter(recipient=world.operator_a, title__contains="正在直播").exists()


def test_create_checks_schedule_and_venues(world):
    start = timezone.now() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        events.event_create(organiser=world.organiser, title="x", scheduled_start=start, scheduled_end=start)
    with pytest.raises(ValidationError):
        events.event_create(
            organiser=world.organiser,
            title="越权邀请",
            scheduled_start=start,
            scheduled_end=start + datetime.timedelta(hours=1),
            venues=[world.venue_b],
        )
    with pytest.raises(PermissionDenied):
        events.event_create(
            organiser=world.member_a,
            title="x",
            scheduled_start=start,
            scheduled_end=start + datetime.timedelta(hours=1),
        )
    event = events.event_create(
        organiser=world.organiser,
        title="乡村振兴专题",
        scheduled_start=start,
        scheduled_end=start + datetime.timedelta(hours=2),
        venues=[world.venue_a],
        main_venue=world.main_venue,
    )
    assert event.state == State.SCHEDULED and list(event.invited_venues.all()) == [world.venue_a]
    assert Notification.objects.filter(recipient=world.operator_a, title__contains="受邀").exists()


def test_reschedule_only_while_scheduled(world):
    start = timezone.now() + datetime.timedelta(days=2)
    events.event_schedule(
        event=world.event,
        by=world.organiser,
        title="改期后的党课",
        scheduled_start=start,
        scheduled_end=start + datetime.timedelta(hours=1),
        audience=LiveEvent.Audience.MEMBERS,
        venues=[],
    )
    world.event.refresh_from_db()
    assert world.event.title == "改期后的党课" and not world.event.invited_venues.exists()
    events.event_start(event=world.event, by=world.organiser)
    with pytest.raises(events.EventStateError):
        events.event_schedule(
            event=world.event,
            by=world.organiser,
            title="y",
            scheduled_start=start,
            scheduled_end=start + datetime.timedelta(hours=1),
            audience=LiveEvent.Audience.MEMBERS,
        )


# --- Chat and questions --------------------------------------------------------------------------


def test_sequence_numbers_are_consecutive_across_kinds(live_world):
    w = live_world
    chat.chat_message_post(event=w.event, author=w.operator_a, text="一")
    q = chat.question_ask(event=w.event, author=w.operator_a, text="二？", venue=w.venue_a)
    chat.announcement_push(event=w.event, by=w.organiser, text="三")
    chat.question_mark_answering(question=q, by=w.organiser)
    seqs = list(StreamItem.objects.filter(event=w.event).order_by("seq").values_list("seq", "kind"))
    assert seqs == [(1, "chat"), (2, "question"), (3, "announcement"), (4, "question")]
    assert json.loads(StreamItem.objects.get(event=w.event, seq=4).data)["state"] == "answering"


def test_one_question_answered_at_a_time(live_world):
    w = live_world
    first = chat.question_ask(event=w.event, author=w.operator_a, text="第一个问题")
    second = chat.question_ask(event=w.event, author=w.organiser, text="第二个问题")
    chat.question_mark_answering(question=first, by=w.organiser)
    chat.question_mark_answering(question=second, by=w.organiser)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (Question.State.ANSWERED, Question.State.ANSWERING)
    assert [q.pk for q in selectors.question_queue(w.event)] == [second.pk, first.pk]
    with pytest.raises(PermissionDenied):
        chat.question_mark_answered(question=second, by=w.operator_a)


def test_seconding_counts_once_per_person_and_not_for_the_asker(live_world):
    w = live_world
    question = chat.question_ask(event=w.event, author=w.operator_a, text="能讲讲基层减负吗？")
    with pytest.raises(ValidationError):
        chat.question_second(question=question, by=w.operator_a)
    chat.question_second(question=question, by=w.organiser)
    with pytest.raises(ValidationError) as error:
        chat.question_second(question=question, by=w.organiser)
    assert "已经同问" in error.value.messages[0]
    question.refresh_from_db()
    assert question.seconds == 1


def test_texts_are_cleaned_and_limited(live_world):
    w = live_world
    assert chat.clean_text("  你好\u200b\n世界  ", max_chars=10) == "你好 世界"
    assert chat.clean_text("第一行\r\n\r\n\r\n\r\n第二行", max_chars=20, multiline=True) == "第一行\n\n第二行"
    for bad in ("", "   ", "\u202e", None, 5):
        with pytest.raises(ValidationError):
            chat.clean_text(bad, max_chars=10)
    with pytest.raises(ValidationError):
        chat.chat_message_post(event=w.event, author=w.operator_a, text="长" * (chat.CHAT_MAX_CHARS + 1))


def test_the_uninvited_cannot_post(live_world):
    with pytest.raises(PermissionDenied):
        chat.chat_message_post(event=live_world.event, author=live_world.member_b, text="我也来")


# --- Venues and attendance ------------------------------------------------------------------------


def test_heartbeats_make_online_intervals_and_push_only_changes(live_world, django_capture_on_commit_callbacks):
    w = live_world
    t0 = timezone.now()
    layer, channel = listen(w.event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        venues.venue_heartbeat(event=w.event, venue=w.venue_a, by=w.operator_a, health="waiting", now=t0)
        for k in range(1, 4):  # steady heartbeats: one interval, no pushes
            venues.venue_heartbeat(
                event=w.event,
                venue=w.venue_a,
                by=w.operator_a,
                health="waiting",
                now=t0 + datetime.timedelta(seconds=10 * k),
            )
        venues.venue_heartbeat(  # the player starts: pushed
            event=w.event, venue=w.venue_a, by=w.operator_a, health="playing", now=t0 + datetime.timedelta(seconds=40)
        )
        venues.venue_heartbeat(  # back after a long gap: a new interval, pushed as online again
            event=w.event, venue=w.venue_a, by=w.operator_a, health="playing", now=t0 + datetime.timedelta(minutes=5)
        )
    pushed = received(layer, channel)
    assert [(p["type"], p["health"]) for p in pushed] == [
        ("venue", "waiting"),
        ("venue", "playing"),
        ("venue", "playing"),
    ]
    row = VenueAttendance.objects.get(event=w.event, venue=w.venue_a)
    spans = [(i.started_at - t0, i.ended_at - t0) for i in row.intervals.all()]
    assert spans == [
        (datetime.timedelta(0), datetime.timedelta(seconds=40)),
        (datetime.timedelta(minutes=5), datetime.timedelta(minutes=5)),
    ]
    with pytest.raises(PermissionDenied):
        venues.venue_heartbeat(event=w.event, venue=w.venue_a, by=w.operator_b, health="playing")
    with pytest.raises(ValidationError):
        venues.venue_heartbeat(event=w.event, venue=w.venue_a, by=w.operator_a, health="<script>")


def test_participant_times_and_learning_credit():
    w = make_world(audience=LiveEvent.Audience.MEMBERS, state=State.LIVE)
    other_member = make_user_with_role(Role.MEMBER, party_org=w.branch_a)
    venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=30, members=[w.member_a])
    venues.venue_check_in(event=w.event, venue=w.main_venue, by=w.organiser, headcount=12)
    # Someone watching on a phone for two minutes (heartbeats every 10 s).
    t0 = timezone.now()
    for k in range(13):
        venues.member_watch_heartbeat(
            event=w.event, user=other_member, health="playing", now=t0 + datetime.timedelta(seconds=10 * k)
        )
    # A member already counted at the venue who also opens the page on the phone is not counted twice.
    venues.member_watch_heartbeat(event=w.event, user=w.member_a, health="playing", now=t0)
    totals = selectors.event_totals(w.event)
    assert (totals.headcount, totals.personal, totals.participants) == (42, 1, 43)
    assert selectors.with_participants(LiveEvent.objects.filter(pk=w.event.pk)).get().participants == 43

    # Credits appear once the event has ended: the venue attendee gets the time on air.
    assert selectors.learning_credits_for(w.member_a).rows == []
    events.event_end(event=w.event, by=w.organiser)
    w.event.refresh_from_db()
    at_venue = selectors.learning_credits_for(w.member_a)
    assert [(c.event, c.venue) for c in at_venue.rows] == [(w.event, w.venue_a)]
    assert at_venue.total_seconds == pytest.approx(w.event.duration_seconds, abs=1)
    personal = selectors.learning_credits_for(other_member)
    assert personal.rows[0].venue is None and personal.total_seconds == pytest.approx(120)
    assert selectors.learning_credits_for(w.member_b).rows == []


def test_check_in_rules(live_world):
    w = live_world
    with pytest.raises(ValidationError):
        venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=0)
    with pytest.raises(ValidationError):  # not a member of this venue's branch
        venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=5, members=[w.member_b])
    with pytest.raises(ValidationError):  # more ticked than in the room
        venues.venue_check_in(
            event=w.event, venue=w.venue_a, by=w.operator_a, headcount=1, members=[w.member_a, w.operator_a]
        )
    with pytest.raises(PermissionDenied):
        venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_b, headcount=5)
    first = venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=5, members=[w.member_a])
    again = venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=8, members=[])
    assert again.pk == first.pk and again.headcount == 8 and again.checked_in_at == first.checked_in_at
    # Unticked: no longer credited through the venue.
    assert MemberAttendance.objects.get(event=w.event, user=w.member_a).venue is None
    events.event_end(event=w.event, by=w.organiser)
    with pytest.raises(ValidationError):
        venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=5)


def test_events_live_now_counts_online_venues(live_world):
    w = live_world
    venues.venue_heartbeat(event=w.event, venue=w.venue_a, by=w.operator_a, health="playing")
    live = selectors.events_live_now(w.operator_a)
    assert [(e.pk, e.venue_count) for e in live] == [(w.event.pk, 1)]
    assert selectors.events_live_now(w.member_b) == []
    public = make_event(organiser=w.organiser, audience=LiveEvent.Audience.PUBLIC, state=State.LIVE, title="公开直播")
    from django.contrib.auth.models import AnonymousUser

    assert [e.pk for e in selectors.events_live_now(AnonymousUser())] == [public.pk]


def test_roster_shows_rooms_ready_before_the_start_and_nobody_online_after_the_end(world):
    venues.venue_heartbeat(event=world.event, venue=world.venue_a, by=world.operator_a, health="waiting")
    rows = {r.venue: r for r in selectors.roster(world.event)}
    assert rows[world.venue_a].online and not rows[world.main_venue].online
    assert selectors.event_totals(world.event).venues_online == 1
    events.event_start(event=world.event, by=world.organiser)
    events.event_end(event=world.event, by=world.organiser)
    world.event.refresh_from_db()
    assert not any(r.online for r in selectors.roster(world.event))
    assert selectors.event_totals(world.event).venues_online == 0


def test_check_in_opens_a_set_time_before_the_start(live_world, settings):
    w = live_world
    settings.LIVE_CHECK_IN_OPENS_MINUTES = 60
    start = timezone.now() + datetime.timedelta(hours=31)
    LiveEvent.objects.filter(pk=w.event.pk).update(
        state=LiveEvent.State.SCHEDULED, scheduled_start=start, scheduled_end=start + datetime.timedelta(hours=2)
    )
    w.event.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=5)
    assert refused.value.code == "not_open" and "60" in refused.value.messages[0]
    soon = timezone.now() + datetime.timedelta(minutes=50)
    LiveEvent.objects.filter(pk=w.event.pk).update(
        scheduled_start=soon, scheduled_end=soon + datetime.timedelta(hours=2)
    )
    w.event.refresh_from_db()
    assert venues.venue_check_in(event=w.event, venue=w.venue_a, by=w.operator_a, headcount=5).headcount == 5
