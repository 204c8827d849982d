"""Excel in and out through the pages, with real .xlsx files made by openpyxl in each test: the report per
row and column in Chinese, all-or-nothing and skip, idempotent re-import, scope, file checks, the
background task (immediate backend and the database backend's worker), the audited masked export."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from core.crypto import decrypt_bytes
from core.models import AuditLog, Notification, Role
from core.tests.factories import DEFAULT_PASSWORD, make_department, make_party_org, make_user_with_role
from governance.models import Building, Household, ImportJob, Resident
from governance.services import imports as import_service
from governance.services.imports import BUILDING_COLUMNS, HOUSEHOLD_COLUMNS, RESIDENT_COLUMNS, import_job_run
from governance.services.residents import id_number_hash
from governance.tests.factories import household_of, make_building, make_resident, valid_id_number

THIS_YEAR = timezone.localdate().year
ELDER_ID = valid_id_number(1948, 28)
FATHER_ID = valid_id_number(1985, 17)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def login(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


def xlsx(*, buildings=(), households=(), residents=(), sheets=None) -> bytes:
    """A workbook with the import's sheets and headers (only those given rows, unless `sheets` names them)."""
    wb = Workbook()
    wb.remove(wb.active)
    parts = [
        ("楼栋", BUILDING_COLUMNS, buildings),
        ("房屋", HOUSEHOLD_COLUMNS, households),
        ("居民", RESIDENT_COLUMNS, residents),
    ]
    for title, columns, rows in parts:
        if rows or (sheets and title in sheets):
            ws = wb.create_sheet(title)
            ws.append(list(columns.values()))
            for row in rows:
                ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, content: bytes, *, mode: str = "all", name: str = "居民信息.xlsx"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("governance:import_start"), {"file": file, "mode": mode})


def last_job(user) -> ImportJob:
    return ImportJob.objects.filter(created_by=user).latest("pk")


def good_file(grid_code: str) -> bytes:
    return xlsx(
        buildings=[[grid_code, "阳光小区3号楼", "3", "阳光路18号3号楼", 2, 6, 2, 0, "", "", None, None]],
        households=[[grid_code, "3-1-101", "自住", "王秀兰", "2015-05-01", "一楼东户"]],
        residents=[
            [grid_code, "3-1-101", "王秀兰", 1948, "户主", ELDER_ID, "138 1234 5678", "独居老人", "", None],
            [grid_code, "3-1-101", "李国强", "", "子女", FATHER_ID, "", "", "", None],
            [grid_code, "3-1-101", "李小明", THIS_YEAR - 9, "孙子女", "", "", "留守儿童", "李国强", None],
            [grid_code, "3-2-602", "赵德胜", 1970, "租户", "", "13998765432", "", "", "2020-03-01"],
        ],
    )


@pytest.fixture
def worker(tree):
    return make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])


def test_a_good_file_imports_buildings_households_and_residents(client, tree, worker):
    login(client, worker)
    response = upload(client, good_file(tree["grid_a"].code))
    job = last_job(worker)
    assert response.status_code == 302 and response["Location"] == reverse("governance:import_job", args=[job.pk])
    assert job.status == ImportJob.Status.DONE and job.written, (job.error_detail, job.file_errors, job.report)
    # The household row updates a home its building's model has just made.
    assert job.summary["total"] == {"rows": 6, "created": 5, "updated": 1}

    building = Building.objects.get(grid=tree["grid_a"], number="3")
    assert building.households.count() == 2 * 6 * 2  # generated from the model
    home = household_of(building, "1-101")
    assert (home.status, home.occupant, home.notes) == ("owner", "王秀兰", "一楼东户")
    assert household_of(building, "2-602").status == "rented"  # a tenant moved into an empty home
    elder = Resident.objects.get(name="王秀兰")
    assert elder.household == home and elder.phone == "13812345678" and elder.id_number == ELDER_ID
    assert elder.id_number_hash == id_number_hash(ELDER_ID)
    assert [t.code for t in elder.care_tags.all()] == ["elderly_alone"]
    assert elder.next_visit_due == timezone.localdate() and elder.visit_interval_days == 7
    father = Resident.objects.get(name="李国强")
    assert father.birth_year == 1985  # read from the ID card number
    child = Resident.objects.get(name="李小明")
    assert child.guardian == father and child.next_visit_due is not None

    page = client.get(response["Location"]).content.decode()
    assert "已导入。" in page and ELDER_ID not in page and "13812345678" not in page
    assert "Excel 导入：居民信息.xlsx" in page
    audit = AuditLog.objects.get(action="governance.import")
    assert audit.actor == worker and audit.detail["summary"] == {"rows": 6, "created": 5, "updated": 1}
    assert ELDER_ID not in json.dumps(audit.detail, ensure_ascii=False)
    # The upload is gone once the job has run.
    assert job.stored_file == "" and not default_storage.listdir("governance/imports")[1]


BAD_ROWS = [
    # 2: a wrong check character; 3: a phone that is not a mobile number; 4: an unknown care tag;
    # 5: a child without a guardian; 6: a room the building does not have; 7: fine.
    [
        "{grid}",
        "3-1-101",
        "王秀兰",
        1948,
        "户主",
        ELDER_ID[:-1] + ("1" if ELDER_ID[-1] != "1" else "2"),
        "",
        "",
        "",
        None,
    ],
    ["{grid}", "3-1-101", "李国强", 1985, "子女", "", "0415-712345", "", "", None],
    ["{grid}", "3-1-102", "张桂芝", 1950, "户主", "", "", "孤寡老人", "", None],
    ["{grid}", "3-1-102", "张小雨", THIS_YEAR - 6, "孙子女", "", "", "", "", None],
    ["{grid}", "3-9-101", "刘强", 1979, "户主", "", "", "", "", None],
    ["{grid}", "3-2-201", "孙丽", 1990, "户主", "", "", "", "", None],
]


def bad_file(grid_code: str) -> bytes:
    return xlsx(
        buildings=[[grid_code, "阳光小区3号楼", "3", "阳光路18号3号楼", 2, 6, 2, 0, "", "", None, None]],
        residents=[[c.format(grid=grid_code) if isinstance(c, str) else c for c in row] for row in BAD_ROWS],
    )


def report_rows(job: ImportJob) -> dict[int, dict[str, str]]:
    return {r["row"]: {p["column"]: p["message"] for p in r["problems"]} for r in job.report if r["sheet"] == "居民"}


def test_bad_rows_are_reported_per_row_and_column_in_chinese_and_nothing_is_imported(client, tree, worker):
    login(client, worker)
    response = upload(client, bad_file(tree["grid_a"].code))
    job = last_job(worker)
    assert job.status == ImportJob.Status.DONE and not job.written
    assert Building.objects.count() == 0 and Resident.objects.count() == 0  # all or nothing
    rows = report_rows(job)
    assert set(rows) == {2, 3, 4, 5, 6}
    assert rows[2] == {"身份证号": "身份证号的校验位与前 17 位不符，请检查是否输错。"}
    assert rows[3] == {"手机号": "请输入 11 位中国大陆手机号。"}
    assert rows[4] == {"关怀标签": "不是在用的关怀标签：孤寡老人"}
    assert rows[5] == {"监护人姓名": "未满 14 周岁的儿童须同时登记监护人。"}
    assert rows[6] == {"房号": "3 号楼没有 3-9-101 这个房号。"}
    assert job.summary["total"] == {"rows": 7, "checked": 2, "error": 5}

    page = client.get(response["Location"]).content.decode()
    assert "没有导入任何数据" in page
    assert "身份证号的校验位与前 17 位不符" in page and "孤寡老人" in page and "张*雨" in page
    assert ELDER_ID[:-1] not in page  # the report never repeats an ID number


def test_skip_mode_imports_the_correct_rows_and_leaves_out_the_rest(client, tree, worker):
    login(client, worker)
    upload(client, bad_file(tree["grid_a"].code), mode="skip")
    job = last_job(worker)
    assert job.written and job.summary["total"] == {"rows": 7, "created": 2, "skipped": 5}
    assert Building.objects.filter(number="3").count() == 1
    assert list(Resident.objects.values_list("name", flat=True)) == ["孙丽"]
    page = client.get(reverse("governance:import_job", args=[job.pk])).content.decode()
    assert "已导入。" in page and "跳过了 5 行有错误的数据。" in page


def test_check_mode_writes_nothing(client, tree, worker):
    login(client, worker)
    upload(client, good_file(tree["grid_a"].code), mode="check")
    job = last_job(worker)
    assert not job.written and job.summary["total"] == {"rows": 6, "checked": 6}
    assert Building.objects.count() == 0 and Resident.objects.count() == 0


def test_importing_the_same_file_again_adds_nothing(client, tree, worker):
    login(client, worker)
    content = good_file(tree["grid_a"].code)
    upload(client, content)
    counts = (Building.objects.count(), Household.objects.count(), Resident.objects.count())
    upload(client, content)
    job = last_job(worker)
    assert job.written and job.summary["total"] == {"rows": 6, "unchanged": 6}
    assert (Building.objects.count(), Household.objects.count(), Resident.objects.count()) == counts

    # A change in the file updates the record it names, found by the ID number's keyed hash.
    wb = load_workbook(io.BytesIO(content))
    wb["居民"]["G2"] = "13700001111"
    out = io.BytesIO()
    wb.save(out)
    upload(client, out.getvalue())
    job = last_job(worker)
    assert job.summary["total"] == {"rows": 6, "unchanged": 5, "updated": 1}
    assert Resident.objects.get(name="王秀兰").phone == "13700001111"
    assert Resident.objects.count() == counts[2]


def test_rows_for_a_grid_outside_the_importers_scope_are_refused(client, tree, worker):
    login(client, worker)
    upload(client, good_file(tree["grid_b"].code), mode="skip")
    job = last_job(worker)
    assert not Building.objects.exists() and not Resident.objects.exists()
    first = job.report[0]
    assert first["sheet"] == "楼栋" and first["problems"][0] == {
        "column": "网格编码",
        "message": f"“{tree['grid_b'].code}”不是您负责的网格的编码。",
    }
    # A code that does not exist reads the same: codes cannot be probed.
    upload(client, good_file("NO-SUCH-GRID"))
    assert last_job(worker).report[0]["problems"][0]["message"] == "“NO-SUCH-GRID”不是您负责的网格的编码。"


def test_an_id_number_registered_in_another_grid_is_not_taken_over(client, tree, worker):
    other = make_resident(household_of(make_building(tree["grid_b"]), "1-101"), name="王秀兰", id_number=ELDER_ID)
    login(client, worker)
    upload(client, good_file(tree["grid_a"].code), mode="skip")
    rows = report_rows(last_job(worker))
    assert rows[2] == {"身份证号": "该身份证号码的居民已登记。"}
    other.refresh_from_db()
    assert other.grid == tree["grid_b"]


@pytest.mark.parametrize(
    "name, content",
    [
        ("居民.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 200),  # a picture renamed
        ("居民.xlsx", "姓名,身份证号\n王秀兰,210681194803150028\n".encode()),  # a CSV renamed
        ("居民.xlsx", None),  # a ZIP archive that is not a workbook
    ],
)
def test_a_file_that_is_not_an_xlsx_workbook_is_refused_by_its_content(client, tree, worker, name, content):
    if content is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("readme.txt", "not a workbook")
        content = out.getvalue()
    login(client, worker)
    response = upload(client, content, name=name)
    assert response.status_code == 400
    assert "这不是 Excel 工作簿（.xlsx）" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_workbook_is_accepted_whatever_its_name(client, tree, worker):
    login(client, worker)
    upload(client, good_file(tree["grid_a"].code), name="data.csv")
    assert last_job(worker).written


def test_size_and_row_limits(client, tree, worker, monkeypatch):
    login(client, worker)
    monkeypatch.setattr(import_service, "MAX_BYTES", 1000)
    response = upload(client, good_file(tree["grid_a"].code))
    assert response.status_code == 400 and "文件超过 0 MB" in response.content.decode()
    monkeypatch.setattr(import_service, "MAX_BYTES", 10 * 1024 * 1024)
    monkeypatch.setattr(import_service, "MAX_ROWS", 5)
    upload(client, good_file(tree["grid_a"].code))
    job = last_job(worker)
    assert job.file_errors == ["文件超过 5 行，请拆分成几个文件。"] and not Building.objects.exists()


def test_the_template_has_the_sheets_lists_and_an_example_that_is_never_imported(client, tree, worker):
    login(client, worker)
    response = client.get(reverse("governance:import_template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert {"楼栋", "房屋", "居民"} <= set(wb.sheetnames)
    assert [c.value for c in wb["居民"][1]] == list(RESIDENT_COLUMNS.values())
    assert wb["楼栋"]["A2"].value.startswith("示例")
    options = wb["选项"]
    assert options.sheet_state == "hidden"
    assert [c.value for c in options["A"][1:] if c.value] == [tree["grid_a"].code]  # only the grids they keep
    relations = [c.value for c in options["D"][1:] if c.value]
    assert relations[:4] == ["户主", "配偶", "子女", "父母"]  # not machina's 上级 for "Parent"
    lists = [v.formula1 for v in wb["房屋"].data_validations.dataValidation]
    assert any("选项" in f and "$C$" in f for f in lists)  # the status drop-down
    upload(client, response.content)
    assert last_job(worker).file_errors == ["文件中没有可导入的行。"]


# --- The background task -------------------------------------------------------------------------


def test_a_large_file_runs_as_a_task_with_progress_and_a_notification(
    client, tree, worker, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(import_service, "INLINE_MAX_BYTES", 100)  # every test file is "large"
    monkeypatch.setattr(import_service, "PROGRESS_EVERY", 2)
    login(client, worker)
    content = good_file(tree["grid_a"].code)  # once: a workbook carries the time it was written
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client, content)
    job = last_job(worker)
    assert job.status == ImportJob.Status.QUEUED and len(callbacks) == 1
    # Kept encrypted while it waits: the stored bytes are not the workbook.
    stored = default_storage.open(job.stored_file).read()
    assert not stored.startswith(b"PK") and decrypt_bytes(stored) == content
    status = client.get(reverse("governance:import_job_status", args=[job.pk])).json()
    assert status == {"status": "queued", "label": "排队中", "progress": 0.0, "finished": False, "stalled": False}
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-progress"' in page and "governance/imports.js" in page

    callbacks[0]()  # the commit: the ImmediateBackend runs the task now
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.written and job.progress == 1.0
    assert client.get(reverse("governance:import_job_status", args=[job.pk])).json()["finished"] is True
    assert Resident.objects.count() == 4 and job.stored_file == ""
    note = Notification.objects.get(recipient=worker, kind="governance.import")
    assert note.url == reverse("governance:import_job", args=[job.pk])
    # A second delivery of the same task finds the job taken and does nothing.
    assert import_job_run(job_id=job.pk, attempt=job.attempt) == "skipped"


def test_a_job_whose_worker_died_fails_and_its_upload_is_removed(client, tree, worker, monkeypatch):
    monkeypatch.setattr(import_service, "INLINE_MAX_BYTES", 100)
    login(client, worker)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: None)
        upload(client, good_file(tree["grid_a"].code))
    job = last_job(worker)
    stored = job.stored_file
    # Claimed by a worker that then died: no heartbeat for longer than STALL_AFTER.
    late = timezone.now() - import_service.STALL_AFTER - datetime.timedelta(minutes=1)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CHECKING, heartbeat_at=late)
    status = client.get(reverse("governance:import_job_status", args=[job.pk])).json()
    assert status["stalled"] is True
    assert "导入已停止响应" in client.get(reverse("governance:import_job", args=[job.pk])).content.decode()
    assert default_storage.exists(stored)
    upload(client, good_file(tree["grid_a"].code))  # the next upload ends it
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.stored_file == "" and not default_storage.exists(stored)
    assert "系统错误" in client.get(reverse("governance:import_job", args=[job.pk])).content.decode()


# Transactional: the worker commits and closes its connection, as it does in production.
@pytest.mark.django_db(transaction=True)
def test_the_database_backend_worker_runs_the_import(client, tree, worker, monkeypatch):
    monkeypatch.setattr(import_service, "INLINE_MAX_BYTES", 100)
    login(client, worker)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}):
        from django_tasks_db.models import DBTaskResult

        upload(client, good_file(tree["grid_a"].code))
        job = last_job(worker)
        assert job.status == ImportJob.Status.QUEUED
        assert DBTaskResult.objects.filter(task_path="governance.tasks.import_job_run_task").count() == 1
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.written, job.error_detail
    assert Resident.objects.count() == 4


# --- Export --------------------------------------------------------------------------------------


@pytest.fixture
def residents(tree):
    a = household_of(make_building(tree["grid_a"], number="3"), "1-101")
    b = household_of(make_building(tree["grid_b"], number="1"), "1-101")
    elder = make_resident(
        a, name="王秀兰", birth_year=1948, phone="13812345678", id_number=ELDER_ID, tags=["elderly_alone"]
    )
    make_resident(a, name="李小明", birth_year=THIS_YEAR - 9, relation="grandchild", guardian=elder)
    make_resident(b, name="赵德胜", birth_year=1970, phone="13998765432")
    return elder


def export(client, **data):
    return client.post(reverse("governance:export"), data)


def sheet_rows(response, title):
    return [[c.value for c in row] for row in load_workbook(io.BytesIO(response.content))[title].iter_rows(min_row=2)]


def test_export_holds_the_persons_scope_masked_and_is_audited(client, tree, worker, residents):
    login(client, worker)
    response = export(client)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    people = sheet_rows(response, "居民")
    assert [r[2] for r in people] == ["王秀兰", "李*明"]  # grid_b's resident is not theirs; a minor masked
    assert people[0][5] == ELDER_ID[:2] + "*" * 12 + ELDER_ID[-4:] and people[0][6] == "138****5678"
    assert people[0][7] == "独居老人" and people[1][8] == "王秀兰"
    assert ELDER_ID.encode() not in response.content and b"13812345678" not in response.content
    assert [r[1] for r in sheet_rows(response, "楼栋")] == [Building.objects.get(grid=tree["grid_a"]).name]
    assert len(sheet_rows(response, "房屋")) == 2 * 3 * 2
    audit = AuditLog.objects.get(action="governance.export")
    assert audit.actor == worker and audit.detail == {
        "area": "",
        "revealed": False,
        "rows": {"buildings": 1, "households": 12, "residents": 2},
    }


def test_full_numbers_need_a_reason_which_is_audited_without_the_values(client, tree, worker, residents):
    login(client, worker)
    response = export(client, reveal="on", reason="  ")
    assert response.status_code == 400 and "请说明查看完整信息的原因。" in response.content.decode()
    assert not AuditLog.objects.filter(action__startswith="governance.export").exists()
    response = export(client, reveal="on", reason="核对低保名单", area=str(tree["grid_a"].pk))
    people = sheet_rows(response, "居民")
    assert people[0][5] == ELDER_ID and people[0][6] == "13812345678" and people[1][2] == "李小明"
    audit = AuditLog.objects.get(action="governance.export.reveal")
    assert audit.detail["reason"] == "核对低保名单" and audit.detail["area"] == tree["grid_a"].code
    assert audit.object_id == str(tree["grid_a"].pk)
    assert ELDER_ID not in json.dumps(audit.detail) and "13812345678" not in json.dumps(audit.detail)


def test_a_revealed_export_goes_back_in_unchanged(client, tree, worker, residents):
    login(client, worker)
    content = export(client, reveal="on", reason="年度核对").content
    upload(client, content)
    job = last_job(worker)
    assert job.written, job.report
    assert job.summary["total"]["rows"] == 1 + 12 + 2
    assert job.summary["total"] == {"rows": 15, "unchanged": 15}


# --- Who may do what ------------------------------------------------------------------------------


def user_for(role, tree, scope_key):
    if role == Role.MEMBER:
        return make_user_with_role(role, party_org=make_party_org())
    if role == Role.DEPARTMENT_STAFF:
        return make_user_with_role(role, department=make_department(tree["city"]))
    return make_user_with_role(role, **({"area": tree[scope_key]} if scope_key else {}))


# role, scope → may import (page + template), may export, may export grid_a's data, may import into grid_a
MATRIX = [
    (Role.GRID_WORKER, "grid_a", True, True, True, True),
    (Role.GRID_WORKER, "grid_b", True, True, False, False),
    (Role.COMMUNITY_STAFF, "village_a", True, True, True, True),
    (Role.COMMUNITY_STAFF, "village_b", True, True, False, False),
    (Role.TOWN_STAFF, "town_a", True, True, True, True),
    (Role.TOWN_STAFF, "town_b", True, True, False, False),
    # The operations centre sees the whole city and keeps no grid's records (core.access.can_change_area).
    (Role.OPS_ADMIN, None, False, True, True, False),
    (Role.DEPARTMENT_STAFF, None, False, False, False, False),
    (Role.MEMBER, None, False, False, False, False),
    (Role.RESIDENT, "grid_a", False, False, False, False),
]


@pytest.mark.parametrize("role, scope, may_import, may_export, sees_a, imports_a", MATRIX)
def test_access_matrix(client, tree, role, scope, may_import, may_export, sees_a, imports_a):
    user = user_for(role, tree, scope)
    login(client, user)
    expected = 200 if may_import else 404
    assert client.get(reverse("governance:import_start")).status_code == expected
    assert client.get(reverse("governance:import_template")).status_code == expected
    assert client.get(reverse("governance:export")).status_code == (200 if may_export else 404)
    grid_a = tree["grid_a"].pk
    assert client.get(reverse("governance:export") + f"?area={grid_a}").status_code == (200 if sees_a else 404)
    assert export(client, area=str(grid_a)).status_code == (200 if sees_a else 404)
    if may_import:
        upload(client, good_file(tree["grid_a"].code))
        assert last_job(user).written is imports_a
    nav = client.get(reverse("core:me")).content.decode() if may_export else ""
    if may_export:
        assert (reverse("governance:import_start") in nav) is may_import
        assert reverse("governance:export") in nav


def test_an_import_report_is_its_importers_alone(client, tree, worker):
    login(client, worker)
    upload(client, bad_file(tree["grid_a"].code))
    job = last_job(worker)
    colleague = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    login(client, colleague)
    assert client.get(reverse("governance:import_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("governance:import_job_status", args=[job.pk])).status_code == 404
    assert client.get(reverse("governance:import_job", args=[job.pk + 1000])).status_code == 404
    client.logout()
    assert client.get(reverse("governance:import_job_status", args=[job.pk])).status_code == 302
