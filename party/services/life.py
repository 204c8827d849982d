"""Organisational life (三会一课): meetings the branch enters, and those linked in automatically.

A live lesson that a branch's venue checked in to, and an online course its members completed,
become the branch's party lectures without anyone typing them in. Linking is idempotent (one row per
organisation and source, enforced by unique indexes), so it can run from a page, a command or a
timer as often as anyone likes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import PartyOrg, User
from core.services.audit import audit_record
from party.models import Meeting, MeetingKind, MemberRecord
from party.signals import announce_life_changed

MEETING_FIELDS = ("kind", "held_on", "topic", "place", "expected", "present", "notes")


def meeting_save(
    *,
    by: User,
    org: PartyOrg,
    data: dict[str, Any],
    attendees: list[MemberRecord] | None = None,
    meeting: Meeting | None = None,
    request: HttpRequest | None = None,
) -> Meeting:
    if data.get("held_on") and data["held_on"] > timezone.localdate():
        raise ValidationError({"held_on": _("A meeting is recorded once it has been held.")})
    with transaction.atomic():
        if meeting is None:
            meeting = Meeting(org=org, recorded_by=by)
        elif meeting.org_id != org.pk:
            raise ValidationError(_("The meeting belongs to another organisation."))
        for name in MEETING_FIELDS:
            if name in data and data[name] is not None:
                setattr(meeting, name, data[name])
        if attendees is not None:
            meeting.present = max(meeting.present, len(attendees))
        if not meeting.expected:
            meeting.expected = MemberRecord.objects.filter(branch=org, state=MemberRecord.State.ACTIVE).count()
        meeting.full_clean(exclude=["org", "live_event", "course", "recorded_by"])
        meeting.save()
        announce_life_changed([org.pk])
        if attendees is not None:
            meeting.attendees.set([a for a in attendees if a.branch_id == org.pk])
        audit_record(actor=by, action="party.meeting.save", obj=meeting, request=request)
    return meeting


def _active_counts(org_ids: set[int]) -> dict[int, int]:
    rows = (
        MemberRecord.objects.filter(branch_id__in=org_ids, state=MemberRecord.State.ACTIVE)
        .values("branch_id")
        .annotate(n=Count("id"))
    )
    return {r["branch_id"]: r["n"] for r in rows}


def life_link_live_events(*, orgs: Q | None = None, event_ids: Iterable[int] | None = None) -> int:
    """A finished live event that one of an organisation's venues checked in to becomes a party
    lecture of that organisation, with the members the venue ticked present. `event_ids` narrows
    it to those events (the receiver of an event's end)."""
    from streaming.models import LiveEvent, VenueAttendance

    attendance = VenueAttendance.objects.filter(
        checked_in_at__isnull=False,
        venue__party_org__isnull=False,
        event__state__in=[LiveEvent.State.ENDED, LiveEvent.State.REPLAY_READY],
    )
    if orgs is not None:
        attendance = attendance.filter(venue__party_org__in=PartyOrg.objects.filter(orgs))
    linked_meetings = Meeting.objects.filter(live_event__isnull=False)
    if event_ids is not None:
        event_ids = list(event_ids)
        attendance = attendance.filter(event_id__in=event_ids)
        linked_meetings = linked_meetings.filter(live_event_id__in=event_ids)
    linked = set(linked_meetings.values_list("org_id", "live_event_id"))
    todo: dict[tuple[int, int], dict] = {}
    for row in attendance.values(
        "pk",
        "event_id",
        "venue__party_org_id",
        "venue__name",
        "headcount",
        "event__title",
        "event__started_at",
        "event__scheduled_start",
    ):
        key = (row["venue__party_org_id"], row["event_id"])
        if key in linked:
            continue
        item = todo.setdefault(key, {**row, "headcount": 0, "attendance_ids": []})
        item["headcount"] += row["headcount"]
        item["attendance_ids"].append(row["pk"])
    if not todo:
        return 0
    expected = _active_counts({org_id for org_id, _event in todo})
    meetings = []
    for (org_id, event_id), row in todo.items():
        start = row["event__started_at"] or row["event__scheduled_start"]
        meetings.append(
            Meeting(
                org_id=org_id,
                live_event_id=event_id,
                source=Meeting.Source.LIVE_EVENT,
                kind=MeetingKind.LECTURE,
                held_on=timezone.localdate(start),
                topic=row["event__title"][:200],
                place=row["venue__name"][:120],
                expected=expected.get(org_id, 0),
                present=row["headcount"],
            )
        )
    with transaction.atomic():
        # ignore_conflicts: a concurrent run may have linked the same pair a moment ago.
        Meeting.objects.bulk_create(meetings, ignore_conflicts=True)
        announce_life_changed(org_id for org_id, _event in todo)
        by_key = {
            (m.org_id, m.live_event_id): m.pk
            for m in Meeting.objects.filter(live_event_id__in={e for _o, e in todo}, org_id__in={o for o, _e in todo})
        }
        present = VenueAttendance.members.through.objects.filter(
            venueattendance_id__in=[i for row in todo.values() for i in row["attendance_ids"]]
        ).values_list("venueattendance__event_id", "venueattendance__venue__party_org_id", "user_id")
        records = dict(
            MemberRecord.objects.filter(user_id__in={u for _e, _o, u in present}).values_list("user_id", "pk")
        )
        through = Meeting.attendees.through
        through.objects.bulk_create(
            [
                through(meeting_id=by_key[(org_id, event_id)], memberrecord_id=records[user_id])
                for event_id, org_id, user_id in present
                if (org_id, event_id) in by_key and user_id in records
            ],
            ignore_conflicts=True,
        )
    return len(meetings)


def _completed_courses(user_ids, *, course_ids: Iterable[int] | None = None) -> dict[int, dict[int, Any]]:
    """course id → {user id: when they completed its last lesson}, for courses fully completed."""
    from wagtail.models import Page

    from learning.models import CoursePage, LessonPage, LessonProgress

    progress = LessonProgress.objects.filter(user_id__in=user_ids, completed_at__isnull=False)
    if course_ids is not None:
        progress = progress.filter(course_id__in=list(course_ids))
    rows = list(progress.values("course_id", "user_id").annotate(n=Count("id"), last=Max("completed_at")))
    if not rows:
        return {}
    courses = dict(CoursePage.objects.filter(pk__in={r["course_id"] for r in rows}).values_list("path", "pk"))
    lessons: dict[int, int] = defaultdict(int)
    condition = Q()
    for path in courses:
        condition |= Q(path__startswith=path)
    for path in LessonPage.objects.live().filter(condition).values_list("path", flat=True):
        course_id = courses.get(path[: -Page.steplen])
        if course_id:
            lessons[course_id] += 1
    done: dict[int, dict[int, Any]] = defaultdict(dict)
    for r in rows:
        if lessons.get(r["course_id"]) and r["n"] >= lessons[r["course_id"]]:
            done[r["course_id"]][r["user_id"]] = r["last"]
    return done


def life_link_courses(
    *, orgs: Q | None = None, user_ids: Iterable[int] | None = None, course_ids: Iterable[int] | None = None
) -> int:
    """An online course completed by members of a branch becomes that branch's party lecture, dated
    by the latest completion, attended by the members who completed it. Returns rows created or grown.
    `user_ids` narrows it to those members' branches, `course_ids` to those courses (the receiver
    of a completed lesson)."""
    from learning.models import CoursePage

    records = MemberRecord.objects.filter(user__isnull=False, state=MemberRecord.State.ACTIVE)
    if orgs is not None:
        records = records.filter(branch__in=PartyOrg.objects.filter(orgs))
    if user_ids is not None:
        # Everyone of those members' branches: the branch's meeting counts all who completed it.
        records = records.filter(branch__in=records.filter(user_id__in=list(user_ids)).values("branch_id"))
    by_user = {user_id: (pk, branch_id) for pk, user_id, branch_id in records.values_list("pk", "user_id", "branch_id")}
    if not by_user:
        return 0
    # A subquery rather than thousands of ids in an IN list (SQLite binds each one).
    done = _completed_courses(records.values("user_id"), course_ids=course_ids)
    wanted: dict[tuple[int, int], dict[int, Any]] = defaultdict(dict)
    for course_id, users in done.items():
        for user_id, when in users.items():
            record_id, org_id = by_user[user_id]
            wanted[(org_id, course_id)][record_id] = when
    if not wanted:
        return 0
    existing = {
        (m.org_id, m.course_id): m
        for m in Meeting.objects.filter(course_id__in={c for _o, c in wanted}, org_id__in={o for o, _c in wanted})
    }
    titles = dict(CoursePage.objects.filter(pk__in={c for _o, c in wanted}).values_list("pk", "title"))
    expected = _active_counts({o for o, _c in wanted})
    changed = 0
    through = Meeting.attendees.through
    with transaction.atomic():
        for (org_id, course_id), members in wanted.items():
            held_on = timezone.localdate(max(members.values()))
            meeting = existing.get((org_id, course_id))
            if meeting is not None and meeting.present >= len(members):
                continue
            if meeting is None:
                meeting = Meeting(
                    org_id=org_id,
                    course_id=course_id,
                    source=Meeting.Source.COURSE,
                    kind=MeetingKind.LECTURE,
                    topic=_("Online course: %(title)s") % {"title": titles.get(course_id, "")},
                )
            meeting.held_on, meeting.present = held_on, len(members)
            meeting.expected = max(expected.get(org_id, 0), len(members))
            meeting.save()
            through.objects.bulk_create(
                [through(meeting_id=meeting.pk, memberrecord_id=r) for r in members], ignore_conflicts=True
            )
            changed += 1
            announce_life_changed([org_id])
    return changed


def org_life_sync(*, orgs: Q | None = None) -> int:
    """Link in everything the platform already knows (live lessons, courses) for these organisations."""
    return life_link_live_events(orgs=orgs) + life_link_courses(orgs=orgs)
