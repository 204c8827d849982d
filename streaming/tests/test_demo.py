"""The live-events demo data: the article's scale (shrunk), consistent attendance, a second run adds nothing."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db.models import Sum

from core.models import Membership, Role, User
from streaming import access, selectors
from streaming.demo.steps import EVENTS_PER_YEAR, PARTICIPANT_TIMES_PER_YEAR, UPCOMING_TITLE
from streaming.models import LiveEvent, MemberAttendance, StreamItem, Venue, VenueAttendance

SCALE = 0.02


@pytest.fixture
def seeded(demo_seeded, db):
    """The module's demo (seed_demo's first run on an empty database, see conftest.demo_seeded)."""


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Venue, LiveEvent, VenueAttendance, MemberAttendance, StreamItem)}


def test_demo_events_reach_the_scaled_figures_and_a_second_run_adds_nothing(seeded):
    first = counts()

    # Every branch with a venue operator has a venue, and there is one main venue.
    operated = set(Membership.objects.filter(role=Role.VENUE_OPERATOR).values_list("party_org_id", flat=True))
    assert operated <= set(Venue.objects.values_list("party_org_id", flat=True))
    assert Venue.objects.filter(kind=Venue.Kind.MAIN).count() == 1

    past = LiveEvent.objects.exclude(state=LiveEvent.State.SCHEDULED)
    assert past.count() == round(EVENTS_PER_YEAR * SCALE)
    total = sum(e.participants for e in selectors.with_participants(past))
    assert total == round(PARTICIPANT_TIMES_PER_YEAR * SCALE)
    # Members ticked at a venue are never more than the people in the room.
    for row in VenueAttendance.objects.prefetch_related("members"):
        assert row.members.count() <= row.headcount and row.checked_in_at < row.event.started_at

    # demo_venue's venue is invited to the upcoming event, and demo_venue may open its big screen.
    upcoming = LiveEvent.objects.get(title=UPCOMING_TITLE, state=LiveEvent.State.SCHEDULED)
    demo_venue = User.objects.get(username="demo_venue")
    venue = access.venues_operated_by(demo_venue).get()
    assert access.access_event_venue(demo_venue, upcoming.pk, venue.pk) == (upcoming, venue)
    assert access.can_view_event(User.objects.get(username="demo_member"), upcoming)

    # Past chat replays: items numbered 1..last_seq, valid JSON, starting and ending with the state.
    with_chat = LiveEvent.objects.filter(last_seq__gt=0)
    assert with_chat.exists()
    for event in with_chat:
        items = list(StreamItem.objects.filter(event=event).order_by("seq"))
        assert [i.seq for i in items] == list(range(1, event.last_seq + 1))
        payloads = [json.loads(i.data) for i in items]
        assert payloads[0]["state"] == "live" and payloads[-1]["state"] == "ended"
        assert any(p["type"] == "chat" for p in payloads) and any(p["type"] == "question" for p in payloads)

    # Members got learning credit.
    credited = MemberAttendance.objects.filter(venue__isnull=False).values("user").first()
    assert credited and selectors.learning_credits_for(User.objects.get(pk=credited["user"])).total_seconds > 0
    assert VenueAttendance.objects.aggregate(n=Sum("headcount"))["n"] > 0

    call_command("seed_demo", scale=SCALE, verbosity=0)
    assert counts() == first
