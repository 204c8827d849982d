"""Workbooks: the import template, and the members an organiser may see (phones masked)."""

from __future__ import annotations

import datetime
import io

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Font

from party.models import MemberRecord
from party.services.imports import MEMBER_COLUMNS, ORG_COLUMNS
from streaming.exports import cell_text


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], *, first: bool = False) -> None:
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([cell_text(v) if isinstance(v, str) else v for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_template() -> bytes:
    """The two sheets the import reads, with one example row each."""
    wb = Workbook()
    _sheet(
        wb,
        "党组织",
        [names[0] for names in ORG_COLUMNS.values()],
        [
            [
                "P210681101001-4",
                "东港市某村第四党支部",
                "党支部",
                "P210681101001",
                "",
                "村",
                datetime.date(2024, 7, 1),
                "王建军",
                "0415-7123456",
            ]
        ],
        first=True,
    )
    _sheet(
        wb,
        "党员",
        [names[0] for names in MEMBER_COLUMNS.values()],
        [
            [
                "李明",
                "男",
                1988,
                "P210681101001-4",
                "正式党员",
                datetime.date(2012, 6, 20),
                datetime.date(2013, 6, 20),
                "大学本科",
                "外卖骑手",
                "美团外卖",
                "13812345678",
                "宣传员",
                "短视频剪辑",
            ]
        ],
    )
    return _save(wb)


def members_workbook(records: QuerySet[MemberRecord]) -> tuple[bytes, int]:
    """The members in the import's own columns (so a corrected sheet can go back in), phones masked."""
    rows = []
    for r in records.select_related("branch").prefetch_related("talent").order_by("branch__path", "name", "id"):
        rows.append(
            [
                r.name,
                r.get_gender_display(),
                r.birth_year,
                r.branch.code,
                r.get_status_display(),
                r.joined_on,
                r.full_member_on,
                r.get_education_display() if r.education else "",
                r.get_occupation_display(),
                r.work_unit,
                r.masked_phone,
                "、".join(t.get_role_display() for t in r.talent.all()),
                r.skills,
            ]
        )
    wb = Workbook()
    _sheet(wb, "党员", [names[0] for names in MEMBER_COLUMNS.values()], rows, first=True)
    return _save(wb), len(rows)
