"""The anonymous page cache: hits cost one query, a publish shows at once, nobody shares a CSRF
token, signed-in readers and unknown query strings are never served from it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from cms.cache import _seconds_to_live
from cms.models import Announcement
from cms.tests.factories import make_news
from core.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_second_anonymous_visit_is_a_hit_without_a_query(django_assert_num_queries, monkeypatch):
    from cms import cache as page_cache

    monkeypatch.setattr(page_cache, "GENERATION_RECHECK", 3600.0)  # however slow this machine is
    make_news("第一条新闻")
    assert Client().get("/news/").get("X-Page-Cache") is None
    with django_assert_num_queries(0):  # the generation was read for the first visit
        response = Client().get("/news/")
    assert response.get("X-Page-Cache") == "hit"
    assert "第一条新闻" in response.content.decode()


def test_publishing_shows_at_once(django_capture_on_commit_callbacks):
    Client().get("/news/")
    assert Client().get("/news/").get("X-Page-Cache") == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        make_news("刚刚发布的新闻")
    response = Client().get("/news/")
    assert response.get("X-Page-Cache") is None
    assert "刚刚发布的新闻" in response.content.decode()


def test_unpublishing_removes_at_once(django_capture_on_commit_callbacks):
    page = make_news("将要撤下的新闻")
    Client().get("/news/")
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert "将要撤下的新闻" not in Client().get("/news/").content.decode()


def test_each_reader_gets_their_own_working_csrf_token():
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get("/")
    hit = second.get("/")
    assert hit.get("X-Page-Cache") == "hit"
    token = TOKEN.search(hit.content.decode()).group(1)
    assert "placeholder" not in token
    assert token != TOKEN.search(first.get("/").content.decode()).group(1)
    # The token on the cached page works with this reader's own cookie (the language switch).
    response = second.post("/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_signed_in_readers_are_never_served_cached_pages():
    user = UserFactory(name="王志强")
    Client().get("/")
    client = Client()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    response = client.get("/")
    assert response.get("X-Page-Cache") is None
    assert "王志强" in response.content.decode()


def test_unknown_query_strings_are_not_cached():
    Client().get("/news/", {"utm_source": "x"})
    assert Client().get("/news/", {"utm_source": "x"}).get("X-Page-Cache") is None
    Client().get("/news/", {"page": "1"})
    assert Client().get("/news/", {"page": "1"}).get("X-Page-Cache") == "hit"


def test_languages_are_cached_apart():
    Client().get("/")
    client = Client()
    client.cookies["django_language"] = "en"
    english = client.get("/")
    assert english.get("X-Page-Cache") is None
    assert 'lang="en"' in english.content.decode()


def test_pending_messages_bypass_the_cache():
    Client().get("/")
    client = Client()
    client.cookies["messages"] = "x"
    assert client.get("/").get("X-Page-Cache") is None


def test_api_lists_are_cached_too():
    make_news("接口新闻")
    Client().get("/api/news")
    assert Client().get("/api/news").get("X-Page-Cache") == "hit"


def test_cached_pages_expire_when_an_announcement_starts_or_ends(settings):
    now = timezone.now()
    assert _seconds_to_live() == settings.CMS_PAGE_CACHE_SECONDS
    Announcement.objects.create(title="即将开始", starts_at=now + datetime.timedelta(seconds=20))
    assert 0 < _seconds_to_live() <= 20
    Announcement.objects.all().delete()
    Announcement.objects.create(
        title="即将结束", starts_at=now - datetime.timedelta(days=1), ends_at=now + datetime.timedelta(seconds=9)
    )
    assert 0 < _seconds_to_live() <= 9


def test_search_pages_are_cached_briefly_and_follow_publishing(django_capture_on_commit_callbacks):
    Client().get("/search/", {"q": "振兴"})
    assert Client().get("/search/", {"q": "振兴"}).get("X-Page-Cache") == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        make_news("推进乡村振兴工作会议召开")
    assert "推进乡村<mark>振兴</mark>工作会议召开" in Client().get("/search/", {"q": "振兴"}).content.decode()


def test_other_processes_see_a_publish_within_the_recheck_interval(monkeypatch):
    from cms import cache as page_cache
    from cms.models import PageCacheGeneration

    Client().get("/news/")
    assert Client().get("/news/").get("X-Page-Cache") == "hit"
    # Another worker process publishes: only the database counter moves.
    PageCacheGeneration.objects.filter(name=page_cache.GENERATION_NAME).update(value=12345)
    make_news("另一个进程发布的新闻")
    read_at, value = page_cache._memo
    monkeypatch.setattr(page_cache, "_memo", (read_at - page_cache.GENERATION_RECHECK, value))
    response = Client().get("/news/")
    assert response.get("X-Page-Cache") is None and "另一个进程发布的新闻" in response.content.decode()
