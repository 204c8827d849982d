"""The attendance report as an Excel workbook (openpyxl): a summary, one row per venue, one per person."""

from __future__ import annotations

import datetime
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheets import cell_text
from core.spreadsheets import workbook_sheet as _sheet
from streaming.selectors import AttendanceReport, VenueReportRow

__all__ = ["attendance_workbook", "cell_text"]  # cell_text: other apps' exports import it from here


def _attendance(row: VenueReportRow) -> str:
    """The same word the report page shows beside the venue."""
    if row.absent:
        return str(_("Absent"))
    return str(_("Checked in") if row.checked_in_at else _("Online, not checked in"))


def _local(value: datetime.datetime | None) -> datetime.datetime | None:
    # Excel has no time zones: the local wall-clock time, as shown on the site.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


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
            [_("Venues that did not take part"), len(report.absent_venues)],
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
                _attendance(row),
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
            _("Attendance"),
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
