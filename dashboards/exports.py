"""A dashboard as an Excel workbook: one sheet per chart, its table and its provenance."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from dashboards.registry import Dashboard
from dashboards.selectors import ChartView, Period

SHEET_TITLE_MAX = 31
FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})


def workbook_for(
    *, dashboard: Dashboard, node, period: Period, charts: list[ChartView], as_of: datetime.datetime
) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for chart in charts:
        title = chart.title.translate(FORBIDDEN)[:SHEET_TITLE_MAX] or chart.key
        while title in used:
            title = (title[: SHEET_TITLE_MAX - 2] + "_" + str(len(used)))[:SHEET_TITLE_MAX]
        used.add(title)
        sheet = book.create_sheet(title)
        sheet.append([chart.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append([_("Scope"), node.name])
        sheet.append([_("Period"), period.label])
        sheet.append([_("As of"), timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M")])
        for metric in chart.metrics:
            sheet.append([str(metric.label), str(metric.counts), str(metric.records)])
        sheet.append([])
        sheet.append(chart.columns)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in chart.rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 28
    return book
