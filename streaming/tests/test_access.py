"""Role × scope matrices for every access_* function of the live-events app."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from core.models import Role
from core.tests.factories import UserFactory, make_department, make_user_with_role
from streaming import access
from streaming.models import LiveEvent
from streaming.tests.factories import make_event, make_world

pytestmark = pytest.mark.django_db

PUBLIC, MEMBERS, INVITED = LiveEvent.Audience.PUBLIC, LiveEvent.Audience.MEMBERS, LiveEvent.Audience.INVITED


@pytest.fixture
def people():
    w = make_world(audience=INVITED)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    return w, {
        "anonymous": AnonymousUser(),
        "resident": w.resident,
        "member (invited branch)": w.member_a,
        "member (other branch)": w.member_b,
        "operator (invited venue)": w.operator_a,
        "operator (not invited)": w.operator_b,
        "organiser (town staff)": w.organiser,
        "other town staff": make_user_with_role(Role.TOWN_STAFF, area=w.tree["town_b"]),
        "department staff": make_user_with_role(Role.DEPARTMENT_STAFF, department=make_department(w.tree["city"])),
        "grid worker": make_user_with_role(Role.GRID_WORKER, area=w.tree["grid_a"]),
        "ops admin": w.ops,
        "superuser": superuser,
        "no role": UserFactory(),
    }


# who → (public, members, invited) may watch
VIEW = {
    "anonymous": (True, False, False),
    "resident": (True, False, False),
    "member (invited branch)": (True, True, False),
    "member (other branch)": (True, True, False),
    "operator (invited venue)": (True, True, True),
    "operator (not invited)": (True, True, False),
    "organiser (town staff)": (True, True, True),
    "other town staff": (True, True, False),
    "department staff": (True, True, False),
    "grid worker": (True, True, False),
    "ops admin": (True, True, True),
    "superuser": (True, True, True),
    "no role": (True, False, False),
}
HOSTS = {"organiser (town staff)", "ops admin", "superuser"}


def test_view_matrix(people):
    w, users = people
    events = {a: make_event(organiser=w.organiser, venues=[w.venue_a], audience=a) for a in (PUBLIC, MEMBERS, INVITED)}
    for who, user in users.items():
        for audience, expected in zip((PUBLIC, MEMBERS, INVITED), VIEW[who], strict=True):
            event = events[audience]
            assert access.can_view_event(user, event) is expected, (who, audience)
            if expected:
                assert access.access_event_by_id(user, event.pk) == event
            else:
                with pytest.raises(Http404):
                    access.access_event_by_id(user, event.pk)
            # The list agrees with the single-object check.
            assert access.events_visible_to(user).filter(pk=event.pk).exists() is expected, (who, audience, "list")


def test_host_matrix(people):
    w, users = people
    for who, user in users.items():
        expected = who in HOSTS
        assert access.can_host_event(user, w.event) is expected, who
        if expected:
            assert access.access_event_by_id(user, w.event.pk, for_host=True) == w.event
        else:
            with pytest.raises(Http404):
                access.access_event_by_id(user, w.event.pk, for_host=True)


def test_missing_and_malformed_ids_are_404(people):
    w, users = people
    for bad in (w.event.pk + 1000, "abc", None, -1, 0):
        with pytest.raises(Http404):
            access.access_event_by_id(users["ops admin"], bad)


# who → may operate venue A, venue B
OPERATE = {
    "anonymous": (False, False),
    "resident": (False, False),
    "member (invited branch)": (False, False),
    "operator (invited venue)": (True, False),
    "operator (not invited)": (False, True),
    "organiser (town staff)": (False, False),
    "ops admin": (True, True),
    "superuser": (True, True),
}


def test_venue_matrix(people):
    w, users = people
    for who, (venue_a, venue_b) in OPERATE.items():
        user = users[who]
        for venue, expected in ((w.venue_a, venue_a), (w.venue_b, venue_b)):
            assert access.can_operate_venue(user, venue) is expected, (who, venue)
            if expected:
                assert access.access_venue_by_id(user, venue.pk) == venue
                assert access.venues_operated_by(user).filter(pk=venue.pk).exists()
            else:
                with pytest.raises(Http404):
                    access.access_venue_by_id(user, venue.pk)


# who → may open the big screen of venue A (invited) / venue B (not invited) for the event
SCREEN = {
    "anonymous": (False, False),
    "member (invited branch)": (False, False),
    "operator (invited venue)": (True, False),
    "operator (not invited)": (False, False),
    "organiser (town staff)": (True, False),
    "ops admin": (True, False),
}


def test_event_venue_matrix(people):
    w, users = people
    for who, (venue_a, venue_b) in SCREEN.items():
        user = users[who]
        for venue, expected in ((w.venue_a, venue_a), (w.venue_b, venue_b)):
            if expected:
                assert access.access_event_venue(user, w.event.pk, venue.pk) == (w.event, venue)
            else:
                with pytest.raises(Http404):
                    access.access_event_venue(user, w.event.pk, venue.pk)
    # The main venue's operators (the committee's) may open its screen too.
    committee_operator = make_user_with_role(Role.VENUE_OPERATOR, party_org=w.main_venue.party_org)
    assert access.access_event_venue(committee_operator, w.event.pk, w.main_venue.pk)[1] == w.main_venue
    assert access.can_view_event(committee_operator, w.event)


def test_who_may_organise_and_which_venues_they_may_invite(people):
    w, users = people
    organisers = {who for who, user in users.items() if access.may_organise_events(user)}
    assert organisers == {"organiser (town staff)", "other town staff", "ops admin", "superuser"}
    assert set(access.venues_invitable_by(users["organiser (town staff)"])) == {w.venue_a, w.main_venue}
    assert set(access.venues_invitable_by(users["other town staff"])) == {w.venue_b}
    assert set(access.venues_invitable_by(users["ops admin"])) >= {w.venue_a, w.venue_b, w.main_venue}
    assert not access.venues_invitable_by(users["operator (invited venue)"]).exists()


def test_inactive_users_lose_everything(people):
    w, users = people
    ops = users["ops admin"]
    ops.is_active = False
    ops.save()
    ops = type(ops).objects.get(pk=ops.pk)
    assert not access.can_host_event(ops, w.event)
    assert not access.can_view_event(ops, w.event)
