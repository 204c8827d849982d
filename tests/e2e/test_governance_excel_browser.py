"""Excel import in Chromium on a phone against a real Daphne: a grid worker uploads a workbook through
the page and reads the report per row and column; a queued (background) import's page shows its
progress bar, polls its status while a worker runs the job, and turns into the report by itself.

Rows are made before the browser starts and checked after it has closed: Playwright's sync API runs
an event loop in this thread, and Django refuses ORM calls in it while one runs (the job runs in
a thread of its own, as a worker would).
"""

from __future__ import annotations

import io
import secrets
import threading

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import close_old_connections
from openpyxl import Workbook

from core.crypto import encrypt_bytes
from core.models import Role
from core.services.orgs import membership_grant
from core.tests.factories import UserFactory, make_tree
from governance.models import ImportJob, Resident
from governance.services.imports import BUILDING_COLUMNS, RESIDENT_COLUMNS, import_job_run
from governance.tests.factories import valid_id_number
from tests.support import launched_chromium, live_db, sign_in, unique_name

pytestmark = [pytest.mark.browser, pytest.mark.daphne, live_db]

TIMEOUT_MS = 30_000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def workbook(grid_code: str, residents: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "楼栋"
    ws.append(list(BUILDING_COLUMNS.values()))
    ws.append([grid_code, "阳光小区3号楼", "3", "阳光路18号3号楼", 2, 6, 2])
    ws = wb.create_sheet("居民")
    ws.append(list(RESIDENT_COLUMNS.values()))
    for row in residents:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def setup(transactional_db, tmp_path):
    tree = make_tree()
    worker = UserFactory(username=unique_name("gridworker"), name="孙海燕")
    membership_grant(user=worker, role=Role.GRID_WORKER, area=tree["grid_a"])
    code = tree["grid_a"].code
    right = valid_id_number(1948, 28)
    mistyped = right[:-1] + ("1" if right[-1] != "1" else "2")
    bad = workbook(
        code,
        [
            [code, "3-1-101", "王秀兰", 1948, "户主", mistyped],
            [code, "3-1-101", "李国强", 1985, "子女", "", "12345"],
        ],
    )
    good = workbook(code, [[code, "3-1-101", "王秀兰", 1948, "户主", right]])
    # A job as the queue hands it to a worker: its upload stored encrypted, waiting.
    stored = default_storage.save(f"governance/imports/{secrets.token_hex(8)}.bin", ContentFile(encrypt_bytes(good)))
    job = ImportJob.objects.create(
        source_name="大文件.xlsx",
        source_size=len(good),
        stored_file=stored,
        language="zh-hans",
        attempt=1,
        created_by=worker,
    )
    path = tmp_path / "居民.xlsx"
    path.write_bytes(bad)
    return {"worker": worker, "job": job, "bad_file": path}


def test_upload_report_and_a_background_import_that_finishes_while_watched(setup, daphne):
    base = daphne.url
    job = setup["job"]
    outcome: dict = {}

    def run_worker() -> None:
        try:
            outcome["status"] = import_job_run(job_id=job.pk, attempt=1)
        finally:
            close_old_connections()

    with launched_chromium() as browser:
        context = browser.new_context(**PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        sign_in(page, base, setup["worker"].username, next_url="/governance/imports/")
        assert page.locator("h1").inner_text() == "从 Excel 导入楼栋、房屋和居民"
        page.locator("#id_file").set_input_files(str(setup["bad_file"]))
        page.get_by_role("button", name="检查并导入").click()
        page.wait_for_selector("#import-report")
        assert "没有导入任何数据" in page.locator("#import-outcome").inner_text()
        rows = page.locator("#import-rows tbody tr").all_inner_texts()
        assert any("身份证号" in r and "校验位" in r and "王*兰" in r for r in rows), rows
        assert any("手机号" in r and "11 位" in r for r in rows), rows
        scroll, width = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= width, f"the report scrolls sideways on a phone: {scroll} > {width}"

        page.goto(f"{base}/governance/imports/{job.pk}/")
        assert page.locator("[data-label]").inner_text() == "排队中"
        assert page.locator("progress[data-bar]").is_visible()
        worker_thread = threading.Thread(target=run_worker)
        worker_thread.start()
        # No reload by the test: the page's own polling notices the end and shows the report.
        page.wait_for_selector("#import-report", timeout=TIMEOUT_MS)
        worker_thread.join(timeout=30)
        assert page.locator("#import-outcome").inner_text() == "已导入。"
        assert page.locator("#count-created").inner_text() == "2"
    assert outcome["status"] == ImportJob.Status.DONE
    assert Resident.objects.filter(name="王秀兰").count() == 1
