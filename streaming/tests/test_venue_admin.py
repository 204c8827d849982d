"""The operations centre keeps the city's venues on the site (我的 → 管理 → 会场): list, search, create
and change, audited; nobody else may open or post these pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditLog
from core.tests.factories import DEFAULT_PASSWORD
from streaming.models import Venue
from streaming.tests.factories import make_world

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.fixture
def world():
    return make_world()


def test_the_centre_lists_searches_and_sees_who_runs_each_venue(world):
    client = client_for(world.ops)
    page = client.get(reverse("streaming:venue_list")).content.decode()
    for venue in (world.venue_a, world.venue_b, world.main_venue):
        assert venue.name in page
    assert world.operator_a.get_full_name() in page  # venue A's operator, by name
    found = client.get(reverse("streaming:venue_list"), {"q": "乙社区"}).content.decode()
    assert world.venue_b.name in found and world.venue_a.name not in found
    mains = client.get(reverse("streaming:venue_list"), {"kind": "main"}).content.decode()
    assert world.main_venue.name in mains and world.venue_a.name not in mains
    # 我的 offers the page to the centre only.
    assert reverse("streaming:venue_list") in client.get(reverse("core:me")).content.decode()
    other = client_for(world.organiser).get(reverse("core:me")).content.decode()
    assert reverse("streaming:venue_list") not in other


def test_the_centre_creates_and_changes_a_venue_and_each_save_is_audited(world):
    client = client_for(world.ops)
    url = reverse("streaming:venue_create")
    data = {"name": "  乙社区  新时代文明实践站 ", "kind": "branch", "party_org": world.branch_b.pk, "capacity": "60"}
    response = client.post(url, data)
    assert response.status_code == 302
    venue = Venue.objects.get(name="乙社区 新时代文明实践站")  # spaces collapsed
    assert venue.party_org == world.branch_b and venue.capacity == 60
    assert AuditLog.objects.filter(action="streaming.venue.create", actor=world.ops).count() == 1

    edit = reverse("streaming:venue_edit", args=[venue.pk])
    response = client.post(edit, {**data, "name": venue.name, "address": "乙社区文化路 8 号", "capacity": "80"})
    assert response.status_code == 302
    venue.refresh_from_db()
    assert venue.capacity == 80 and venue.address == "乙社区文化路 8 号"
    change = AuditLog.objects.get(action="streaming.venue.change")
    assert set(change.detail["changed"]) == {"address", "capacity"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "   ", "kind": "branch"}, "必需字段"),
        ({"name": "无主分会场", "kind": "branch"}, "分会场须属于一个党组织"),
        ({"name": "甲村党群服务中心分会场", "kind": "branch", "same_org": True}, "该党组织已有同名会场"),
        ({"name": "太大的会场", "kind": "main", "capacity": "100001"}, "座位数不能超过"),
        ({"name": "负数会场", "kind": "main", "capacity": "-1"}, "大于或等于0"),
        ({"name": "怪类型", "kind": "stadium"}, "不在可用的选项中"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_saves_nothing(world, data, message):
    before = Venue.objects.count()
    post = {"capacity": "0", **{k: v for k, v in data.items() if k != "same_org"}}
    if data.get("same_org"):
        post["party_org"] = world.branch_a.pk
    response = client_for(world.ops).post(reverse("streaming:venue_create"), post)
    assert response.status_code == 200
    assert message in response.content.decode(), response.content.decode()[:3000]
    assert Venue.objects.count() == before and not AuditLog.objects.filter(action__startswith="streaming.venue.")


@pytest.mark.parametrize("who", ["organiser", "operator_a", "member_a", "resident"])
def test_nobody_but_the_centre_may_open_or_change_venues(world, who):
    client = client_for(getattr(world, who))
    assert client.get(reverse("streaming:venue_list")).status_code == 404
    assert client.get(reverse("streaming:venue_edit", args=[world.venue_a.pk])).status_code == 404
    response = client.post(reverse("streaming:venue_edit", args=[world.venue_a.pk]), {"name": "改名", "kind": "branch"})
    assert response.status_code == 404
    world.venue_a.refresh_from_db()
    assert world.venue_a.name == "甲村党群服务中心分会场"


def test_signed_out_visitors_are_sent_to_sign_in(world):
    response = Client().get(reverse("streaming:venue_list"))
    assert response.status_code == 302 and reverse("core:login") in response["Location"]
