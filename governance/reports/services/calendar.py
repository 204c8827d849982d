"""The deadline clock: round-the-clock hours, or hours that run on working days only.

A working day is Monday to Friday unless the work calendar (CalendarDay, kept by the operations
centre) says otherwise: a public holiday on a weekday rests, a make-up working day on a weekend
(调休) works. On a working day the clock runs all 24 hours (a 72-hour rule is three working days);
on any other day it stands still. A report dispatched on a Saturday therefore starts its clock on
Monday at 00:00, and one dispatched on Friday at 10:00 with 72 hours is due on Wednesday at 10:00.

Local time (settings.TIME_ZONE) decides where a day begins. The calendar is read once per call for
the days the deadline can reach, so a dispatch costs one small query.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from governance.reports.models import CalendarDay

# However the calendar is filled in, a deadline never lies further than this: a calendar that rests
# for this long is a data error, and the round-the-clock deadline is used instead.
MAX_SPAN_DAYS = 366


class WorkCalendar:
    """Working or not, for the days from `first` on (the calendar's rows for that window, read once)."""

    def __init__(self, first: dt.date, days: int) -> None:
        self.first, self.last = first, first + dt.timedelta(days=days)
        self.overrides = dict(
            CalendarDay.objects.filter(date__gte=self.first, date__lte=self.last).values_list("date", "kind").order_by()
        )

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def is_working_day(self, day: dt.date) -> bool:
        kind = self.overrides.get(day)
        if kind == CalendarDay.Kind.HOLIDAY:
            return False
        if kind == CalendarDay.Kind.WORKDAY:
            return True
        return day.weekday() < 5


def is_working_day(day: dt.date) -> bool:
    return WorkCalendar(day, 0).is_working_day(day)


def _midnight_after(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def deadline_after(start: dt.datetime, hours: float, *, working_days: bool) -> dt.datetime:
    """The moment `hours` of the clock have run from `start`."""
    length = dt.timedelta(hours=hours)
    if not working_days or length <= dt.timedelta(0):
        return start + length
    local = timezone.localtime(start)
    day = local.date()
    # Rest days are at most a few in a row, but the window is read generously once.
    calendar = WorkCalendar(day, int(hours // 24) * 3 + 40)
    cursor, remaining = local, length
    for _ in range(MAX_SPAN_DAYS):
        next_midnight = _midnight_after(day)
        if calendar.is_working_day(day):
            span = next_midnight - cursor
            if remaining <= span:
                return cursor + remaining
            remaining -= span
        cursor, day = next_midnight, day + dt.timedelta(days=1)
        if not calendar.covers(day):
            calendar = WorkCalendar(day, 60)
    return start + length
