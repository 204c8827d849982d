"""The annual (or any period's) review table as an Excel workbook."""

from __future__ import annotations

import datetime as dt
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font


def _columns() -> list[tuple[str, str]]:
    return [
        (_("Received"), "received"),
        (_("Signed on time"), "signed_on_time"),
        (_("Resolved"), "resolved"),
        (_("Resolved on time"), "resolved_on_time"),
        (_("Returned"), "returned"),
        (_("Extended"), "extended"),
        (_("Overdue"), "overdue"),
        (_("Average handling time (hours)"), "average_hours"),
        (_("Resolution rate (%)"), "resolution_rate"),
        (_("On-time resolution rate (%)"), "on_time_rate"),
        (_("Satisfaction rate (%)"), "satisfaction_rate"),
        (_("Rated"), "rated"),
    ]


def review_workbook(*, period: str, start: dt.date, dept_rows: list, area_rows: list) -> bytes:
    wb = Workbook()
    sheets = [(wb.active, _("Departments"), dept_rows), (wb.create_sheet(), _("Areas"), area_rows)]
    for ws, title, rows in sheets:
        ws.title = title
        ws.append([_("Performance review"), f"{period} {start:%Y-%m-%d}"])
        ws.append([title] + [label for label, _attr in _columns()])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([row.name] + [getattr(row, attr) for _label, attr in _columns()])
        ws.column_dimensions["A"].width = 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
