"""Pages, signed media, podcast feeds, the learning record and the progress API, through the test client."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from core.tests.factories import DEFAULT_PASSWORD
from learning.models import FeedToken, LessonKind, LessonProgress
from learning.services.courses import lesson_create
from learning.services.progress import progress_ticket
from learning.signing import media_expiry, media_url

pytestmark = pytest.mark.django_db


def login(world, who: str, **kwargs) -> Client:
    client = Client(**kwargs)
    assert client.login(username=world.people[who].username, password=DEFAULT_PASSWORD)
    return client


def test_course_index_filters_by_topic_and_finds_a_word_inside_a_lesson_title(world, django_assert_max_num_queries):
    client = login(world, "member_a1")
    with django_assert_max_num_queries(14):
        page = client.get("/courses/")
    assert page.status_code == 200 and "党章党规逐条学" in page.content.decode()
    history = client.get("/courses/?topic=party_history").content.decode()
    assert "党史学习公开课" in history and "党章党规逐条学" not in history
    # "公开课" is in a course title; "第一讲" only in the lessons' titles; both find their course.
    assert "党史学习公开课" in client.get("/courses/?q=公开课").content.decode()
    found = client.get("/courses/?q=振兴实务").content.decode()
    assert "甲镇乡村振兴实务" in found and "党章党规逐条学" not in found
    assert "没有符合条件的课程" in client.get("/courses/?q=不存在的词语").content.decode()


def test_course_page_shows_the_outline_and_the_members_progress(world, django_assert_max_num_queries):
    member = world.people["member_a1"]
    course = world.courses["members"]
    lesson_create(course=course, title="第二讲 党员的权利", kind=LessonKind.VIDEO, media=world.asset)
    ticket = progress_ticket(user=member, lesson=world.lessons["members"], issued_at=time.time() - 600)
    from learning.services.progress import progress_report

    progress_report(user=member, lesson=world.lessons["members"], ticket=ticket, intervals=[[0, 120]])
    client = login(world, "member_a1")
    with django_assert_max_num_queries(16):
        html = client.get(course.url).content.decode()
    assert 'aria-valuenow="50"' in html  # one of two lessons completed
    assert "第二讲 党员的权利" in html


def test_lesson_page_hands_the_player_signed_urls_and_a_ticket(world, django_assert_max_num_queries):
    client = login(world, "member_a1")
    lesson = world.lessons["members"]
    # Session, user, site and Wagtail's routing (a query per tree level) take twelve; the lesson
    # itself (course, memberships, organisations, progress, neighbours, media) and the header the rest.
    with django_assert_max_num_queries(20):
        response = client.get(lesson.url)
    html = response.content.decode()
    config = response.context["player_config"]
    assert config["master"].startswith(f"/learning/media/{world.asset.storage_key}/")
    assert config["master"].endswith("/master.m3u8") and config["audio"].endswith("/audio/index.m3u8")
    assert config["ticket"] and config["progressUrl"] == f"/api/learning/lessons/{lesson.pk}/progress"
    assert 'id="player-config"' in html and "hls.js-1.7.4/hls.min.js" in html
    master = client.get(config["master"])
    assert master.status_code == 200 and master["Content-Type"] == "application/vnd.apple.mpegurl"


def test_the_media_view_checks_the_signature_without_a_query(world, rf, django_assert_num_queries):
    from learning.views import media_file

    key = world.asset.storage_key
    client = Client()  # anonymous: the URL itself is the permission
    url = media_url(key, "master.m3u8")
    _, _, _, _, expires, signature, path = url.split("/", 6)
    with django_assert_num_queries(0):  # the view itself; middleware (sessions) is not counted here
        direct = media_file(rf.get(url), key=key, expires=int(expires), signature=signature, path=path)
    assert direct.status_code == 200
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    assert response["Cache-Control"].startswith("private, max-age=")
    assert b"".join(response.streaming_content).startswith(b"#EXTM3U")
    expires = int(url.split("/")[4])
    signature = url.split("/")[5]
    assert client.get(url.replace(signature, "0" * 32)).status_code == 404  # forged
    assert client.get(media_url(key, "master.m3u8", expires=media_expiry(time.time() - 8 * 3600))).status_code == 404
    assert client.get(url.replace(key, "f" * 32)).status_code == 404  # the signature covers the key
    for bad in ("../../../settings.py", "master.m3u8.bak", "x/.hidden.ts", "master.exe"):
        assert client.get(f"/learning/media/{key}/{expires}/{signature}/{bad}").status_code == 404
    assert client.get(media_url(key, "missing/index.m3u8")).status_code == 404


def test_audio_downloads_serve_byte_ranges(world):
    client = Client()
    url = media_url(world.asset.storage_key, "audio.m4a")
    whole = client.get(url + "?download=第一讲")
    assert whole.status_code == 200 and whole["Content-Type"] == "audio/mp4" and whole["Accept-Ranges"] == "bytes"
    assert "attachment" in whole["Content-Disposition"] and "filename*=UTF-8''" in whole["Content-Disposition"]
    odd = client.get(url, {"download": 'a"b\r\nSet-Cookie: x=1/../c'})["Content-Disposition"]
    assert odd == "attachment; filename=\"abSet-Cookie x1..c.m4a\"; filename*=UTF-8''abSet-Cookie%20x1..c.m4a"
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == "bytes 100-199/4096"
    assert b"".join(part.streaming_content) == (bytes(range(256)) * 16)[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert tail["Content-Range"] == "bytes 4086-4095/4096"
    assert client.get(url, HTTP_RANGE="bytes=5000-").status_code == 416


def test_behind_nginx_media_are_handed_to_the_web_server_after_the_checks(world, settings):
    """With MEDIA_ACCEL_REDIRECT the view checks the signature and the file, then names the file for
    nginx's internal location instead of sending it (tests/e2e/test_proxy_nginx.py runs nginx)."""
    from django.core.files.storage import default_storage

    settings.MEDIA_ACCEL_REDIRECT = "/_protected/media/"
    client = Client()
    key = world.asset.storage_key
    url = media_url(key, "audio.m4a")
    response = client.get(url + "?download=第一讲", HTTP_RANGE="bytes=100-199")
    assert response.status_code == 200 and response.content == b""
    stored = f"learning/media/{key}/audio.m4a"
    assert Path(default_storage.path(stored)).is_file()
    assert response["X-Accel-Redirect"] == f"/_protected/media/{stored}"
    assert response["Content-Type"] == "audio/mp4" and response["Cache-Control"].startswith("private, max-age=")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    # Refusals stay Django's: nothing is handed over for a forged address or a missing file.
    forged = client.get(url.replace(url.split("/")[5], "0" * 32))
    assert forged.status_code == 404 and "X-Accel-Redirect" not in forged
    missing = client.get(media_url(key, "missing/index.m3u8"))
    assert missing.status_code == 404 and "X-Accel-Redirect" not in missing


def _feed_items(response) -> list[ET.Element]:
    assert response.status_code == 200 and response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(b"".join(response.streaming_content) if response.streaming else response.content)
    assert root.tag == "rss" and root.find("channel/title") is not None
    return root.findall("channel/item")


def test_public_course_podcast_feed(world):
    course = world.courses["public"]
    items = _feed_items(Client().get(reverse("learning:podcast_public", args=[course.pk])))
    assert [i.findtext("title") for i in items] == [world.lessons["public"].title]
    enclosure = items[0].find("enclosure")
    assert enclosure.get("type") == "audio/mp4" and enclosure.get("length") == "4096"
    assert items[0].findtext("{http://www.itunes.com/dtds/podcast-1.0.dtd}duration") == "120"
    audio = Client().get(enclosure.get("url").replace("http://testserver", ""))
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/mp4"
    # A members' course has no public feed, and its audio no public URL.
    assert Client().get(reverse("learning:podcast_public", args=[world.courses["members"].pk])).status_code == 404
    lesson = world.lessons["members"]
    assert Client().get(reverse("learning:podcast_public_audio", args=[lesson.pk])).status_code == 404


def test_private_feed_urls_are_per_member_and_can_be_regenerated_and_revoked(world):
    member = login(world, "member_a1")
    course = world.courses["branch_a1"]
    page = member.get(reverse("learning:podcasts"))
    assert page.status_code == 200 and not page.context["courses"]
    member.post(reverse("learning:podcasts"), {"action": "enable"})
    courses = dict(member.get(reverse("learning:podcasts")).context["courses"])
    url = courses[course.specific if hasattr(course, "specific") else course].replace("http://testserver", "")
    items = _feed_items(Client().get(url))  # a podcast app: no session, only the secret URL
    enclosure = items[0].find("enclosure").get("url").replace("http://testserver", "")
    assert Client().get(enclosure).status_code == 200
    # The course page shows the member their own address.
    assert url in member.get(course.url).content.decode()
    # Someone outside the branch who guesses the course id gets nothing with their own key.
    outsider = login(world, "member_b")
    outsider.post(reverse("learning:podcasts"), {"action": "enable"})
    token = FeedToken.objects.get(user=world.people["member_b"])
    from learning.signing import feed_key

    their_key = feed_key(world.people["member_b"].pk, token.generation)
    assert Client().get(reverse("learning:podcast_private", args=[their_key, course.pk])).status_code == 404
    # Regenerating ends the old URLs at once; revoking ends them all.
    member.post(reverse("learning:podcasts"), {"action": "regenerate"})
    assert Client().get(url).status_code == 404 and Client().get(enclosure).status_code == 404
    new_url = dict(member.get(reverse("learning:podcasts")).context["courses"])[course].replace("http://testserver", "")
    assert new_url != url and Client().get(new_url).status_code == 200
    member.post(reverse("learning:podcasts"), {"action": "revoke"})
    assert Client().get(new_url).status_code == 404
    assert Client().get(re.sub(r"/\d+-", "/abc-", new_url)).status_code == 404


def test_residents_have_no_podcast_page(world):
    assert login(world, "resident").get(reverse("learning:podcasts")).status_code == 404


def test_progress_api_needs_the_session_and_its_csrf_token(world):
    lesson = world.lessons["members"]
    member = world.people["member_a1"]
    url = f"/api/learning/lessons/{lesson.pk}/progress"
    ticket = progress_ticket(user=member, lesson=lesson, issued_at=time.time() - 60)
    body = {"ticket": ticket, "intervals": [[0, 30]], "position": 30}
    assert Client().post(url, body, content_type="application/json").status_code == 401
    client = login(world, "member_a1", enforce_csrf_checks=True)
    assert client.post(url, body, content_type="application/json").status_code == 403  # no CSRF token
    client.get(lesson.url)  # sets the CSRF cookie, as the lesson page does
    token = client.cookies["csrftoken"].value
    response = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "lesson_id": lesson.pk,
        "watched": 30.0,
        "duration": 120.0,
        "position": 30.0,
        "completed": False,
    }
    # A refused report says why, in the member's language, with a code for the player.
    response = client.post(
        url,
        {**body, "intervals": [[30, 120]]},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 400 and response.json()["code"] == "over_budget"
    assert "播放时长" in response.json()["detail"]
    # Someone who may not see the lesson cannot report on it either.
    outsider = login(world, "member_b")
    other = world.lessons["branch_a1"]
    assert (
        outsider.post(f"/api/learning/lessons/{other.pk}/progress", body, content_type="application/json").status_code
        == 404
    )


def test_progress_reports_are_rate_limited(world):
    from django.core.cache import cache

    cache.clear()
    lesson = world.lessons["members"]
    member = world.people["member_a1"]
    client = login(world, "member_a1")
    url = f"/api/learning/lessons/{lesson.pk}/progress"
    ticket = progress_ticket(user=member, lesson=lesson, issued_at=time.time() - 60)
    codes = [
        client.post(
            url, {"ticket": ticket, "intervals": [], "position": 1}, content_type="application/json"
        ).status_code
        for _ in range(61)
    ]
    assert codes[:60] == [200] * 60 and codes[60] == 429
    assert client.post(url, {"ticket": ticket, "intervals": []}, content_type="application/json").json()["code"] == (
        "rate_limited"
    )


def test_link_out_is_recorded_then_redirects(world):
    member = world.people["member_a1"]
    link = lesson_create(
        course=world.courses["members"],
        title="学习强国专题",
        kind=LessonKind.LINK,
        external_url="https://www.xuexi.cn/",
        study_minutes=20,
    )
    client = login(world, "member_a1")
    assert client.get(reverse("learning:lesson_link_open", args=[link.pk])).status_code == 405
    response = client.post(reverse("learning:lesson_link_open", args=[link.pk]))
    assert response.status_code == 302 and response["Location"] == "https://www.xuexi.cn/"
    assert LessonProgress.objects.get(user=member, lesson=link).completed_at is not None
    assert (
        login(world, "member_b")
        .post(
            reverse(
                "learning:lesson_link_open",
                args=[
                    lesson_create(
                        course=world.courses["branch_a1"],
                        title="支部专题链接",
                        kind=LessonKind.LINK,
                        external_url="https://www.12371.cn/",
                    ).pk
                ],
            )
        )
        .status_code
        == 404
    )


def test_my_record_page_and_api(world):
    member = world.people["member_a1"]
    lesson = world.lessons["public"]
    from learning.services.progress import progress_report

    progress_report(
        user=member,
        lesson=lesson,
        ticket=progress_ticket(user=member, lesson=lesson, issued_at=time.time() - 3600),
        intervals=[[0, 120]],
    )
    client = login(world, "member_a1")
    html = client.get(reverse("learning:record")).content.decode()
    assert "党史学习公开课" in html and "2 分钟" in html
    data = client.get("/api/learning/me/record").json()
    assert data["completed"] == 1 and data["courses"][0]["title"] == "党史学习公开课" and len(data["months"]) == 12
    assert Client().get("/api/learning/me/record").status_code == 401
    assert Client().get(reverse("learning:record")).status_code == 302


def test_organisers_see_totals_never_names(world):
    member = world.people["member_a1"]
    lesson = world.lessons["branch_a1"]
    from learning.services.progress import progress_report

    progress_report(
        user=member,
        lesson=lesson,
        ticket=progress_ticket(user=member, lesson=lesson, issued_at=time.time() - 3600),
        intervals=[[0, 120]],
    )
    client = login(world, "town_a")
    overview = client.get(reverse("learning:org_record")).content.decode()
    detail = client.get(reverse("learning:org_record_detail", args=[world.orgs["branch_a1"].pk])).content.decode()
    assert "甲村第一党支部" in overview
    assert "甲村第一党支部专题党课" in detail and "100%" in detail  # its one member completed it
    for page in (overview, detail):
        assert member.name not in page and member.username not in page


def test_the_api_schema_lists_the_classroom(world):
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert {
        "/api/learning/courses",
        "/api/learning/courses/{course_id}",
        "/api/learning/lessons/{lesson_id}",
        "/api/learning/lessons/{lesson_id}/progress",
        "/api/learning/lessons/{lesson_id}/done",
        "/api/learning/me/record",
    } <= set(paths)
    assert "post" in paths["/api/learning/lessons/{lesson_id}/progress"]
