"""Contract tests: every response of the CMS API validates against its own /api/openapi.json."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from wagtail.models import PageViewRestriction

from cms.tests.factories import make_category, make_guide, make_image, make_news, make_service, make_update
from core.tests.factories import make_department

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def validate(schema: dict, path: str, status: int, body, method: str = "get") -> None:
    """Validate `body` against the schema of `path`'s `status` response in the OpenAPI document."""
    operation = schema["paths"][path][method]
    response_schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**response_schema, "components": schema["components"]})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


@pytest.fixture
def content(tree):
    category = make_category("时政要闻", "yaowen")
    news = make_news("推进乡村振兴工作会议召开", category=category, cover_image=make_image(), source="东港发布")
    news.tags.add("乡村振兴")
    news.save_revision().publish()
    make_news("草稿新闻", live=False)
    department = make_department(tree["city"], "农业农村局")
    return {
        "news": news,
        "guide": make_guide(),
        "service": make_service(latitude="39.863300", longitude="124.152500"),
        "update": make_update(department, "农业农村局召开春耕工作会"),
        "department": department,
    }


def test_openapi_lists_the_cms_endpoints(schema):
    for path in [
        "/api/news",
        "/api/news/{news_id}",
        "/api/updates",
        "/api/updates/{update_id}",
        "/api/guides",
        "/api/guides/{guide_id}",
        "/api/services",
        "/api/services/{service_id}",
        "/api/search",
    ]:
        assert path in schema["paths"], path


def test_news_list_and_detail(client, schema, content):
    body = client.get("/api/news").json()
    validate(schema, "/api/news", 200, body)
    assert [i["title"] for i in body["items"]] == ["推进乡村振兴工作会议召开"]  # the draft is left out
    assert body["items"][0]["cover"]["small"].endswith(".jpg")

    detail = client.get(f"/api/news/{content['news'].pk}").json()
    validate(schema, "/api/news/{news_id}", 200, detail)
    assert detail["tags"] == ["乡村振兴"] and "<p>正文</p>" in detail["body_html"]

    filtered = client.get("/api/news", {"category": "yaowen", "page_size": 1}).json()
    validate(schema, "/api/news", 200, filtered)
    assert filtered["count"] == 1 and filtered["pages"] == 1


def test_missing_draft_and_restricted_pages_answer_404_alike(client, schema, content):
    draft = make_news("另一篇草稿", live=False)
    restricted = make_news("内部通知")
    PageViewRestriction.objects.create(page=restricted, restriction_type=PageViewRestriction.LOGIN)
    for page_id in (draft.pk, restricted.pk, 999999, content["guide"].pk):
        response = client.get(f"/api/news/{page_id}")
        assert response.status_code == 404, page_id
        validate(schema, "/api/news/{news_id}", 404, response.json())
    assert "内部通知" not in str(client.get("/api/news").json())


def test_updates_guides_services(client, schema, content):
    updates = client.get("/api/updates", {"department": content["department"].pk}).json()
    validate(schema, "/api/updates", 200, updates)
    assert updates["items"][0]["department"] == "农业农村局"
    assert updates["items"][0]["department_id"] == content["department"].pk
    update = client.get(f"/api/updates/{content['update'].pk}").json()
    validate(schema, "/api/updates/{update_id}", 200, update)

    guides = client.get("/api/guides").json()
    validate(schema, "/api/guides", 200, guides)
    guide = client.get(f"/api/guides/{content['guide'].pk}").json()
    validate(schema, "/api/guides/{guide_id}", 200, guide)
    assert guide["steps"][0]["title"] == "提交转正申请" and guide["materials"][0]["name"] == "转正申请书"
    assert guide["faq"][0]["question"] == "需要本人到场吗？"

    services = client.get("/api/services", {"category": "legal"}).json()
    validate(schema, "/api/services", 200, services)
    service = client.get(f"/api/services/{content['service'].pk}").json()
    validate(schema, "/api/services/{service_id}", 200, service)
    assert service["latitude"] == pytest.approx(39.8633)


def test_bad_parameters_get_a_clear_422(client, schema, content):
    response = client.get("/api/services", {"category": "spa"})
    assert response.status_code == 422
    validate(schema, "/api/services", 422, response.json())
    assert "medical" in response.json()["detail"]
    assert client.get("/api/news", {"page_size": 500}).status_code == 422
    assert client.get("/api/news", {"page": 0}).status_code == 422
    assert client.get("/api/search").status_code == 422


def test_search(client, schema, content):
    body = client.get("/api/search", {"q": "振兴"}).json()
    validate(schema, "/api/search", 200, body)
    assert [i["title"] for i in body["items"]] == ["推进乡村振兴工作会议召开"]
    assert body["items"][0]["kind"] == "news"
    empty = client.get("/api/search", {"q": "不存在的词语"}).json()
    validate(schema, "/api/search", 200, empty)
    assert empty["count"] == 0 and empty["items"] == []
