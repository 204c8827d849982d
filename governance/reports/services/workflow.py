"""The report's state machine (接诉即办). Every transition:

1. locks the report row (`select_for_update`, real on PostgreSQL) and checks the current status
   and who is acting; anything else is refused with a `TransitionRefusedError` in plain Chinese;
2. writes with one conditional UPDATE on (id, status, version), so even without row locks
   (SQLite) two people acting at once cannot both move it: the second gets "already handled";
3. appends a numbered `ReportEvent` (the timeline and audit trail, seq == the new version),
   applies the assignment's change to the review rollups, queues notifications;
4. after commit, pushes `report.changed` to the report's open pages.

    pending ─dispatch→ dispatched ─sign→ signed ─resolve→ resolved ─rate→ closed
       │                  │  return                ↑ reopen (不满意, once)   │
       │                  ↓                        └────────────────────────┘
       └─dismiss      returned ─arbitrate→ dispatched (may not be returned again)
    open ─merge→ merged          resolved ─(7 days unrated)→ closed "not rated"
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import is_city_wide, memberships_of
from core.layers import layer_push
from core.models import Department, Role, User
from core.services.notifications import notification_send_many
from governance.reports.models import (
    Assignment,
    Category,
    DispatchRule,
    Priority,
    Rating,
    Report,
    ReportEvent,
    ReportFollower,
)
from governance.reports.services import rollups
from governance.reports.services.calendar import deadline_after
from governance.reports.signals import announce_report_changed

logger = logging.getLogger(__name__)

S = Report.Status
A = ReportEvent.Action

UNRATED_CLOSE_AFTER = dt.timedelta(days=7)
DEFAULT_DEADLINE_HOURS = 72
DEFAULT_SIGN_HOURS = 4
MAX_EXTENSION_HOURS = 24 * 30


class TransitionRefusedError(Exception):
    """A transition that is not allowed now or not for this person; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def now() -> dt.datetime:
    # Whole seconds: rollups sum handling times in seconds and must equal the SQL sum exactly.
    return timezone.now().replace(microsecond=0)


def report_group(report_id: int) -> str:
    return f"reports.report.{report_id}"


def _push_changed(report_id: int, seq: int, status: str) -> None:
    # Best effort: the page replays from the database by its last seq.
    layer_push(
        report_group(report_id),
        {"type": "report.changed", "seq": seq, "status": status},
        what=f"push of report {report_id}",
    )


# --- who may act -------------------------------------------------------------------------------


def department_ids_of(user: User) -> set[int]:
    """The departments a person acts for: staff only (a supervisor oversees, the staff sign and resolve)."""
    return {m.department_id for m in memberships_of(user) if m.role == Role.DEPARTMENT_STAFF and m.department_id}


def is_handler(user: User, report: Report) -> bool:
    return report.department_id is not None and report.department_id in department_ids_of(user)


def _require(condition: bool) -> None:
    if not condition:
        raise TransitionRefusedError(_("You may not do this with this report."))


def _require_status(report: Report, *allowed: str, action: str) -> None:
    if report.status not in allowed:
        raise TransitionRefusedError(
            _("This report is “%(status)s”: it cannot be %(action)s now.")
            % {"status": report.get_status_display(), "action": action}
        )


# --- recipients ---------------------------------------------------------------------------------


def department_staff(department_id: int) -> list[User]:
    return list(
        User.objects.filter(
            memberships__role=Role.DEPARTMENT_STAFF, memberships__department_id=department_id, is_active=True
        ).distinct()
    )


def department_supervisors(department_id: int) -> list[User]:
    return list(
        User.objects.filter(
            memberships__role=Role.DEPARTMENT_SUPERVISOR, memberships__department_id=department_id, is_active=True
        ).distinct()
    )


def ops_admins() -> list[User]:
    return list(User.objects.filter(memberships__role=Role.OPS_ADMIN, is_active=True).distinct())


def followers_of(report: Report) -> list[User]:
    return list(User.objects.filter(pk__in=ReportFollower.objects.filter(report=report).values("user_id")))


@dataclass
class Notice:
    recipients: list[User]
    title: str
    body: str = ""


def _notify(report: Report, notices: list[Notice]) -> None:
    url = reverse("governance:reports:detail", args=[report.pk])
    for n in notices:
        if n.recipients:
            notification_send_many(recipients=n.recipients, kind="reports.report", title=n.title, body=n.body, url=url)


# --- the one way a report moves -----------------------------------------------------------------


def _move(
    report: Report,
    *,
    action: str,
    to_status: str,
    by: User | None,
    at: dt.datetime,
    note: str = "",
    data: dict | None = None,
    fields: dict | None = None,
) -> ReportEvent:
    """Write the new status and fields if nobody moved the report since we read it, and log it."""
    fields = dict(fields or {})
    updated = Report.objects.filter(pk=report.pk, status=report.status, version=report.version).update(
        status=to_status, version=F("version") + 1, updated_at=at, **fields
    )
    if not updated:
        raise TransitionRefusedError(_("Someone else has just acted on this report. Reload the page and try again."))
    event = ReportEvent.objects.create(
        report=report,
        seq=report.version + 1,
        action=action,
        from_status=report.status,
        to_status=to_status,
        actor=by,
        department_id=fields.get("department_id", report.department_id),
        note=note,
        data=data or {},
        created_at=at,
    )
    from_status = report.status
    report.status, report.version, report.updated_at = to_status, report.version + 1, at
    for k, v in fields.items():
        setattr(report, k, v)
    seq, rid = report.version, report.pk
    transaction.on_commit(lambda: _push_changed(rid, seq, to_status))
    announce_report_changed(rid, to_status, action)
    logger.info("report %s: %s %s → %s by %s", rid, action, from_status, to_status, getattr(by, "pk", None))
    return event


def _locked(report: Report) -> Report:
    """The report re-read under a row lock (PostgreSQL) inside the caller's transaction."""
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("category", "department", "assignment")
        .get(pk=report.pk)
    )


def _track(assignment: Assignment, change: Callable[[Assignment], None]) -> None:
    before = rollups.contribution(assignment)
    change(assignment)
    assignment.save()
    rollups.rollup_track(assignment, before)


# --- dispatch -----------------------------------------------------------------------------------


def rule_for(*, category: Category, grid) -> DispatchRule | None:
    """The most specific active rule: an area rule for the grid or above (deepest first), else the city's."""
    rules = list(DispatchRule.objects.filter(category=category, is_active=True).select_related("area", "department"))
    area_rules = [r for r in rules if r.area_id and grid is not None and grid.path.startswith(r.area.path)]
    if area_rules:
        return max(area_rules, key=lambda r: r.area.depth)
    return next((r for r in rules if r.area_id is None), None)


def _dispatch(
    report: Report,
    *,
    department: Department,
    deadline_hours: int,
    sign_hours: int,
    priority: int,
    by: User | None,
    at: dt.datetime,
    action: str,
    note: str = "",
    by_arbitration: bool = False,
    working_days: bool = False,
) -> None:
    assignment = Assignment.objects.create(
        report=report,
        department=department,
        grid_id=report.grid_id,
        dispatched_at=at,
        sign_deadline=deadline_after(at, sign_hours, working_days=working_days),
        deadline=deadline_after(at, deadline_hours, working_days=working_days),
        deadline_hours=deadline_hours,
        working_days=working_days,
        by_arbitration=by_arbitration,
    )
    rollups.rollup_track(assignment, None)
    _move(
        report,
        action=action,
        to_status=S.DISPATCHED,
        by=by,
        at=at,
        note=note,
        data={"department": department.name, "deadline_hours": deadline_hours, "working_days": working_days},
        fields={
            "department_id": department.pk,
            "assignment_id": assignment.pk,
            "deadline": assignment.deadline,
            "priority": priority,
        },
    )
    report.department, report.assignment = department, assignment
    title = _("New report %(number)s (%(category)s), deadline %(deadline)s") % {
        "number": report.number,
        "category": report.category.name,
        "deadline": timezone.localtime(assignment.deadline).strftime("%Y-%m-%d %H:%M"),
    }
    _notify(
        report,
        [
            Notice(department_staff(department.pk), title),
            Notice(
                followers_of(report),
                _("Your report %(number)s was passed to %(department)s")
                % {"number": report.number, "department": department.name},
            ),
        ],
    )


def report_auto_dispatch(*, report: Report, at: dt.datetime) -> bool:
    """Dispatch by rule right after submission; without a rule it waits in the centre's queue."""
    rule = rule_for(category=report.category, grid=report.grid)
    if rule is None:
        _notify(
            report, [Notice(ops_admins(), _("Report %(number)s needs manual dispatch") % {"number": report.number})]
        )
        return False
    _dispatch(
        report,
        department=rule.department,
        deadline_hours=rule.deadline_hours,
        sign_hours=rule.sign_hours,
        priority=rule.priority,
        by=None,
        at=at,
        action=A.DISPATCH,
        note=_("Dispatched automatically by rule"),
        working_days=rule.working_days,
    )
    return True


def report_dispatch(
    *, report: Report, by: User, department: Department, deadline_hours: int | None = None, note: str = ""
) -> Report:
    """The centre dispatches a pending report by hand."""
    _require(is_city_wide(by))
    with transaction.atomic():
        report = _locked(report)
        _require_status(report, S.PENDING, action=_("dispatched"))
        rule = rule_for(category=report.category, grid=report.grid)
        _dispatch(
            report,
            department=department,
            deadline_hours=deadline_hours or (rule.deadline_hours if rule else DEFAULT_DEADLINE_HOURS),
            sign_hours=rule.sign_hours if rule else DEFAULT_SIGN_HOURS,
            priority=rule.priority if rule else Priority.NORMAL,
            by=by,
            at=now(),
            action=A.DISPATCH,
            note=note,
            working_days=bool(rule and rule.working_days),
        )
    return report


def report_arbitrate(
    *, report: Report, by: User, department: Department, note: str, deadline_hours: int | None = None
) -> Report:
    """The centre decides a returned report: it goes (back) to a department that may not return it again."""
    _require(is_city_wide(by))
    if not note.strip():
        raise TransitionRefusedError(_("Give the reason for the decision."))
    with transaction.atomic():
        report = _locked(report)
        _require_status(report, S.RETURNED, action=_("decided"))
        rule = rule_for(category=report.category, grid=report.grid)
        _dispatch(
            report,
            department=department,
            deadline_hours=deadline_hours or (rule.deadline_hours if rule else DEFAULT_DEADLINE_HOURS),
            sign_hours=rule.sign_hours if rule else DEFAULT_SIGN_HOURS,
            priority=report.priority,
            by=by,
            at=now(),
            action=A.ARBITRATE,
            note=note.strip(),
            by_arbitration=True,
            working_days=bool(rule and rule.working_days),
        )
    return report


# --- the department -----------------------------------------------------------------------------


def report_sign(*, report: Report, by: User) -> Report:
    with transaction.atomic():
        report = _locked(report)
        _require(is_handler(by, report))
        _require_status(report, S.DISPATCHED, action=_("signed for"))
        at = now()
        _track(report.assignment, lambda a: setattr(a, "signed_at", at))
        _move(report, action=A.SIGN, to_status=S.SIGNED, by=by, at=at)
        _notify(
            report,
            [
                Notice(
                    followers_of(report),
                    _("%(department)s is handling your report") % {"department": report.department},
                )
            ],
        )
    return report


def report_return(*, report: Report, by: User, reason: str) -> Report:
    """Not ours: back to the centre, which decides. After the centre's decision there is no second return."""
    reason = reason.strip()
    if not reason:
        raise TransitionRefusedError(_("Give the reason for returning the report."))
    with transaction.atomic():
        report = _locked(report)
        _require(is_handler(by, report))
        _require_status(report, S.DISPATCHED, action=_("returned"))
        if report.assignment.by_arbitration:
            raise TransitionRefusedError(
                _(
                    "The operations centre has decided that your department handles this report; "
                    "it cannot be returned again."
                )
            )
        at = now()

        def change(a: Assignment) -> None:
            a.returned_at, a.return_reason = at, reason[:300]

        _track(report.assignment, change)
        _move(
            report,
            action=A.RETURN,
            to_status=S.RETURNED,
            by=by,
            at=at,
            note=reason,
            fields={"deadline": None},
        )
        _notify(
            report,
            [
                Notice(
                    ops_admins(),
                    _("%(department)s returned report %(number)s")
                    % {"department": report.department, "number": report.number},
                    reason,
                )
            ],
        )
    return report


def report_progress(*, report: Report, by: User, note: str) -> Report:
    note = note.strip()
    if not note:
        raise TransitionRefusedError(_("Write what has been done."))
    with transaction.atomic():
        report = _locked(report)
        _require(is_handler(by, report))
        _require_status(report, S.SIGNED, action=_("updated"))
        _move(report, action=A.PROGRESS, to_status=S.SIGNED, by=by, at=now(), note=note)
        _notify(
            report,
            [Notice(followers_of(report), _("Progress on your report %(number)s") % {"number": report.number}, note)],
        )
    return report


def report_request_extension(*, report: Report, by: User, hours: int, reason: str) -> Report:
    reason = reason.strip()
    if not reason:
        raise TransitionRefusedError(_("Give the reason for the extension."))
    if not 1 <= hours <= MAX_EXTENSION_HOURS:
        raise TransitionRefusedError(_("An extension is between 1 hour and 30 days."))
    with transaction.atomic():
        report = _locked(report)
        _require(is_handler(by, report))
        _require_status(report, S.SIGNED, action=_("extended"))
        if report.pending_extension_hours:
            raise TransitionRefusedError(_("An extension request is already waiting for the centre."))
        _move(
            report,
            action=A.EXTENSION_REQUEST,
            to_status=S.SIGNED,
            by=by,
            at=now(),
            note=reason,
            data={"hours": hours},
            fields={"pending_extension_hours": hours, "pending_extension_reason": reason[:300]},
        )
        _notify(
            report,
            [Notice(ops_admins(), _("Extension requested for report %(number)s") % {"number": report.number}, reason)],
        )
    return report


def report_decide_extension(*, report: Report, by: User, approve: bool, note: str = "") -> Report:
    _require(is_city_wide(by))
    with transaction.atomic():
        report = _locked(report)
        _require_status(report, S.SIGNED, action=_("extended"))
        if not report.pending_extension_hours:
            raise TransitionRefusedError(_("There is no extension request to decide."))
        hours = report.pending_extension_hours
        fields: dict = {"pending_extension_hours": None, "pending_extension_reason": ""}
        if approve:
            # On the stint's own clock: an extension of 24 working hours skips the weekend too.
            deadline = deadline_after(report.assignment.deadline, hours, working_days=report.assignment.working_days)

            def change(a: Assignment) -> None:
                # A new deadline gets its own reminder and, if missed too, its own 督办. `overdue`
                # stays: the stint did pass a deadline, and the figures count that.
                a.deadline, a.extended, a.reminded_at, a.escalated_at = deadline, True, None, None

            _track(report.assignment, change)
            fields["deadline"] = deadline
        action = A.EXTENSION_APPROVE if approve else A.EXTENSION_REJECT
        _move(
            report, action=action, to_status=S.SIGNED, by=by, at=now(), note=note, data={"hours": hours}, fields=fields
        )
        title = (
            _("Extension approved for report %(number)s") if approve else _("Extension refused for report %(number)s")
        ) % {"number": report.number}
        _notify(report, [Notice(department_staff(report.department_id), title, note)])
    return report


def report_resolve(*, report: Report, by: User, result: str, photos: list | None = None) -> Report:
    """办结: the department's result (text + photos). The reporter confirms and rates it."""
    from governance.reports.services.photos import photos_attach

    result = result.strip()
    if not result:
        raise TransitionRefusedError(_("Describe the result."))
    with transaction.atomic():
        report = _locked(report)
        _require(is_handler(by, report))
        _require_status(report, S.SIGNED, action=_("resolved"))
        at = now()

        def change(a: Assignment) -> None:
            a.resolved_at = at
            if at > a.deadline:
                a.overdue = True

        _track(report.assignment, change)
        _move(
            report,
            action=A.RESOLVE,
            to_status=S.RESOLVED,
            by=by,
            at=at,
            note=result,
            fields={"result_text": result, "resolved_at": at, "pending_extension_hours": None},
        )
        if photos:
            photos_attach(report=report, photos=photos, kind="result", by=by)
        _notify(
            report,
            [
                Notice(
                    followers_of(report),
                    _("Your report %(number)s has a result: please confirm and rate it") % {"number": report.number},
                )
            ],
        )
    return report


# --- the reporter -------------------------------------------------------------------------------


def report_rate(*, report: Report, by: User, rating: str, comment: str = "") -> Report:
    """满意/基本满意 close it; 不满意 reopens it once to the same department, then closes."""
    if rating not in (Rating.SATISFIED, Rating.BASIC, Rating.UNSATISFIED):
        raise TransitionRefusedError(_("Choose a rating."))
    comment = comment.strip()[:500]
    if rating == Rating.UNSATISFIED and not comment:
        raise TransitionRefusedError(_("Tell the department what is still wrong."))
    with transaction.atomic():
        report = _locked(report)
        _require(report.reporter_id == by.pk)
        _require_status(report, S.RESOLVED, action=_("rated"))
        at = now()
        assignment = report.assignment
        if rating == Rating.UNSATISFIED and report.reopened_count == 0:
            # The same time again, on the same clock (the rule's hours; older stints: their span).
            hours = assignment.deadline_hours or max(
                1, round((assignment.deadline - assignment.dispatched_at).total_seconds() / 3600)
            )
            deadline = deadline_after(at, hours, working_days=assignment.working_days)

            def reopen(a: Assignment) -> None:
                # The result is withdrawn: the department's 办结 counts again only when it resolves again.
                # The new deadline is reminded and, when missed, escalated (督办) afresh.
                a.resolved_at, a.reopened, a.deadline = None, True, deadline
                a.reminded_at, a.escalated_at = None, None

            _track(assignment, reopen)
            _move(
                report,
                action=A.REOPEN,
                to_status=S.SIGNED,
                by=by,
                at=at,
                note=comment,
                data={"rating": rating},
                fields={"reopened_count": 1, "resolved_at": None, "deadline": deadline, "rating_comment": comment},
            )
            _notify(
                report,
                [
                    Notice(
                        department_staff(report.department_id),
                        _("Report %(number)s reopened: the reporter is not satisfied") % {"number": report.number},
                        comment,
                    )
                ],
            )
            return report
        _track(assignment, lambda a: setattr(a, "rating", rating))
        _move(
            report,
            action=A.RATE,
            to_status=S.CLOSED,
            by=by,
            at=at,
            note=comment,
            data={"rating": rating},
            fields={"rating": rating, "rating_comment": comment, "closed_at": at},
        )
        _notify(
            report,
            [
                Notice(
                    department_staff(report.department_id),
                    _("Report %(number)s rated: %(rating)s")
                    % {"number": report.number, "rating": Rating(rating).label},
                    comment,
                )
            ],
        )
    return report


# --- the centre ---------------------------------------------------------------------------------


def report_dismiss(*, report: Report, by: User, reason: str) -> Report:
    _require(is_city_wide(by))
    reason = reason.strip()
    if not reason:
        raise TransitionRefusedError(_("Give the reason for dismissing the report."))
    with transaction.atomic():
        report = _locked(report)
        _require_status(report, S.PENDING, S.RETURNED, action=_("dismissed"))
        at = now()
        _move(report, action=A.DISMISS, to_status=S.DISMISSED, by=by, at=at, note=reason, fields={"closed_at": at})
        _notify(
            report,
            [
                Notice(
                    followers_of(report), _("Your report %(number)s was dismissed") % {"number": report.number}, reason
                )
            ],
        )
    return report


def report_merge(*, report: Report, into: Report, by: User | None) -> Report:
    """Handle two reports of one problem once: this one closes as merged, its followers follow `into`."""
    if by is not None and not is_city_wide(by) and report.reporter_id != by.pk:
        raise TransitionRefusedError(_("You may not do this with this report."))
    if report.pk == into.pk or into.merged_into_id:
        raise TransitionRefusedError(_("A report cannot be merged into itself or into a merged report."))
    with transaction.atomic():
        # Lock both in id order, so two merges crossing each other cannot deadlock.
        first, second = sorted([report, into], key=lambda r: r.pk)
        locked = {r.pk: _locked(r) for r in (first, second)}
        report, into = locked[report.pk], locked[into.pk]
        _require_status(report, *Report.OPEN_STATUSES, action=_("merged"))
        _require_status(into, *Report.OPEN_STATUSES, S.RESOLVED, action=_("merged"))
        if report.category_id != into.category_id:
            raise TransitionRefusedError(_("Only reports of the same category can be merged."))
        at = now()
        if report.assignment_id and report.status in (S.DISPATCHED, S.SIGNED):
            # Its department's stint ends as if returned: it is handled once, under `into`.
            _track(report.assignment, lambda a: setattr(a, "returned_at", at))
        _move(
            report,
            action=A.MERGE,
            to_status=S.MERGED,
            by=by,
            at=at,
            data={"into": into.pk},
            fields={"merged_into_id": into.pk, "closed_at": at, "deadline": None},
        )
        users = set(ReportFollower.objects.filter(report=report).values_list("user_id", flat=True))
        have = set(ReportFollower.objects.filter(report=into).values_list("user_id", flat=True))
        ReportFollower.objects.bulk_create([ReportFollower(report=into, user_id=u) for u in users - have])
        _move(into, action=A.MERGE, to_status=into.status, by=by, at=at, data={"merged": report.pk})
        _notify(
            report,
            [
                Notice(
                    followers_of(report),
                    _("Your report was merged with %(number)s: follow it there") % {"number": into.number},
                )
            ],
        )
    return into


# --- the clock (periodic task) ------------------------------------------------------------------


def reminder_lead(a: Assignment) -> dt.timedelta:
    """Remind a quarter of the time before the deadline, at most a day before."""
    return min(dt.timedelta(hours=24), (a.deadline - a.dispatched_at) / 4)


def _claimed(a: Assignment, field: str, *, at: dt.datetime) -> Report | None:
    """The report, locked, if `a` is still its open assignment and `field` was unset and is now ours.

    The claim is one conditional UPDATE: of two ticks running at once (or a retry), exactly one wins.
    """
    report = _locked(a.report)
    if report.assignment_id != a.pk or report.status not in (S.DISPATCHED, S.SIGNED):
        return None
    if not Assignment.objects.filter(pk=a.pk, **{f"{field}__isnull": True}).update(**{field: at}):
        return None
    return report


def _remind(a: Assignment, *, at: dt.datetime) -> int:
    with transaction.atomic():
        report = _claimed(a, "reminded_at", at=at)
        if report is None:
            return 0
        _move(report, action=A.REMIND, to_status=report.status, by=None, at=at)
        title = _("Deadline soon: report %(number)s is due %(deadline)s") % {
            "number": report.number,
            "deadline": timezone.localtime(a.deadline).strftime("%m-%d %H:%M"),
        }
        _notify(report, [Notice(department_staff(report.department_id), title)])
    return 1


def _escalate(a: Assignment, *, at: dt.datetime) -> int:
    """督办 once per deadline: flag it overdue, tell its staff, its supervisor and the centre. A moved
    deadline (reopened, extended) clears `escalated_at`, so missing the new one escalates again."""
    with transaction.atomic():
        report = _claimed(a, "escalated_at", at=at)
        if report is None:
            return 0
        assignment = report.assignment

        def change(x: Assignment) -> None:
            x.overdue, x.escalated_at = True, at

        _track(assignment, change)
        supervisors = department_supervisors(report.department_id)
        _move(
            report,
            action=A.ESCALATE,
            to_status=report.status,
            by=None,
            at=at,
            note=_("Deadline passed: escalated to the department's supervisor and the centre"),
            data={"supervisors": len(supervisors), "deadline": assignment.deadline.isoformat()},
        )
        values = {"number": report.number, "department": report.department}
        escalated = _unique(supervisors + ops_admins())
        told = {u.pk for u in escalated}
        _notify(
            report,
            [
                Notice(
                    [u for u in department_staff(report.department_id) if u.pk not in told],
                    _("Overdue: report %(number)s has passed its deadline, handle it now") % values,
                ),
                Notice(escalated, _("Escalated (督办): report %(number)s of %(department)s is overdue") % values),
            ],
        )
    return 1


def _unique(users: list[User]) -> list[User]:
    seen: dict[int, User] = {}
    for u in users:
        seen.setdefault(u.pk, u)
    return list(seen.values())


def reports_tick(*, at: dt.datetime | None = None) -> dict[str, int]:
    """Reminders before the deadline, the overdue flag with escalation (督办), and closing unrated results."""
    at = at or now()
    counts = {"reminded": 0, "overdue": 0, "closed_unrated": 0}
    open_assignments = Assignment.objects.filter(
        report__status__in=(S.DISPATCHED, S.SIGNED), resolved_at__isnull=True, returned_at__isnull=True
    ).select_related("report", "report__category", "department")
    # Not filtered on `overdue`: that flag records that the stint ever passed a deadline (the
    # figures count it), while `escalated_at` is cleared whenever the deadline moves.
    for a in open_assignments.filter(escalated_at__isnull=True, deadline__lte=at):
        try:
            counts["overdue"] += _escalate(a, at=at)
        except TransitionRefusedError:  # someone acted on it this instant: the next tick looks again
            continue
    for a in open_assignments.filter(reminded_at__isnull=True, deadline__gt=at):
        if a.deadline - reminder_lead(a) > at:
            continue
        try:
            counts["reminded"] += _remind(a, at=at)
        except TransitionRefusedError:  # someone acted on it this instant: the next tick looks again
            continue
    for report in Report.objects.filter(status=S.RESOLVED, resolved_at__lte=at - UNRATED_CLOSE_AFTER).iterator():
        with transaction.atomic():
            report = _locked(report)
            if report.status != S.RESOLVED:
                continue
            _track(report.assignment, lambda x: setattr(x, "rating", Rating.NOT_RATED))
            _move(
                report,
                action=A.CLOSE,
                to_status=S.CLOSED,
                by=None,
                at=at,
                note=_("Not rated in time: closed as not rated"),
                fields={"rating": Rating.NOT_RATED, "closed_at": at},
            )
            counts["closed_unrated"] += 1
    return counts
