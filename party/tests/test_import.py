"""Excel import and export through the pages, with real .xlsx files made by openpyxl."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core.models import AuditLog, PartyOrg
from core.tests.factories import DEFAULT_PASSWORD
from party.models import MemberRecord, OrgProfile, PartyRole
from party.tests.factories import make_keeper, make_record

pytestmark = pytest.mark.django_db

ORG_HEADER = [
    "组织编码",
    "组织名称",
    "组织类型",
    "上级组织编码",
    "所在区域编码",
    "单位类别",
    "成立日期",
    "联系人",
    "联系电话",
]
MEMBER_HEADER = [
    "姓名",
    "性别",
    "出生年份",
    "所在支部编码",
    "党员类别",
    "入党日期",
    "转正日期",
    "学历",
    "职业",
    "工作单位",
    "手机号",
    "党务人才",
    "特长",
    "身份证号",
]


def workbook(orgs: list[list], members: list[list]) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.title = "党组织"
    ws.append(ORG_HEADER)
    for row in orgs:
        ws.append(row)
    ws = wb.create_sheet("党员")
    ws.append(MEMBER_HEADER)
    for row in members:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("名册.xlsx", out.getvalue())


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


@pytest.fixture
def sheet(orgs):
    village = orgs["village_a"].code
    return {
        "orgs": [
            [
                "NEW-1",
                "甲村第三党支部",
                "党支部",
                village,
                "",
                "村",
                datetime.date(2024, 7, 1),
                "王建军",
                "0415-7123456",
            ],
            ["NEW-2", "甲村第四党支部", "党支部", "NEW-1", "", "村", "2024/7/1", "", ""],
        ],
        "members": [
            [
                "李明",
                "男",
                1988,
                "NEW-1",
                "正式党员",
                datetime.date(2012, 6, 20),
                datetime.date(2013, 6, 20),
                "大学本科",
                "外卖骑手",
                "美团外卖",
                "13812345678",
                "宣传员",
                "短视频剪辑",
                "210681198801010011",
            ],
            [
                "王秀英",
                "女",
                1956,
                orgs["branch_a1"].code,
                "正式",
                "1985.07",
                "1986.07",
                "初中",
                "农民",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                "赵强",
                "男",
                2001,
                orgs["branch_a1"].code,
                "预备党员",
                "2026-03-01",
                "",
                "大专",
                "快递员",
                "",
                "13912345678",
                "",
                "",
                "",
            ],
        ],
    }


def test_import_with_errors_reports_every_row_and_writes_nothing(client, orgs, sheet):
    keeper = make_keeper(PartyRole.Kind.SECRETARY, orgs["town_a"])
    login(client, keeper)
    bad_members = [
        *sheet["members"],
        ["", "男", 1990, orgs["branch_a1"].code, "正式党员", "2015-01-01", "2016-01-01", "", "", "", "", "", "", ""],
        ["孙丽", "女", 1990, orgs["branch_b"].code, "正式党员", "2015-01-01", "2016-01-01", "", "", "", "", "", "", ""],
        ["钱进", "未知", "一九九〇", "NOPE", "党员", "昨天", "", "", "宇航员", "", "12345", "", "", ""],
        [
            "周平",
            "男",
            1990,
            orgs["branch_a1"].code,
            "预备党员",
            "2025-01-01",
            "2026-01-01",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    response = client.post(
        reverse("party:import"), {"file": workbook(sheet["orgs"], bad_members), "mode": "all"}, format="multipart"
    )
    page = response.content.decode()
    report = page.split('id="import-rows"')[1]
    assert "姓名为空" in report or "姓名 is empty" in report
    assert "不是您管理的党组织" in report  # branch_b lies outside town A
    for text in ("性别“未知”", "“一九九〇”", "NOPE", "“昨天”", "宇航员", "“12345”", "预备党员尚无转正日期"):
        assert text in report, text
    assert "没有写入" in page
    assert not PartyOrg.objects.filter(code__startswith="NEW-").exists() and not MemberRecord.objects.exists()


def test_import_check_then_all_then_again_is_idempotent(client, orgs, sheet):
    keeper = make_keeper(PartyRole.Kind.SECRETARY, orgs["town_a"])
    existing = make_record(orgs["branch_a1"], name="王秀英", birth_year=1956, phone="", gender="f")
    login(client, keeper)
    response = client.post(
        reverse("party:import"), {"file": workbook(sheet["orgs"], sheet["members"]), "mode": "check"}
    )
    assert "只检查" in response.content.decode() and not PartyOrg.objects.filter(code="NEW-1").exists()

    response = client.post(reverse("party:import"), {"file": workbook(sheet["orgs"], sheet["members"]), "mode": "all"})
    page = response.content.decode()
    assert 'id="created">4<' in page and 'id="updated">1<' in page
    new_branch = PartyOrg.objects.get(code="NEW-1")
    assert new_branch.parent == orgs["village_a"] and PartyOrg.objects.get(code="NEW-2").parent == new_branch
    assert OrgProfile.objects.get(org=new_branch).contact_name == "王建军"
    li = MemberRecord.objects.get(phone="13812345678")
    assert (li.branch, li.occupation, li.education, li.status) == (new_branch, "delivery_rider", "bachelor", "full")
    assert li.talent.get().role == "propaganda"
    existing.refresh_from_db()
    assert existing.education == "junior" and existing.joined_on == datetime.date(1985, 7, 1)
    assert MemberRecord.objects.count() == 3

    response = client.post(reverse("party:import"), {"file": workbook(sheet["orgs"], sheet["members"]), "mode": "all"})
    page = response.content.decode()
    assert 'id="created">0<' in page and 'id="updated">0<' in page and 'id="unchanged">5<' in page
    assert MemberRecord.objects.count() == 3 and PartyOrg.objects.filter(code__startswith="NEW-").count() == 2
    assert AuditLog.objects.filter(action="party.import").count() == 2


def test_skip_mode_writes_the_good_rows(client, orgs, sheet):
    keeper = make_keeper(PartyRole.Kind.SECRETARY, orgs["town_a"])
    login(client, keeper)
    members = [
        *sheet["members"],
        ["孙丽", "女", 1990, orgs["branch_b"].code, "正式党员", "2015-01-01", "2016-01-01"] + [""] * 7,
    ]
    client.post(reverse("party:import"), {"file": workbook(sheet["orgs"], members), "mode": "skip"})
    assert MemberRecord.objects.count() == 3 and not MemberRecord.objects.filter(name="孙丽").exists()


def test_not_a_workbook(client, orgs):
    keeper = make_keeper(PartyRole.Kind.SECRETARY, orgs["town_a"])
    login(client, keeper)
    fake = SimpleUploadedFile("名册.xlsx", b"name,phone\n")
    page = client.post(reverse("party:import"), {"file": fake, "mode": "all"}).content.decode()
    assert "不是 Excel 工作簿" in page


def test_export_is_what_the_keeper_sees_masked_and_audited(client, orgs):
    keeper = make_keeper(PartyRole.Kind.SECRETARY, orgs["village_a"])
    make_record(orgs["branch_a1"], name="刘洋", phone="13700001111")
    make_record(orgs["branch_b"], name="外人", phone="13700002222")
    login(client, keeper)
    response = client.get(reverse("party:member_export", args=[orgs["village_a"].pk]))
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and len(rows) == 2
    assert rows[1][0] == "刘洋" and rows[1][10] == "137****1111"
    assert AuditLog.objects.filter(action="party.member.export", actor=keeper).exists()
    assert client.get(reverse("party:member_export", args=[orgs["branch_b"].pk])).status_code == 404
    template = client.get(reverse("party:import_template"))
    assert load_workbook(io.BytesIO(template.content)).sheetnames == ["党组织", "党员"]
