"""A member's own learning record as an Excel workbook: the year's progress, months, courses, live sessions."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheets import workbook_sheet
from learning.selectors import LearningRecord, YearProgress, class_hours


def record_workbook(*, name: str, record: LearningRecord, year: YearProgress, credits) -> bytes:
    wb = Workbook()
    workbook_sheet(
        wb,
        _("Summary"),
        [_("Item"), _("Value")],
        [
            [_("Name"), name],
            [_("Year"), year.year],
            [_("Required this year (class hours)"), year.required_class_hours],
            [_("Learnt this year (class hours)"), year.class_hours],
            [_("of which courses (class hours)"), year.lesson_class_hours],
            [_("of which live sessions (class hours)"), year.live_class_hours],
            [_("Lessons completed, all time"), record.completed],
            [_("Exported at"), timezone.localtime().replace(tzinfo=None)],
        ],
        first=True,
    )
    workbook_sheet(
        wb,
        _("By month"),
        [_("Month"), _("Class hours"), _("Minutes"), _("Lessons completed")],
        [[r.label, class_hours(r.seconds), r.minutes, r.completed] for r in record.months],
    )
    workbook_sheet(
        wb,
        _("By course"),
        [_("Course"), _("Class hours"), _("Minutes"), _("Lessons completed")],
        [[r.label, class_hours(r.seconds), r.minutes, r.completed] for r in record.courses],
    )
    workbook_sheet(
        wb,
        _("Live sessions"),
        [_("Live session"), _("Date"), _("How"), _("Class hours"), _("Minutes")],
        [
            [
                c.event.title,
                timezone.localtime(c.event.started_at).replace(tzinfo=None) if c.event.started_at else None,
                c.venue.name if c.venue else _("on my own"),
                class_hours(c.seconds),
                c.minutes,
            ]
            for c in credits.rows
        ],
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
