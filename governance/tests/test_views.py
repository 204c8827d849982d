"""Grid pages through the test client: scope (view and change, role by role), masking, the audit trail."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog, Notification, Role
from core.tests.factories import DEFAULT_PASSWORD, make_department, make_party_org, make_user_with_role
from governance.models import Household, Resident, Visit
from governance.tests.factories import household_of, make_building, make_resident, valid_id_number

THIS_YEAR = timezone.localdate().year


@pytest.fixture
def homes(tree):
    building_a = make_building(tree["grid_a"], number="3", unit_count=2, floor_count=6, households_per_floor=2)
    building_b = make_building(tree["grid_b"], number="1")
    a = household_of(building_a, "2-501")
    b = household_of(building_b, "1-101")
    return {"building_a": building_a, "building_b": building_b, "a": a, "b": b}


@pytest.fixture
def residents(homes):
    elder = make_resident(
        homes["a"],
        name="王秀兰",
        birth_year=1948,
        phone="13812345678",
        id_number="210681194803150028",
        tags=["elderly_alone"],
    )
    adult = make_resident(homes["a"], name="李国强", birth_year=1985, relation="child")
    child = make_resident(
        homes["a"], name="李小明", birth_year=2016, relation="grandchild", guardian=elder, tags=["left_behind_child"]
    )
    b = make_resident(homes["b"], name="赵德胜", birth_year=1970, phone="13998765432")
    return {"a": elder, "adult": adult, "child": child, "b": b}


def login(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


def user_for(role, tree, scope_key):
    scope = {}
    if role == Role.MEMBER:
        scope = {"party_org": make_party_org()}
    elif role == Role.DEPARTMENT_STAFF:
        scope = {"department": make_department(tree["city"])}
    elif scope_key:
        scope = {"area": tree[scope_key]}
    return make_user_with_role(role, **scope)


def test_grid_worker_sees_own_grid_masked(client, tree, residents):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, worker)
    response = client.get(reverse("governance:grid_detail", args=[tree["grid_a"].pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    html = response.content.decode()
    assert "王秀兰" in html and "3-2-501" in html
    assert "138****5678" in html and "13812345678" not in html
    assert "李小明" not in html and "李*明" in html  # a minor's name is masked
    assert "独居老人" in html
    assert AuditLog.objects.filter(actor=worker, action="governance.grid.view_residents").count() == 1


# (role, scope) → may view grid_b's data, may change it.
MATRIX = [
    (Role.GRID_WORKER, "grid_a", False, False),
    (Role.GRID_WORKER, "grid_b", True, True),
    (Role.COMMUNITY_STAFF, "village_a", False, False),
    (Role.COMMUNITY_STAFF, "village_b", True, True),
    (Role.TOWN_STAFF, "town_b", True, True),
    (Role.TOWN_STAFF, "town_a", False, False),
    # The operations centre oversees the whole city but keeps no grid's records.
    (Role.OPS_ADMIN, None, True, False),
    (Role.MEMBER, None, False, False),
    (Role.RESIDENT, "grid_b", False, False),
    (Role.DEPARTMENT_STAFF, None, False, False),
    (Role.EDITOR, None, False, False),
]


@pytest.mark.parametrize("role,scope_key,can_view,can_change", MATRIX)
def test_view_matrix_on_grid_b(client, tree, homes, residents, role, scope_key, can_view, can_change):
    login(client, user_for(role, tree, scope_key))
    status = 200 if can_view else 404
    r = residents["b"]
    assert client.get(reverse("governance:grid_detail", args=[tree["grid_b"].pk])).status_code == status
    assert client.get(reverse("governance:building_detail", args=[homes["building_b"].pk])).status_code == status
    assert client.get(reverse("governance:resident_detail", args=[r.pk])).status_code == status
    reveal = client.post(reverse("governance:resident_reveal", args=[r.pk]), {"reason": "核实信息"})
    assert reveal.status_code == status
    household = client.get(reverse("governance:household_detail", args=[homes["b"].pk]))
    assert household.status_code == status


@pytest.mark.parametrize("role,scope_key,can_view,can_change", MATRIX)
def test_change_matrix_on_grid_b(client, tree, homes, residents, role, scope_key, can_view, can_change):
    login(client, user_for(role, tree, scope_key))
    status = 200 if can_change else 404
    r = residents["b"]
    pages = [
        reverse("governance:resident_edit", args=[r.pk]),
        reverse("governance:resident_create", args=[homes["b"].pk]),
        reverse("governance:household_edit", args=[homes["b"].pk]),
        reverse("governance:building_edit", args=[homes["building_b"].pk]),
        reverse("governance:building_create", args=[tree["grid_b"].pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == status, url
    # Writes: a changed name, a moved-out resident, a household status.
    response = client.post(
        reverse("governance:resident_edit", args=[r.pk]),
        {"name": "赵德利", "birth_year": "1970", "relation": "head"},
    )
    assert response.status_code == (302 if can_change else 404)
    response = client.post(reverse("governance:household_edit", args=[homes["b"].pk]), {"status": "rented"})
    assert response.status_code == (302 if can_change else 404)
    response = client.post(reverse("governance:resident_move_out", args=[r.pk]), {"moved_out_on": "2026-01-05"})
    assert response.status_code == (302 if can_change else 404)
    r.refresh_from_db()
    homes["b"].refresh_from_db()
    assert (r.name == "赵德利") == can_change
    assert (homes["b"].status == Household.Status.RENTED) == can_change
    assert (r.moved_out_on is not None) == can_change


def test_anonymous_is_sent_to_login(client, tree):
    response = client.get(reverse("governance:grid_detail", args=[tree["grid_a"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reveal_needs_a_reason_shows_full_data_and_is_audited(client, tree, residents):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, worker)
    url = reverse("governance:resident_reveal", args=[residents["a"].pk])
    page = client.get(reverse("governance:resident_detail", args=[residents["a"].pk])).content.decode()
    assert "13812345678" not in page and "210681194803150028" not in page
    assert client.get(url).status_code == 405
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400 and "13812345678" not in refused.content.decode()
    assert not AuditLog.objects.filter(action="governance.resident.reveal").exists()
    revealed = client.post(url, {"reason": "核实低保申请"})
    html = revealed.content.decode()
    assert "13812345678" in html and "210681194803150028" in html
    assert "no-store" in revealed["Cache-Control"] or "max-age=0" in revealed["Cache-Control"]
    log = AuditLog.objects.get(action="governance.resident.reveal")
    assert log.actor == worker and log.object_id == str(residents["a"].pk) and log.ip == "127.0.0.1"
    assert log.detail == {"reason": "核实低保申请"}
    assert "王秀兰" not in log.object_repr  # names are masked in the log too


def test_edit_form_never_prefills_phone_or_id_and_blank_keeps_them(client, tree, residents):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, worker)
    r = residents["a"]
    url = reverse("governance:resident_edit", args=[r.pk])
    html = client.get(url).content.decode()
    assert "13812345678" not in html and "210681194803150028" not in html
    assert "138****5678" in html  # shown masked as a hint
    assert not AuditLog.objects.filter(action="governance.resident.reveal").exists()
    # Changing only the year of birth: phone and ID stay; the audit names the changed field alone.
    response = client.post(
        url,
        {"name": "王秀兰", "birth_year": "1947", "relation": "head", "care_tags": [t.pk for t in r.care_tags.all()]},
    )
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.birth_year == 1947 and r.phone == "13812345678" and r.id_number == "210681194803150028"
    log = AuditLog.objects.filter(action="governance.resident.update").latest("id")
    assert log.detail == {"fields": ["birth_year"]}
    # Re-entering a new phone changes it; the audit names it without the value.
    client.post(
        url,
        {
            "name": "王秀兰",
            "birth_year": "1947",
            "relation": "head",
            "phone_new": "13700001111",
            "care_tags": [t.pk for t in r.care_tags.all()],
        },
    )
    r.refresh_from_db()
    assert r.phone == "13700001111"
    log = AuditLog.objects.filter(action="governance.resident.update").latest("id")
    assert log.detail == {"fields": ["phone"]} and "13700001111" not in str(log.detail)


def test_register_resident_validates_and_children_need_a_guardian(client, tree, homes, residents):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, worker)
    household = household_of(homes["building_a"], "1-101")
    url = reverse("governance:resident_create", args=[household.pk])
    bad = client.post(
        url, {"name": "周桂芳", "birth_year": "1800", "relation": "head", "phone_new": "12345", "id_number_new": "abc"}
    )
    html = bad.content.decode()
    assert bad.status_code == 200
    assert "请输入 11 位中国大陆手机号" in html and "18 位居民身份证号码" in html and "出生年份应在" in html
    # Arabic-Indic digits are not digits of a phone number.
    bad = client.post(url, {"name": "周桂芳", "birth_year": "1950", "relation": "head", "phone_new": "١٣٧٠٠٠٠١١١١"})
    assert "请输入 11 位中国大陆手机号" in bad.content.decode()
    # A typing error in an ID number shows in its check character.
    bad = client.post(
        url, {"name": "周桂芳", "birth_year": "1950", "relation": "head", "id_number_new": "21068119500101002x"}
    )
    assert "身份证号的校验位与前 17 位不符" in bad.content.decode()
    good = client.post(
        url,
        {
            "name": "周桂芳",
            "birth_year": "1950",
            "relation": "head",
            "phone_new": "13700001111",
            "id_number_new": "21068119500101001x",
        },
    )
    assert good.status_code == 302
    mother = Resident.objects.get(name="周桂芳")
    assert mother.household == household and mother.id_number.endswith("X")
    household.refresh_from_db()
    assert household.status == Household.Status.OWNER
    log = AuditLog.objects.get(action="governance.resident.create")
    assert "13700001111" not in str(log.detail)
    # A child under 14 without a guardian is refused; with the mother as guardian it is recorded.
    child = {"name": "周小雨", "birth_year": str(THIS_YEAR - 6), "relation": "child"}
    refused = client.post(url, child)
    assert refused.status_code == 200 and "未满 14 周岁" in refused.content.decode()
    assert client.post(url, {**child, "guardian": mother.pk}).status_code == 302
    assert Resident.objects.get(name="周小雨").guardian == mother
    # The same ID number twice is refused (found through the keyed hash).
    dup = client.post(
        url, {"name": "周桂兰", "birth_year": "1950", "relation": "spouse", "id_number_new": "21068119500101001X"}
    )
    assert "已登记" in dup.content.decode()


def test_moving_out_archives_and_keeps_the_record(client, tree, residents):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, worker)
    r = residents["a"]
    assert r.next_visit_due is not None
    client.post(reverse("governance:resident_move_out", args=[r.pk]), {"moved_out_on": "2026-11-30"})
    r.refresh_from_db()
    assert r.moved_out_on == datetime.date(2026, 11, 30) and r.next_visit_due is None
    html = client.get(reverse("governance:grid_detail", args=[tree["grid_a"].pk])).content.decode()
    assert "王秀兰" not in html
    household = client.get(reverse("governance:household_detail", args=[r.household_id])).content.decode()
    assert "王秀兰" in household  # still there, under "moved out"
    assert AuditLog.objects.filter(action="governance.resident.move_out", object_id=str(r.pk)).exists()


def test_resident_sees_own_household_only_and_asks_for_a_correction(client, tree, homes, residents):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    me = make_user_with_role(Role.RESIDENT, area=tree["grid_a"])
    Resident.objects.filter(pk=residents["adult"].pk).update(account=me)
    login(client, me)
    page = client.get(reverse("governance:my_household"))
    html = page.content.decode()
    assert page.status_code == 200 and "3-2-501" in html and "王秀兰" in html
    assert "138****5678" in html and "13812345678" not in html and "210681194803150028" not in html
    # Their own household's staff page sends them to their record; other households and residents are 404.
    assert client.get(reverse("governance:household_detail", args=[homes["a"].pk])).status_code == 302
    assert client.get(reverse("governance:household_detail", args=[homes["b"].pk])).status_code == 404
    assert client.get(reverse("governance:resident_detail", args=[residents["a"].pk])).status_code == 404
    assert client.get(reverse("governance:household_edit", args=[homes["a"].pk])).status_code == 404
    response = client.post(
        reverse("governance:my_household"), {"household": homes["a"].pk, "message": "我母亲的出生年份应为1949年"}
    )
    assert response.status_code == 302
    note = Notification.objects.get(recipient=worker, kind="governance.correction")
    assert "3-2-501" in note.title and "1949" in note.body
    # Someone else's household id is refused.
    other = client.post(reverse("governance:my_household"), {"household": homes["b"].pk, "message": "x"})
    assert other.status_code == 404


def test_grid_list_shows_only_own_grids(client, tree):
    staff = make_user_with_role(Role.COMMUNITY_STAFF, area=tree["village_a"])
    login(client, staff)
    html = client.get(reverse("governance:grid_list")).content.decode()
    assert "甲村第一网格" in html and "甲村第二网格" in html and "乙社区第一网格" not in html


def test_a_resident_reads_the_visits_to_their_household_and_no_one_elses(client, tree, homes, residents):
    import datetime

    from django.utils import timezone

    from governance.services.visits import visit_record

    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    other_worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_b"])
    today = timezone.localdate()
    visit_record(
        resident=residents["a"],
        by=worker,
        visited_on=today - datetime.timedelta(days=2),
        outcome="needs_help",
        note="暖气不热，已联系物业",
    )
    visit_record(resident=residents["b"], by=other_worker, visited_on=today, outcome="normal", note="赵家一切正常")
    me = make_user_with_role(Role.RESIDENT, area=tree["grid_a"])
    Resident.objects.filter(pk=residents["adult"].pk).update(account=me)
    login(client, me)
    html = client.get(reverse("governance:my_household")).content.decode()
    assert "网格员走访记录" in html and "暖气不热，已联系物业" in html and "需要帮扶" in html
    assert "王秀兰" in html and "下次应走访" in html  # her plan moved on from the visit
    assert "赵家一切正常" not in html and "赵德胜" not in html

    # Someone whose household has had no visit reads that plainly.
    stranger = make_user_with_role(Role.RESIDENT, area=tree["grid_b"])
    Resident.objects.filter(pk=residents["b"].pk).update(account=stranger)
    Visit.objects.filter(resident=residents["b"]).delete()
    login(client, stranger)
    html = client.get(reverse("governance:my_household")).content.decode()
    assert "还没有走访记录" in html


# --- The two hot grid pages: what they show, and a query budget that does not grow with the data ---------


def _resident_links(html: str) -> int:
    return html.count('<tr><td><a href="/governance/residents/')


def test_resident_list_queries_do_not_grow_and_never_read_id_numbers(
    client, tree, homes, residents, django_assert_num_queries
):
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, worker)
    url = reverse("governance:grid_detail", args=[tree["grid_a"].pk])
    client.get(url)  # the session's first request settles what later ones no longer write
    with django_assert_num_queries(12):
        assert _resident_links(client.get(url).content.decode()) == 3
    # Enough residents for two pages, each with a phone, an ID number and care tags.
    rooms = list(homes["building_a"].households.order_by("pk"))
    for n in range(58):
        make_resident(
            rooms[n % len(rooms)],
            birth_year=1940 + n % 30,
            phone=f"1390000{n:04d}",
            id_number=valid_id_number(1940 + n % 30, n),
            tags=["elderly_alone", "disabled"] if n % 3 == 0 else [],
        )
    with django_assert_num_queries(12) as captured:
        html = client.get(url).content.decode()
    assert _resident_links(html) == 50
    # The list shows phones masked, so it reads them; the ID number is not shown, so it is never read
    # (every read of an encrypted column is a decryption).
    assert not any('"id_number"' in q["sql"] for q in captured.captured_queries)
    assert "139****0003" in html and "13900000003" not in html
    assert "<td>独居老人、残疾人</td>" in html
    second = client.get(url, {"page": 2}).content.decode()
    assert _resident_links(second) == 61 - 50
    assert AuditLog.objects.filter(actor=worker, action="governance.grid.view_residents").count() == 4


def test_resident_list_rows_show_visit_state_and_escape_names(client, tree, homes, residents):
    today = timezone.localdate()
    Resident.objects.filter(pk=residents["a"].pk).update(next_visit_due=today - datetime.timedelta(days=1))
    Resident.objects.filter(pk=residents["child"].pk).update(next_visit_due=today + datetime.timedelta(days=2))
    make_resident(homes["a"], name="<b>赵</b>", birth_year=1980)
    login(client, make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"]))
    html = client.get(reverse("governance:grid_detail", args=[tree["grid_a"].pk])).content.decode()
    assert html.count('<span class="pill overdue">已逾期</span>') == 1
    assert html.count('<span class="pill due">待走访</span>') == 1
    assert "&lt;b&gt;赵&lt;/b&gt;" in html and "<b>赵</b>" not in html
    household_url = reverse("governance:household_detail", args=[homes["a"].pk])
    assert f'<a href="{household_url}">3-2-501</a>' in html


def test_plan_view_draws_every_household_in_the_same_queries_for_a_tower(
    client, tree, homes, residents, django_assert_num_queries
):
    login(client, make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"]))
    small = homes["building_a"]  # 2 units × 6 floors × 2 rooms
    url = reverse("governance:building_detail", args=[small.pk])
    client.get(url)
    with django_assert_num_queries(7):
        html = client.get(url).content.decode()
    assert html.count('<td class="cell ') == 24
    # The elder living alone and the left-behind child live in 3-2-501: one cell, both icons.
    home = reverse("governance:household_detail", args=[homes["a"].pk])
    assert (
        f'<td class="cell vacant"><a href="{home}" title="3-2-501">501<span class="icons">'
        '<span class="care" title="独居老人">老</span><span class="care" title="留守儿童">童</span></span></a></td>'
    ) in html
    tower = make_building(
        tree["grid_a"],
        number="9",
        unit_count=3,
        floor_count=33,
        households_per_floor=4,
        shop_floors=1,
        skipped_floors=[13],
    )
    with django_assert_num_queries(7):
        html = client.get(reverse("governance:building_detail", args=[tower.pk])).content.decode()
    # 33 floors numbered 1–34 without 13; the ground floor holds shops: 32 floors of homes.
    assert html.count('<td class="cell ') == 3 * 4 * 32
    assert html.count('<td class="shop" colspan="4">商铺</td>') == 3
    assert 'title="9-3-3404"' in html and 'title="9-1-1301"' not in html and 'title="9-1-101"' not in html
