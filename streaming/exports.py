"""The attendance report as an Excel workbook (openpyxl): a summary, one row per venue, one per person."""

from __future__ import annotations

import datetime
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from streaming.selectors import AttendanceReport

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str) -> str:
    """Text as text: a leading = + - @ would make a spreadsheet run it as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _local(value: datetime.datetime | None) -> datetime.datetime | None:
    # Excel has no time zones: the local wall-clock time, as shown on the site.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], *, first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([cell_text(v) if isinstance(v, str) else v for v in row])
    for index, column in enumerate(header, 1):
        width = max([len(str(column))] + [len(str(r[index - 1] or "")) for r in rows[:200]]) + 4
        ws.column_dimensions[get_column_letter(index)].width = min(60, width * 1.6)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    ws.freeze_panes = "A2"
    return ws


def attendance_workbook(report: AttendanceReport) -> bytes:
    event = report.event
    totals = report.totals
    wb = Workbook()
    _sheet(
        wb,
        _("Summary"),
        [_("Item"), _("Value")],
        [
            [_("Event"), event.title],
            [_("Organiser"), event.organiser.get_full_name()],
            [_("Scheduled start"), _local(event.scheduled_start)],
            [_("Started"), _local(event.started_at)],
            [_("Ended"), _local(event.ended_at)],
            [_("Minutes on air"), _minutes(event.duration_seconds)],
            [_("Invited venues"), totals.venues_invited],
            [_("Venues checked in"), totals.venues_checked_in],
            [_("People at venues"), totals.headcount],
            [_("Members watching on their own"), totals.personal],
            [_("Participant-times"), totals.participants],
            [_("Questions"), report.questions],
            [_("Chat messages"), report.chat_messages],
        ],
        first=True,
    )
    venue_rows = []
    for row in report.venues:
        intervals = "; ".join(
            f"{timezone.localtime(start):%H:%M}–{timezone.localtime(end):%H:%M}" for start, end in row.intervals
        )
        venue_rows.append(
            [
                row.venue.name,
                _("Main venue") if row.venue.pk == event.main_venue_id else _("Branch venue"),
                _local(row.checked_in_at),
                row.headcount,
                len(row.members),
                intervals,
                _minutes(row.online_seconds),
            ]
        )
    _sheet(
        wb,
        _("Venues"),
        [
            _("Venue"),
            _("Kind"),
            _("Checked in at"),
            _("Headcount"),
            _("Members ticked present"),
            _("Online"),
            _("Minutes online"),
        ],
        venue_rows,
    )
    _sheet(
        wb,
        _("Members"),
        [_("Name"), _("Username"), _("How"), _("Venue"), _("First seen"), _("Minutes credited")],
        [
            [
                m.user.get_full_name(),
                m.user.username,
                _("At a venue") if m.venue else _("On their own"),
                m.venue.name if m.venue else "",
                _local(m.first_seen_at),
                _minutes(m.seconds),
            ]
            for m in report.members
        ],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
