"""The pages through the test client: who sees what, check-in, heartbeats, host actions, budgets."""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image

from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import Announcement, LiveEvent, MemberAttendance, Question, VenueAttendance
from streaming.services import chat
from streaming.tests.factories import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()


def signed_in(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


def png_upload(name: str = "room.png", size=(64, 48)):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 16, 46)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- Lists and the viewer page -----------------------------------------------------------------


def test_list_shows_only_what_the_reader_may_watch(client, world):
    public = make_event(organiser=world.organiser, audience=LiveEvent.Audience.PUBLIC, title="公开党课")
    response = client.get(reverse("streaming:event_list"))
    assert response.status_code == 200
    assert public.title in response.text and world.event.title not in response.text

    signed_in(client, world.operator_a)
    response = client.get(reverse("streaming:event_list"))
    assert world.event.title in response.text
    # The operator's venue has a big-screen link.
    assert reverse("streaming:venue_screen", args=[world.event.pk, world.venue_a.pk]) in response.text


def test_list_query_budget_does_not_grow_with_past_events(client, world, django_assert_max_num_queries):
    for n in range(15):
        make_event(
            organiser=world.organiser,
            audience=LiveEvent.Audience.PUBLIC,
            state=LiveEvent.State.ENDED,
            title=f"往期党课{n}",
        )
    signed_in(client, world.operator_a)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("streaming:event_list"))
    assert response.text.count("往期党课") == 15


def test_signed_out_readers_of_a_restricted_or_missing_event_are_asked_to_sign_in(client, world):
    for event_id in (world.event.pk, world.event.pk + 100):
        response = client.get(reverse("streaming:event_detail", args=[event_id]))
        assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))


def test_heartbeats_are_rate_limited(client, live_world):
    signed_in(client, live_world.operator_a)
    url = reverse("streaming:venue_heartbeat", args=[live_world.event.pk, live_world.venue_a.pk])
    codes = [
        client.post(url, json.dumps({"health": "playing"}), content_type="application/json").status_code
        for _ in range(32)
    ]
    assert codes[:30] == [200] * 30 and codes[30:] == [429, 429]


def test_viewer_page_is_404_for_the_uninvited(client, world):
    signed_in(client, world.member_b)
    assert client.get(world.event.get_absolute_url()).status_code == 404
    assert client.get(reverse("streaming:event_detail", args=[world.event.pk + 100])).status_code == 404


def test_viewer_page_of_a_live_event_plays_what_the_video_side_reports(client, live_world):
    import re

    from streaming.video.packaging.paths import token_valid

    signed_in(client, live_world.operator_a)
    response = client.get(live_world.event.get_absolute_url())
    assert response.status_code == 200
    # The signed master playlist of this event, as streaming.video.selectors.playback_url makes it.
    match = re.search(r'data-playback-url="/live-media/(\d+)/([^/"]+)/master\.m3u8"', response.text)
    assert match and int(match.group(1)) == live_world.event.pk and token_valid(live_world.event.pk, match.group(2))


def test_pages_say_so_when_the_video_side_is_switched_off(client, live_world, settings):
    settings.LIVE_VIDEO_ENABLED = False
    signed_in(client, live_world.organiser)
    viewer = client.get(live_world.event.get_absolute_url())
    assert "本平台暂未开通视频" in viewer.text and 'data-playback-url=""' in viewer.text
    console = client.get(reverse("streaming:host_console", args=[live_world.event.pk]))
    assert console.status_code == 200 and "本平台暂未开通视频" in console.text


def _break_video_selectors(monkeypatch) -> None:
    """As if streaming/video/selectors.py failed to import (a typo, a missing dependency)."""
    import sys

    import streaming.video

    monkeypatch.delattr(streaming.video, "selectors", raising=False)
    monkeypatch.setitem(sys.modules, "streaming.video.selectors", None)


def test_a_broken_video_module_stops_the_start_instead_of_saying_not_enabled(monkeypatch):
    from django.apps import apps

    _break_video_selectors(monkeypatch)
    with pytest.raises(ImportError):
        apps.get_app_config("streaming").ready()


def test_a_broken_video_module_fails_the_page_loudly(client, live_world, monkeypatch):
    from streaming import integrations

    _break_video_selectors(monkeypatch)
    with pytest.raises(ImportError):
        integrations.playback_url(live_world.event)


def test_live_video_enabled_0_starts_the_site_without_the_video_part():
    """A real start with LIVE_VIDEO_ENABLED=0: no app, no studio URL, no publish socket, no media server."""
    import os
    import subprocess
    import sys

    from tests.support import REPO_ROOT

    probe = (
        "import django, json; django.setup()\n"
        "from django.apps import apps; from django.urls import resolve\n"
        "import config.asgi, config.routing\n"
        "studio = resolve('/live-video/1/studio/').view_name == 'streaming_video:studio'\n"
        "print(json.dumps({'installed': apps.is_installed('streaming.video'), 'studio': studio,\n"
        "  'sockets': [str(p.pattern) for p in config.routing.websocket_urlpatterns],\n"
        "  'http': type(config.asgi.http_app).__name__}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "LIVE_VIDEO_ENABLED": "0"}
    env["DATABASE_URL"] = "sqlite:///:memory:"  # config.asgi checks the database is reachable
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    started = json.loads(done.stdout.strip().splitlines()[-1])
    assert started["installed"] is False and started["studio"] is False
    assert not [p for p in started["sockets"] if "publish" in p]
    assert started["http"] == "ASGIHandler"  # Django alone: no /live-media/ server in front


def test_video_switched_off_is_not_imported_at_start(monkeypatch, settings):
    from django.apps import apps

    settings.LIVE_VIDEO_ENABLED = False
    _break_video_selectors(monkeypatch)
    apps.get_app_config("streaming").ready()  # the part is off: its modules are not needed


# --- The venue's big screen -------------------------------------------------------------------------


def test_venue_screen_only_for_its_operator_and_the_hosts(client, world):
    url = reverse("streaming:venue_screen", args=[world.event.pk, world.venue_a.pk])
    assert client.get(url).status_code == 302  # sign in first
    signed_in(client, world.operator_b)
    assert client.get(url).status_code == 404
    client.logout()
    signed_in(client, world.operator_a)
    response = client.get(url)
    assert response.status_code == 200 and world.venue_a.name in response.text
    # A venue that is not invited has no screen for this event, even for its own operator.
    client.logout()
    signed_in(client, world.operator_b)
    assert client.get(reverse("streaming:venue_screen", args=[world.event.pk, world.venue_b.pk])).status_code == 404
    client.logout()
    signed_in(client, world.organiser)
    assert client.get(url).status_code == 200


def test_check_in_with_headcount_members_and_photo(client, live_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = live_world
    signed_in(client, w.operator_a)
    url = reverse("streaming:venue_check_in", args=[w.event.pk, w.venue_a.pk])
    response = client.post(
        url, {"headcount": 23, "members": [w.member_a.pk], "photo": png_upload()}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["headcount"] == 23
    row = VenueAttendance.objects.get(event=w.event, venue=w.venue_a)
    assert row.headcount == 23 and row.checked_in_by == w.operator_a and list(row.members.all()) == [w.member_a]
    # Stored as a re-encoded JPEG, whatever was uploaded.
    assert row.photo.name.endswith(".jpg")
    with Image.open(row.photo.path) as stored:
        assert stored.format == "JPEG"
    assert MemberAttendance.objects.get(event=w.event, user=w.member_a).venue == w.venue_a
    # The photo is served to the host, not to others.
    photo_url = reverse("streaming:venue_photo", args=[w.event.pk, row.pk])
    assert client.get(photo_url).status_code == 200
    client.logout()
    signed_in(client, w.member_a)
    assert client.get(photo_url).status_code == 404


@pytest.mark.parametrize(
    "photo, message",
    [
        (("room.jpg", b"<html>not a picture</html>", "image/jpeg"), "JPEG"),
        (("room.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "image/png"), "damaged"),
    ],
    ids=["not-an-image", "truncated-png"],
)
def test_check_in_rejects_files_that_are_not_pictures(client, live_world, photo, message, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    signed_in(client, live_world.operator_a)
    client.cookies["django_language"] = "en"
    url = reverse("streaming:venue_check_in", args=[live_world.event.pk, live_world.venue_a.pk])
    response = client.post(url, {"headcount": 5, "photo": SimpleUploadedFile(*photo)}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not VenueAttendance.objects.filter(event=live_world.event).exists()


def test_check_in_rejects_a_photo_with_too_many_pixels(client, live_world, settings, tmp_path, monkeypatch):
    from streaming.services import venues

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(venues, "PHOTO_MAX_PIXELS", 1000)
    signed_in(client, live_world.operator_a)
    url = reverse("streaming:venue_check_in", args=[live_world.event.pk, live_world.venue_a.pk])
    response = client.post(url, {"headcount": 5, "photo": png_upload(size=(50, 50))}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "像素" in response.json()["error"]


def test_check_in_form_errors_are_in_chinese(client, live_world):
    signed_in(client, live_world.operator_a)
    url = reverse("streaming:venue_check_in", args=[live_world.event.pk, live_world.venue_a.pk])
    response = client.post(url, {"headcount": 0, "members": [live_world.member_b.pk]}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error), error


def test_venue_heartbeat_reports_state_and_marks_online(client, live_world):
    signed_in(client, live_world.operator_a)
    url = reverse("streaming:venue_heartbeat", args=[live_world.event.pk, live_world.venue_a.pk])
    response = client.post(url, json.dumps({"health": "buffering"}), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["state"] == "live"
    row = VenueAttendance.objects.get(event=live_world.event, venue=live_world.venue_a)
    assert row.health == "buffering" and row.last_heartbeat_at is not None
    bad = client.post(url, json.dumps({"health": "dancing"}), content_type="application/json")
    assert bad.status_code == 400


def test_heartbeats_answer_the_address_the_screen_already_plays(client, live_world, monkeypatch):
    """Every heartbeat returns the playback address; seconds apart it must be the page's own (a new one
    made screens reload the player and freeze), and the same for every viewer (a proxy can cache)."""
    from streaming.video.packaging import paths

    clock = [1_800_000_000 - 1_800_000_000 % paths.PLAYBACK_TOKEN_STEP + 5]  # just after a step boundary
    monkeypatch.setattr(paths.time, "time", lambda: clock[0])
    signed_in(client, live_world.operator_a)
    page = client.get(reverse("streaming:venue_screen", args=[live_world.event.pk, live_world.venue_a.pk]))
    shown = page.context["playback_url"]
    url = reverse("streaming:venue_heartbeat", args=[live_world.event.pk, live_world.venue_a.pk])
    answers = []
    for seconds_later in (1, 10, 20, 600):
        clock[0] += seconds_later
        response = client.post(url, json.dumps({"health": "playing"}), content_type="application/json")
        answers.append(response.json()["playback_url"])
    assert answers == [shown] * 4
    signed_in(client, live_world.organiser)  # another person, another page: the same address
    assert client.get(live_world.event.get_absolute_url()).context["playback_url"] == shown


# --- The host console -----------------------------------------------------------------------------


def test_host_console_for_the_organiser_only(client, world, django_assert_max_num_queries):
    url = reverse("streaming:host_console", args=[world.event.pk])
    signed_in(client, world.operator_a)
    assert client.get(url).status_code == 404
    client.logout()
    signed_in(client, world.organiser)
    with django_assert_max_num_queries(22):
        response = client.get(url)
    assert response.status_code == 200
    assert world.venue_a.name in response.text and world.event.stream_key in response.text


def test_host_starts_announces_and_ends(client, world):
    signed_in(client, world.organiser)
    start = reverse("streaming:host_start", args=[world.event.pk])
    assert client.post(start).status_code == 302
    world.event.refresh_from_db()
    assert world.event.state == LiveEvent.State.LIVE and world.event.started_at

    again = client.post(start, HTTP_ACCEPT="application/json")
    assert again.status_code == 400 and again.json()["ok"] is False

    announce = reverse("streaming:host_announce", args=[world.event.pk])
    assert client.post(announce, {"text": "请各分会场调试音量"}, HTTP_ACCEPT="application/json").json() == {"ok": True}
    assert Announcement.objects.get(event=world.event).text == "请各分会场调试音量"

    question = chat.question_ask(event=world.event, author=world.operator_a, text="党费怎么交？", venue=world.venue_a)
    answering = reverse("streaming:host_question_answering", args=[world.event.pk, question.pk])
    assert client.post(answering, HTTP_ACCEPT="application/json").json() == {"ok": True}
    assert Question.objects.get(pk=question.pk).state == Question.State.ANSWERING

    roster = client.get(reverse("streaming:host_roster", args=[world.event.pk])).json()
    assert [v["name"] for v in roster["venues"]] == [world.main_venue.name, world.venue_a.name]

    assert client.post(reverse("streaming:host_end", args=[world.event.pk])).status_code == 302
    world.event.refresh_from_db()
    assert world.event.state == LiveEvent.State.ENDED


def test_others_cannot_use_host_actions(client, world):
    signed_in(client, world.operator_a)
    assert client.post(reverse("streaming:host_start", args=[world.event.pk])).status_code == 404
    world.event.refresh_from_db()
    assert world.event.state == LiveEvent.State.SCHEDULED


def test_town_staff_schedules_an_event_and_invites_venues_of_their_town(client, world):
    signed_in(client, world.organiser)
    response = client.post(
        reverse("streaming:event_create"),
        {
            "title": "  基层治理专题  党课 ",
            "scheduled_start": "2099-05-01T09:00",
            "scheduled_end": "2099-05-01T11:00",
            "audience": "invited",
            "main_venue": world.main_venue.pk,
            "venues": [world.venue_a.pk],
        },
    )
    assert response.status_code == 302
    event = LiveEvent.objects.get(title="基层治理专题 党课")
    assert list(event.invited_venues.all()) == [world.venue_a]
    # Venue B (another town) is not offered, and a forged post is refused.
    page = client.get(reverse("streaming:event_create"))
    assert world.venue_b.name not in page.text
    forged = client.post(
        reverse("streaming:event_create"),
        {
            "title": "越权",
            "scheduled_start": "2099-05-01T09:00",
            "scheduled_end": "2099-05-01T11:00",
            "audience": "invited",
            "venues": [world.venue_b.pk],
        },
    )
    assert forged.status_code == 200 and not LiveEvent.objects.filter(title="越权").exists()


def test_members_cannot_schedule_events(client, world):
    signed_in(client, world.member_a)
    assert client.get(reverse("streaming:event_create")).status_code == 404


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_visible_events_and_my_venues(client, world):
    signed_in(client, world.operator_a)
    listing = client.get("/api/live/events").json()
    assert [e["id"] for e in listing["items"]] == [world.event.pk]
    detail = client.get(f"/api/live/events/{world.event.pk}").json()
    assert detail["venues"][0]["name"] == world.venue_a.name and detail["totals"]["participants"] == 0
    mine = client.get("/api/live/my-venues").json()
    assert mine[0]["venue"]["id"] == world.venue_a.pk
    client.logout()
    signed_in(client, world.member_b)
    assert client.get(f"/api/live/events/{world.event.pk}").status_code == 404
    assert client.get("/api/live/events").json()["items"] == []


def test_host_changes_a_scheduled_event_but_not_a_live_one(client, world):
    signed_in(client, world.organiser)
    url = reverse("streaming:event_edit", args=[world.event.pk])
    page = client.get(url)
    assert page.status_code == 200 and world.event.title in page.text
    data = {
        "title": "改期：基层党建专题党课",
        "scheduled_start": "2099-06-01T14:00",
        "scheduled_end": "2099-06-01T16:00",
        "audience": "members",
        "main_venue": world.main_venue.pk,
        "venues": [world.venue_a.pk],
    }
    assert client.post(url, data).status_code == 302
    world.event.refresh_from_db()
    assert world.event.title == "改期：基层党建专题党课" and world.event.audience == "members"
    client.post(reverse("streaming:host_start", args=[world.event.pk]))
    refused = client.post(url, {**data, "title": "再改一次"})
    assert refused.status_code == 200 and "直播中" in refused.text
    world.event.refresh_from_db()
    assert world.event.title == "改期：基层党建专题党课"


def test_site_search_finds_events_the_searcher_may_watch(world):
    from django.contrib.auth.models import AnonymousUser

    from core.search import search_providers

    public = make_event(organiser=world.organiser, audience=LiveEvent.Audience.PUBLIC, title="乡村振兴专题辅导")
    search = search_providers()["live"]
    assert [h.url for h in search(user=AnonymousUser(), query="振兴", limit=10)] == [public.get_absolute_url()]
    # The invited-only event: found by its operator, not by an uninvited member.
    assert {h.title for h in search(user=world.operator_a, query="四中全会", limit=10)} == {world.event.title}
    assert search(user=world.member_b, query="四中全会", limit=10) == []
    assert search(user=world.operator_a, query="  ", limit=10) == []


def test_portal_live_strip_shows_live_events_with_venues_online(client, world):
    from streaming.services.venues import venue_heartbeat

    live = make_event(
        organiser=world.organiser,
        venues=[world.venue_a],
        audience=LiveEvent.Audience.PUBLIC,
        state=LiveEvent.State.LIVE,
        title="正在直播的公开党课",
    )
    venue_heartbeat(event=live, venue=world.venue_a, by=world.operator_a, health="playing")
    page = client.get("/").text
    assert 'class="live-now"' in page and "正在直播的公开党课" in page and live.get_absolute_url() in page
    assert "1 个会场在线" in page


def test_event_page_links_the_replay_once_the_video_side_published_it(client, world):
    from wagtail.models import Page

    from streaming.video.models import LiveStream

    event = make_event(organiser=world.organiser, audience=LiveEvent.Audience.PUBLIC, state=LiveEvent.State.ENDED)
    lesson = Page.objects.live().filter(depth=2).first()  # any live page stands in for the replay lesson
    LiveStream.objects.create(event=event, replay_page_id=lesson.pk, recording=LiveStream.Recording.PUBLISHED)
    page = client.get(event.get_absolute_url()).text
    # Not until the state says so: the link waits hidden for the push that announces the replay.
    assert 'data-replay-link href="#" hidden' in page and f'data-replay-link href="{lesson.url}"' not in page
    LiveEvent.objects.filter(pk=event.pk).update(state=LiveEvent.State.REPLAY_READY)
    page = client.get(event.get_absolute_url()).text
    assert f'data-replay-link href="{lesson.url}">' in page and "观看回放" in page


def test_live_list_links_the_host_console_for_the_host_only(client):
    from streaming.tests.factories import make_world as world_of

    w = world_of(state=LiveEvent.State.SCHEDULED)
    url = reverse("streaming:host_console", args=[w.event.pk])
    client.force_login(w.organiser)
    assert url in client.get(reverse("streaming:event_list")).content.decode()
    client.force_login(w.member_a)
    assert url not in client.get(reverse("streaming:event_list")).content.decode()


def test_staff_running_many_venues_get_a_folded_list_not_a_wall_of_buttons(client):
    from streaming.tests.factories import make_venue
    from streaming.tests.factories import make_world as world_of

    w = world_of(state=LiveEvent.State.SCHEDULED)
    extra = [make_venue(party_org=w.branch_b, name=f"第{i}分会场") for i in range(5)]
    w.event.invitations.bulk_create([type(w.event.invitations.first())(event=w.event, venue=v) for v in extra])
    client.force_login(w.ops)
    html = client.get(reverse("streaming:event_detail", args=[w.event.pk])).content.decode()
    header = html[html.index("<h1>") :]
    header = header[: header.index("</header>")]  # the event's header, above the player
    assert '<details class="venue-screens">' in header
    assert f'class="btn" href="/live/{w.event.pk}/venue/' not in header
    assert "个分会场的大屏" in header
