"""Who may put video into an event (access_event_for_publishing), role × scope, and the pages built on it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from core.models import Role
from core.tests.factories import UserFactory, make_department, make_party_org, make_user_with_role
from streaming.models import LiveEvent
from streaming.video.access import access_event_for_publishing
from streaming.video.models import LiveStream
from streaming.video.selectors import ingest_status, playback_url, rtmp_server_url
from streaming.video.tests.conftest import make_event

pytestmark = pytest.mark.django_db


def person(role: str | None, tree):
    """Someone holding `role` at a place of the tree (None: signed in, no role)."""
    if role is None:
        return UserFactory()
    scope = {
        Role.RESIDENT: lambda: {"area": tree["grid_a"]},
        Role.MEMBER: lambda: {"party_org": make_party_org(area=tree["village_a"])},
        Role.VENUE_OPERATOR: lambda: {"party_org": make_party_org(area=tree["village_a"])},
        Role.GRID_WORKER: lambda: {"area": tree["grid_a"]},
        Role.COMMUNITY_STAFF: lambda: {"area": tree["village_a"]},
        Role.TOWN_STAFF: lambda: {"area": tree["town_a"]},
        Role.DEPARTMENT_STAFF: lambda: {"department": make_department(tree["city"])},
        Role.DEPARTMENT_SUPERVISOR: lambda: {"department": make_department(tree["city"])},
    }.get(role, dict)()
    return make_user_with_role(role, **scope)


@pytest.mark.parametrize("role", [None, *Role.values])
def test_only_the_operations_centre_publishes_into_someone_elses_event(tree, role):
    event = make_event()
    user = person(role, tree)
    if role == Role.OPS_ADMIN:
        assert access_event_for_publishing(user, event.pk) == event
    else:
        with pytest.raises(Http404):
            access_event_for_publishing(user, event.pk)


@pytest.mark.parametrize("role", [None, Role.TOWN_STAFF, Role.MEMBER])
def test_the_organiser_publishes_whatever_their_role(tree, role):
    organiser = person(role, tree)
    event = make_event(organiser=organiser)
    assert access_event_for_publishing(organiser, str(event.pk)) == event


def test_superuser_yes_anonymous_inactive_and_missing_no(tree):
    event = make_event()
    assert access_event_for_publishing(UserFactory(is_superuser=True), event.pk) == event
    for user in (AnonymousUser(), UserFactory(is_superuser=True, is_active=False)):
        with pytest.raises(Http404):
            access_event_for_publishing(user, event.pk)
    event.organiser.is_active = False
    event.organiser.save()
    with pytest.raises(Http404):
        access_event_for_publishing(event.organiser, event.pk)
    ops = person(Role.OPS_ADMIN, tree)
    for bad in (event.pk + 1000, 0, -1, "x", None, "1 OR 1=1"):
        with pytest.raises(Http404):
            access_event_for_publishing(ops, bad)


def test_playback_url_only_while_live_and_without_a_query(django_assert_num_queries):
    event = make_event()
    with django_assert_num_queries(0):
        url = playback_url(event)
    assert url.startswith(f"/live-media/{event.pk}/") and url.endswith("/master.m3u8")
    for state in (
        LiveEvent.State.SCHEDULED,
        LiveEvent.State.ENDED,
        LiveEvent.State.REPLAY_READY,
        LiveEvent.State.CANCELLED,
    ):
        event.state = state
        assert playback_url(event) is None


def test_ingest_status_in_one_query(django_assert_num_queries):
    event = make_event()
    with django_assert_num_queries(1):
        status = ingest_status(event)
    assert status["on_air"] is False and status["source"] == "" and status["last_segment_age"] is None
    from django.utils import timezone

    LiveStream.objects.create(
        event=event,
        source="rtmp",
        on_air=True,
        restarts=2,
        last_segment_at=timezone.now(),
        source_info={"width": 1280, "height": 720},
    )
    with django_assert_num_queries(1):
        status = ingest_status(event)
    assert status["on_air"] and status["source"] == "rtmp" and status["restarts"] == 2
    assert 0 <= status["last_segment_age"] < 5 and (status["width"], status["height"]) == (1280, 720)


def test_rtmp_server_url(settings):
    settings.LIVE_RTMP_URL = ""
    settings.LIVE_RTMP_PORT = 1935
    assert rtmp_server_url("dj.example.gov.cn:8443") == "rtmp://dj.example.gov.cn/live"
    settings.LIVE_RTMP_PORT = 19350
    assert rtmp_server_url("10.0.0.5") == "rtmp://10.0.0.5:19350/live"
    settings.LIVE_RTMP_URL = "rtmp://live.example.gov.cn/live"
    assert rtmp_server_url("x") == "rtmp://live.example.gov.cn/live"


def test_studio_page_for_hosts_only(client, tree, django_assert_max_num_queries):
    organiser = person(Role.TOWN_STAFF, tree)
    event = make_event(organiser=organiser)
    url = f"/live-video/{event.pk}/studio/"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(person(Role.MEMBER, tree))
    assert client.get(url).status_code == 404
    client.force_login(organiser)
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert event.stream_key in html and f'data-ws="/ws/live/{event.pk}/publish/"' in html
    assert f"/live-media/{event.pk}/" in html and "推流" in html
