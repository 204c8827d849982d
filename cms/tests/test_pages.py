"""CMS pages as a reader sees them: sections, filters, pagination, the portal, query budgets."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cms.models import Announcement
from cms.tests.factories import make_category, make_guide, make_image, make_news, make_service, make_update
from core.tests.factories import make_department

pytestmark = pytest.mark.django_db


def test_sections_exist_after_migrations_and_portal_tiles_link_them(client):
    html = client.get("/").content.decode()
    for path in ("/news/", "/updates/", "/guides/", "/services/"):
        assert client.get(path).status_code == 200
    assert 'href="/news/"' in html and 'href="/services/"' in html


def test_news_index_filters_by_category_and_paginates(client):
    party = make_category("党建工作", "dangjian")
    grassroots = make_category("基层动态", "jiceng")
    for n in range(13):
        make_news(f"党建新闻{n:02d}", category=party, date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    make_news("网格员走访独居老人", category=grassroots)

    first = client.get("/news/").content.decode()
    assert first.count('class="news-card"') == 12
    assert "党建新闻12" in first and "page=2" in first
    second = client.get("/news/", {"page": 2}).content.decode()
    assert second.count('class="news-card"') == 2

    filtered = client.get("/news/", {"category": "jiceng"}).content.decode()
    assert "网格员走访独居老人" in filtered and "党建新闻" not in filtered.split("news-list")[1]
    # A junk page number falls back to a real page instead of an error.
    assert client.get("/news/", {"page": "abc"}).status_code == 200


def test_news_page_shows_its_facts_body_and_responsive_cover(client):
    page = make_news(
        "推进乡村振兴工作会议召开",
        category=make_category("时政要闻", "yaowen"),
        source="东港市融媒体中心",
        author="王丽",
        cover_image=make_image(),
        body_html="<p>会议强调要抓好落实。</p>",
    )
    page.tags.add("乡村振兴")
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "东港市融媒体中心" in html and "王丽" in html and "会议强调要抓好落实。" in html
    assert 'srcset="' in html and "480w" in html and "960w" in html
    assert "#乡村振兴" in html


def test_drafts_are_not_served(client):
    draft = make_news("未发布的稿件", live=False)
    assert client.get(draft.url or f"/news/{draft.slug}/").status_code == 404
    assert "未发布的稿件" not in client.get("/news/").content.decode()


def test_guide_shows_steps_materials_and_faq(client):
    guide = make_guide("预备党员转正")
    html = client.get(guide.url).content.decode()
    assert "提交转正申请" in html and "转正申请书" in html and "需要本人到场吗？" in html


def test_services_are_browsable_by_category(client):
    make_service("东港市法律援助中心", "legal")
    make_service("东港市中心医院", "medical", phone="0415-7110120")
    html = client.get("/services/", {"category": "medical"}).content.decode()
    assert "东港市中心医院" in html and "法律援助中心" not in html
    assert "0415-7110120" in html
    # An unknown category shows everything rather than an error.
    assert "法律援助中心" in client.get("/services/", {"category": "nope"}).content.decode()


def test_updates_are_grouped_by_department(client, tree):
    agriculture = make_department(tree["city"], "农业农村局")
    health = make_department(tree["city"], "卫生健康局")
    make_update(agriculture, "农业农村局召开春耕工作会")
    make_update(health, "卫生健康局开展义诊")
    index = client.get("/updates/").content.decode()
    assert "农业农村局召开春耕工作会" in index and "卫生健康局开展义诊" in index
    section = agriculture.updates_section
    html = client.get(section.url).content.decode()
    assert "农业农村局召开春耕工作会" in html and "卫生健康局开展义诊" not in html


def test_announcements_show_between_start_and_end(client):
    now = timezone.now()
    Announcement.objects.create(title="党费收缴开始", starts_at=now - datetime.timedelta(hours=1))
    Announcement.objects.create(title="明天才开始", starts_at=now + datetime.timedelta(days=1))
    Announcement.objects.create(
        title="已经结束", starts_at=now - datetime.timedelta(days=3), ends_at=now - datetime.timedelta(days=1)
    )
    html = client.get("/").content.decode()
    assert "党费收缴开始" in html
    assert "明天才开始" not in html and "已经结束" not in html


def test_portal_lists_latest_news(client):
    make_news("较早的新闻", date=datetime.date(2026, 1, 1))
    make_news("最新的新闻", date=datetime.date(2026, 6, 1))
    html = client.get("/").content.decode()
    assert html.index("最新的新闻") < html.index("较早的新闻")


def test_live_strip_renders_nothing_without_a_streaming_selector(client):
    assert 'class="live-now"' not in client.get("/").content.decode()


def test_feed_lists_live_news_escaped(client):
    make_news("推进乡村振兴工作会议召开", summary="摘要 <b>加粗</b>")
    make_news("草稿不进订阅", live=False)
    response = client.get("/feeds/news.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/rss+xml")
    xml = response.content.decode()
    assert "<title>推进乡村振兴工作会议召开</title>" in xml
    assert "草稿不进订阅" not in xml
    # Readers render descriptions as HTML: the summary's "<b>" arrives as text, not markup.
    from xml.etree import ElementTree

    (item,) = ElementTree.fromstring(xml).iter("item")
    assert item.findtext("description") == "摘要 &lt;b&gt;加粗&lt;/b&gt;"
    assert item.findtext("link").startswith("http://testserver/news/")


# --- Query budgets (anonymous readers, page cache off as in all tests) ----------------------------


@pytest.fixture
def listing(tree):
    category = make_category("时政要闻", "yaowen")
    cover = make_image()
    pages = [make_news(f"新闻{n}", category=category, cover_image=cover) for n in range(15)]
    Announcement.objects.create(title="通知", starts_at=timezone.now() - datetime.timedelta(hours=1))
    make_update(make_department(tree["city"]), "部门动态")
    return pages


def test_home_query_budget(client, listing, django_assert_num_queries):
    client.get("/")  # renditions made once
    # Session, site, routing (3), announcements, news + renditions, updates, the live-now strip
    # (streaming.selectors.events_live_now, 1 query).
    with django_assert_num_queries(10):
        assert client.get("/").status_code == 200


def test_news_index_query_budget(client, listing, django_assert_num_queries):
    client.get("/news/")
    with django_assert_num_queries(10):
        assert client.get("/news/").status_code == 200


def test_news_page_query_budget(client, listing, django_assert_num_queries):
    page = listing[0]
    client.get(page.url)
    with django_assert_num_queries(8):
        assert client.get(page.url).status_code == 200


def test_news_can_embed_a_lesson_of_the_online_classroom(client):
    from learning.tests.factories import make_world

    lesson = make_world(with_files=False).lessons["public"]
    page = make_news("学习党史专题")
    page.body = [{"type": "lesson", "value": {"lesson": lesson.pk, "note": "推荐收看"}}]
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert f'href="{lesson.url}"' in html and lesson.title in html and "推荐收看" in html


def test_embedded_lesson_names_a_restricted_lesson_only_to_readers_who_may_open_it(client):
    from learning.tests.factories import make_world

    world = make_world(with_files=False)
    page = make_news("支部学习推荐")
    page.body = [
        {"type": "lesson", "value": {"lesson": world.lessons["members"].pk, "note": ""}},
        {"type": "lesson", "value": {"lesson": world.lessons["branch_a1"].pk, "note": ""}},
    ]
    page.save_revision().publish()
    members, branch = world.lessons["members"], world.lessons["branch_a1"]

    anonymous = client.get(page.url).content.decode()
    assert members.title not in anonymous and branch.title not in anonymous
    sign_in_card = 'class="lesson-card" href="/accounts/login/?next='
    assert anonymous.count(sign_in_card) == 2  # an invitation to sign in, naming nothing
    api = client.get(f"/api/news/{page.pk}").json()["body_html"]
    assert members.title not in api and branch.title not in api

    client.force_login(world.people["member_b"])  # a member, but not of branch a1
    html = client.get(page.url).content.decode()
    assert f'href="{members.url}"' in html and members.title in html
    assert branch.title not in html and sign_in_card not in html

    client.force_login(world.people["member_a1"])
    html = client.get(page.url).content.decode()
    assert members.title in html and branch.title in html
