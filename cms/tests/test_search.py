"""Chinese site search: a word inside a longer title is found, results are escaped, paginated,
and other apps' providers join the results. Runs on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from cms.search import cms_search_pages, site_search
from cms.tests.factories import make_guide, make_news, make_service, make_update
from core.search import SearchHit, register_search_provider, search_providers
from core.tests.factories import make_department

pytestmark = pytest.mark.django_db

TITLE = "推进乡村振兴工作会议召开"


def titles(pages) -> list[str]:
    return [p.title for p in pages]


@pytest.fixture
def content(tree):
    news = make_news(TITLE, summary="会议部署全年重点任务")
    other = make_news("全市安全生产形势分析会召开", body_html="<p>强调压实安全责任</p>")
    guide = make_guide("党员组织关系转接", summary="组织关系转接的流程")
    service = make_service("东港市法律援助中心", summary="免费提供法律咨询")
    update = make_update(make_department(tree["city"], "农业农村局"), "农业农村局调研村集体经济发展")
    return {"news": news, "other": other, "guide": guide, "service": service, "update": update}


def test_the_search_backend_is_the_database_one_of_this_run():
    from wagtail.search.backends import get_search_backend

    backend = type(get_search_backend()).__name__
    assert backend == {"sqlite": "SQLiteSearchBackend", "postgresql": "PostgresSearchBackend"}[connection.vendor]


@pytest.mark.parametrize("query", ["乡村振兴", "振兴", "乡村", "振兴工作会议", "推进乡村振兴工作会议召开"])
def test_a_word_inside_a_longer_title_is_found(content, query):
    assert titles(cms_search_pages(query=query)) == [TITLE]


@pytest.mark.parametrize("query", ["乡村教育", "振兴安全", "党费"])
def test_words_that_are_not_there_together_find_nothing(content, query):
    assert cms_search_pages(query=query) == []


def test_body_text_guides_services_and_updates_are_searchable(content):
    assert titles(cms_search_pages(query="安全责任")) == ["全市安全生产形势分析会召开"]
    assert titles(cms_search_pages(query="关系转接")) == ["党员组织关系转接"]
    assert titles(cms_search_pages(query="法律咨询")) == ["东港市法律援助中心"]
    # An update is also found by its department's name.
    assert titles(cms_search_pages(query="农业农村局")) == ["农业农村局调研村集体经济发展"]


def test_drafts_are_not_found(content):
    make_news("乡村振兴草稿", live=False)
    assert titles(cms_search_pages(query="振兴")) == [TITLE]


def test_unpublished_page_drops_out_of_the_results(content):
    content["news"].unpublish()
    assert cms_search_pages(query="振兴") == []


def test_search_page_highlights_and_counts_kinds(client, content):
    response = client.get("/search/", {"q": "振兴"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "推进乡村<mark>振兴</mark>工作会议召开" in html
    assert re.search(r'kind=news">[^<]*\(1\)', html)


def test_search_page_filters_by_kind(client, content):
    html = client.get("/search/", {"q": "法律", "kind": "service"}).content.decode()
    assert "东港市<mark>法律</mark>援助中心" in html
    html = client.get("/search/", {"q": "法律", "kind": "news"}).content.decode()
    assert "援助中心" not in html.split('class="results"')[1]


def test_search_page_is_paginated(client, content):
    for n in range(12):
        make_news(f"乡村振兴示范村建设第{n}期")
    first = client.get("/search/", {"q": "振兴"}).content.decode()
    second = client.get("/search/", {"q": "振兴", "page": 2}).content.decode()
    assert first.count('class="result ') == 10
    assert second.count('class="result ') == 3
    assert "page=2" in first


def test_other_apps_providers_join_the_results(content):
    def courses(*, user, query, limit):
        return [SearchHit(kind="course", kind_label="课程", title=f"{query}专题课", url="/learning/1/", score=0.9)]

    saved = search_providers()
    register_search_provider("test-courses", courses)
    try:
        hits = site_search(user=None, query="振兴")
    finally:
        from core import search as core_search

        core_search._providers.clear()
        core_search._providers.update(saved)
    assert [h.kind for h in hits] == ["news", "course"]
    assert hits[0].title == TITLE


def test_a_failing_provider_does_not_break_search(content, caplog):
    def broken(*, user, query, limit):
        raise RuntimeError("index offline")

    saved = search_providers()
    register_search_provider("test-broken", broken)
    try:
        hits = site_search(user=None, query="振兴")
    finally:
        from core import search as core_search

        core_search._providers.clear()
        core_search._providers.update(saved)
    assert [h.title for h in hits] == [TITLE]
    assert "test-broken" in caplog.text


def test_empty_and_punctuation_only_queries_find_nothing(client, content):
    assert site_search(user=None, query="   ") == []
    assert client.get("/search/", {"q": "!!!"}).status_code == 200
