"""Visits (定期联系走访): recording one, raising what it found as a problem report, daily reminders.

A resident's visit plan (`Resident.last_visited_on` / `next_visit_due`) changes in the same
transaction as the visit that moves it, so "due" and "overdue" stay index reads on residents and
never need the visits table, however many years of visits it holds.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import Area, Membership, Role, User
from core.services.audit import audit_record
from core.services.notifications import notification_send
from governance.models import Resident, Visit, VisitReminder
from governance.reports.models import Category, Report, ReporterKind, Source
from governance.reports.services.photos import photo_process, photos_process
from governance.reports.services.submit import report_submit
from governance.selectors import VISIT_DUE_WINDOW, VisitCounts, visit_counts_by_grid
from governance.services.residents import visit_plan_for
from governance.signals import announce_visit_recorded

REMINDER_KIND = "governance.visits.reminder"
# The same visit sent again within this time is a retry, not a second visit.
REPEAT_WINDOW = datetime.timedelta(minutes=10)


def visit_record(
    *,
    resident: Resident,
    by: User,
    visited_on: datetime.date,
    outcome: str,
    note: str = "",
    photo: File | None = None,
) -> Visit:
    """Save a visit and move the resident's plan on from it.

    `photo` is the uploaded file: sniffed, turned upright, shrunk and re-encoded without
    metadata (the reports' photo pipeline), so no camera position or device reaches the disk.
    The same visit sent twice within minutes (a double tap, a retry on a flaky connection) is
    saved once: the second call returns the first visit.
    """
    today = timezone.localdate()
    if visited_on > today:
        raise ValidationError({"visited_on": _("The date of the visit cannot be in the future.")})
    if outcome not in Visit.Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome of the visit.")})
    note = note.strip()
    # Before the lock: decoding and re-encoding a large photo takes a moment.
    processed = photos_process([photo])[0] if photo else None
    with transaction.atomic():
        # Locked: two people recording visits to the same resident at once must not lose the later date.
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.moved_out_on is not None:
            raise ValidationError(_("This resident has moved out: visits are no longer recorded."))
        if resident.moved_in_on and visited_on < resident.moved_in_on:
            raise ValidationError({"visited_on": _("The date of the visit is before the resident moved in.")})
        repeat = Visit.objects.filter(
            resident=resident,
            visitor=by,
            visited_on=visited_on,
            outcome=outcome,
            note=note,
            created_at__gte=timezone.now() - REPEAT_WINDOW,
        ).first()
        if repeat is not None:
            return repeat
        visit = Visit(
            resident=resident, grid_id=resident.grid_id, visited_on=visited_on, outcome=outcome, note=note, visitor=by
        )
        visit.full_clean(exclude=["photo"])
        if processed is not None:
            visit.photo.save("visit.jpg", ContentFile(processed.content), save=False)
        visit.save()
        # A visit entered late (an older date) never moves the plan backwards.
        last = max(d for d in (resident.last_visited_on, visited_on) if d is not None)
        interval, due = visit_plan_for(list(resident.care_tags.all()), last_visited_on=last, today=today)
        resident.last_visited_on, resident.visit_interval_days, resident.next_visit_due = last, interval, due
        resident.save(update_fields=["last_visited_on", "visit_interval_days", "next_visit_due", "updated_at"])
        audit_record(
            actor=by,
            action="governance.visit.record",
            obj=resident,
            detail={"visit": visit.pk},  # what was found stays on the visit, not in the log
        )
        announce_visit_recorded(visit_id=visit.pk, grid_id=visit.grid_id, visited_on=visited_on, outcome=outcome)
    return visit


def visit_report(visit: Visit) -> Report | None:
    """The problem report raised from this visit, if any."""
    return Report.objects.filter(visit_id=visit.pk).first()


def visit_raise_report(*, visit: Visit, by: User, category: Category, description: str, address: str) -> Report:
    """Raise what a visit found as a 拍一拍 problem report, placed in the visit's grid.

    Once per visit: a second attempt (a double tap, a colleague) returns the report already raised.
    The visit's photo goes with the report, re-encoded again like any uploaded photo.
    """
    if not visit.needs_action:
        raise ValidationError(_("Only a visit that found a need for help or something abnormal can be raised."))
    existing = visit_report(visit)
    if existing is not None:
        return existing
    photos = []
    if visit.photo:
        with visit.photo.open("rb") as f:
            photos.append(photo_process(f.read()))
    household = visit.resident.household if visit.resident.household_id else None
    submitted = report_submit(
        reporter=by,
        category=category,
        description=description,
        address=address,
        grid=visit.grid,
        # The home visited places the report (its building's point and grid), as a reporter's pick would.
        household=household,
        reporter_kind=ReporterKind.GRID_WORKER,
        idempotency_key=f"visit-{visit.pk}",
        photos=photos,
        source=Source.VISIT,
        visit_id=visit.pk,
    )
    return submitted.report


def _reminder_text(overdue: int, due: int) -> str:
    if overdue and due:
        return _("%(overdue)d overdue and %(due)d due this week") % {"overdue": overdue, "due": due}
    if overdue:
        return _("%(overdue)d overdue") % {"overdue": overdue}
    return _("%(due)d due this week") % {"due": due}


def visits_remind(*, at: datetime.datetime | None = None) -> int:
    """Tell each grid worker, once a day, how many of their residents are due for a visit or overdue;
    for a grid without a grid worker, its community's staff (or its town's, without them).

    Run every minute (`manage.py serve` does): the first run from settings.VISIT_REMINDER_HOUR on sends
    (nobody is woken by one at night), the rest of the day's runs find the day's reminder rows and send
    nothing. Returns how many were sent.
    """
    at = timezone.localtime(at or timezone.now())
    if at.hour < settings.VISIT_REMINDER_HOUR:
        return 0
    today = at.date()
    done = set(VisitReminder.objects.filter(day=today).values_list("user_id", flat=True))
    grids_of: dict[int, set[int]] = defaultdict(set)
    kept: set[int] = set()  # grids with an active grid worker
    for user_id, grid_id in Membership.objects.filter(
        role=Role.GRID_WORKER, area__isnull=False, user__is_active=True
    ).values_list("user_id", "area_id"):
        kept.add(grid_id)
        if user_id not in done:
            grids_of[user_id].add(grid_id)
    counts = visit_counts_by_grid(grid_ids={g for grids in grids_of.values() for g in grids}, today=today)
    sent = _remind_each(grids_of, counts, today=today, url=reverse("governance:visits_mine"), unkept=False)
    # A grid without a grid worker (a vacancy, a new grid) is not forgotten: its community's staff
    # are told, or its town's when the community has none.
    unkept_of, unkept_counts = _unkept_grids_by_staff(kept, done, today=today)
    sent += _remind_each(unkept_of, unkept_counts, today=today, url=reverse("governance:visits_overview"), unkept=True)
    return sent


def _unkept_grids_by_staff(
    kept: set[int], done: set[int], *, today: datetime.date
) -> tuple[dict[int, set[int]], dict[int, VisitCounts]]:
    """Staff user → the grids without a grid worker they answer for (the nearest staff above:
    community, else town), with those grids' counts. One grouped query and one membership read."""
    rows = (
        Resident.objects.filter(moved_out_on__isnull=True, next_visit_due__isnull=False)
        .filter(next_visit_due__lt=today + VISIT_DUE_WINDOW)
        .exclude(grid_id__in=kept)
        .values_list("grid_id", flat=True)
        .distinct()
    )
    unkept = {g.pk: g for g in Area.objects.filter(pk__in=list(rows)).only("pk", "path")}
    if not unkept:
        return {}, {}
    staff = list(
        Membership.objects.filter(
            role__in=(Role.COMMUNITY_STAFF, Role.TOWN_STAFF), area__isnull=False, user__is_active=True
        ).values_list("user_id", "area__path", "area__depth")
    )
    grids_of: dict[int, set[int]] = defaultdict(set)
    for grid in unkept.values():
        above = [(depth, user_id) for user_id, path, depth in staff if grid.path.startswith(path)]
        if not above:
            continue
        nearest = max(depth for depth, _ in above)
        for depth, user_id in above:
            if depth == nearest and user_id not in done:
                grids_of[user_id].add(grid.pk)
    return grids_of, visit_counts_by_grid(grid_ids=set(unkept), today=today)


def _remind_each(
    grids_of: dict[int, set[int]], counts: dict[int, VisitCounts], *, today: datetime.date, url: str, unkept: bool
) -> int:
    users = User.objects.in_bulk(list(grids_of))
    sent = 0
    for user_id, grids in grids_of.items():
        overdue = sum(counts[g].overdue for g in grids if g in counts)
        due = sum(counts[g].due for g in grids if g in counts)
        if not (overdue or due):
            continue
        try:
            with transaction.atomic():
                # The row is the day's once-only mark: a concurrent run hits the unique constraint.
                VisitReminder.objects.create(user_id=user_id, day=today)
                # Stored and read later: written in the site's language, not the caller's.
                with translation.override(settings.LANGUAGE_CODE):
                    values = {"counts": _reminder_text(overdue, due), "n": len(grids)}
                    title = (
                        _("Visits in grids without a grid worker (%(n)d): %(counts)s") % values
                        if unkept
                        else _("Visits: %(counts)s") % values
                    )
                notification_send(recipient=users[user_id], kind=REMINDER_KIND, title=title, url=url)
        except IntegrityError:
            continue
        sent += 1
    return sent
