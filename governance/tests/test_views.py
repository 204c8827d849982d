"""Grid pages through the test client: scope, masking and the audit trail."""

import pytest
from django.urls import reverse

from core.models import AuditLog, Role
from core.tests.factories import DEFAULT_PASSWORD, make_user_with_role
from governance.models import Resident


@pytest.fixture
def residents(tree):
    a = Resident.objects.create(
        grid=tree["grid_a"],
        name="王秀兰",
        birth_year=1948,
        phone="13812345678",
        id_number="210681194803150028",
        address="3-2-501",
        care_tags=["elderly_alone"],
    )
    child = Resident.objects.create(
        grid=tree["grid_a"], name="李小明", birth_year=2016, address="3-2-502", care_tags=["left_behind_child"]
    )
    b = Resident.objects.create(
        grid=tree["grid_b"], name="赵德胜", birth_year=1970, phone="13998765432", address="1-1-101"
    )
    return {"a": a, "child": child, "b": b}


def login(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


def test_grid_worker_sees_own_grid_masked(client, tree, residents):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, worker)
    response = client.get(reverse("governance:grid_detail", args=[tree["grid_a"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王秀兰" in html
    assert "138****5678" in html and "13812345678" not in html
    assert "李小明" not in html and "李*明" in html  # a minor's name is masked
    assert "独居老人" in html
    assert AuditLog.objects.filter(actor=worker, action="governance.grid.view_residents").count() == 1


@pytest.mark.parametrize(
    "role,scope_key,status",
    [
        (Role.GRID_WORKER, "grid_a", 404),
        (Role.GRID_WORKER, "grid_b", 200),
        (Role.COMMUNITY_STAFF, "village_a", 404),
        (Role.COMMUNITY_STAFF, "village_b", 200),
        (Role.TOWN_STAFF, "town_b", 200),
        (Role.TOWN_STAFF, "town_a", 404),
        (Role.OPS_ADMIN, None, 200),
        (Role.MEMBER, None, 404),
        (Role.RESIDENT, "grid_b", 404),
        (Role.DEPARTMENT_STAFF, None, 404),
    ],
)
def test_grid_b_by_role(client, tree, residents, role, scope_key, status):
    from core.tests.factories import make_department, make_party_org

    scope = {}
    if role == Role.MEMBER:
        scope = {"party_org": make_party_org()}
    elif role == Role.DEPARTMENT_STAFF:
        scope = {"department": make_department(tree["city"])}
    elif scope_key:
        scope = {"area": tree[scope_key]}
    user = make_user_with_role(role, **scope)
    login(client, user)
    grid_b = tree["grid_b"]
    assert client.get(reverse("governance:grid_detail", args=[grid_b.pk])).status_code == status
    assert client.get(reverse("governance:resident_detail", args=[residents["b"].pk])).status_code == status
    assert client.post(reverse("governance:resident_reveal", args=[residents["b"].pk])).status_code == status


def test_anonymous_is_sent_to_login(client, tree):
    response = client.get(reverse("governance:grid_detail", args=[tree["grid_a"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reveal_shows_full_data_and_is_audited(client, tree, residents):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, worker)
    page = client.get(reverse("governance:resident_detail", args=[residents["a"].pk])).content.decode()
    assert "13812345678" not in page and "210681194803150028" not in page
    assert client.get(reverse("governance:resident_reveal", args=[residents["a"].pk])).status_code == 405
    revealed = client.post(reverse("governance:resident_reveal", args=[residents["a"].pk])).content.decode()
    assert "13812345678" in revealed and "210681194803150028" in revealed
    log = AuditLog.objects.get(action="governance.resident.reveal")
    assert log.actor == worker and log.object_id == str(residents["a"].pk) and log.ip == "127.0.0.1"


def test_grid_worker_registers_resident_and_bad_input_is_explained(client, tree):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, worker)
    url = reverse("governance:resident_create", args=[tree["grid_a"].pk])
    bad = client.post(
        url, {"name": "周桂芳", "birth_year": "1800", "phone": "12345", "id_number": "abc", "address": "5-1-301"}
    )
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "请输入 11 位中国大陆手机号" in html
    assert "18 位居民身份证号码" in html
    assert "出生年份应在" in html
    assert not Resident.objects.exists()
    good = client.post(
        url,
        {
            "name": "周桂芳",
            "birth_year": "1950",
            "phone": "13700001111",
            "id_number": "21068119500101002x",
            "address": "5-1-301",
            "care_tags": ["elderly_alone"],
        },
    )
    assert good.status_code == 302
    resident = Resident.objects.get()
    assert resident.grid == tree["grid_a"] and resident.id_number.endswith("X")
    log = AuditLog.objects.get(action="governance.resident.create")
    assert "13700001111" not in str(log.detail)  # values never enter the audit log
    # A grid worker cannot register a resident in someone else's grid.
    other = reverse("governance:resident_create", args=[tree["grid_b"].pk])
    assert client.post(other, {"name": "x", "birth_year": "1950", "address": "1"}).status_code == 404


def test_grid_list_shows_only_own_grids(client, tree):
    staff = make_user_with_role(Role.COMMUNITY_STAFF, area=tree["village_a"])
    login(client, staff)
    html = client.get(reverse("governance:grid_list")).content.decode()
    assert "甲村第一网格" in html and "甲村第二网格" in html and "乙社区第一网格" not in html
