"""Progress: merging what members actually watched, completion, and the seconds of the learning record.

The player reports the intervals it *played* (a seek starts a new interval, so skipping ahead
leaves a gap), and the server keeps their union per member and lesson — several devices simply
add their intervals. A lesson completes at 90 % of its duration covered; an article when the
reader reaches its end, a link when it is opened.

Reports are checked, not trusted: a bounded number of intervals, each inside the lesson, and no
more played time than the wall-clock time since that device's last report allows at the fastest
playback speed the player offers. The reference time comes from a signed ticket the lesson page
hands the player (user, lesson, a device nonce, the time it was issued), so a first report cannot
claim an hour either, and nothing is written when the page is merely opened. A report over budget
is refused whole and the player keeps its intervals; since the budget grows with time, the next
report carries them.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Iterable

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from learning.models import LearningDay, LessonKind, LessonPage, LessonProgress
from learning.signals import announce, learning_credited, lesson_completed

MAX_PLAYBACK_RATE = 2.0  # the fastest speed the player offers
BUDGET_SLACK_SECONDS = 3.0  # network and timer jitter
MAX_INTERVALS_PER_REPORT = 50
TICKET_MAX_AGE = 24 * 3600
COMPLETE_FRACTION = 0.9
MAX_DEVICES_KEPT = 8
TICKET_SALT = "learning.progress.ticket"
EDGE_TOLERANCE = 1.0  # players may report a hair past the end


def _expired_message() -> str:
    return _("This page has expired. Reload it to go on recording your progress.")


class ProgressError(Exception):
    """A report that cannot be accepted; the message is for the member, in their language, and the
    code for the client ("expired": fetch a new ticket; "over_budget": keep the intervals, retry later)."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def progress_ticket(
    *, user: User, lesson: LessonPage, issued_at: float | None = None, device: str | None = None
) -> str:
    payload = {
        "u": user.pk,
        "l": lesson.pk,
        "d": device or secrets.token_hex(6),
        "t": round(time.time() if issued_at is None else issued_at, 3),
    }
    return signing.dumps(payload, salt=TICKET_SALT, compress=False)


def _read_ticket(ticket: str, *, user: User, lesson: LessonPage, now: float) -> tuple[str, float]:
    try:
        data = signing.loads(str(ticket or ""), salt=TICKET_SALT)
    except signing.BadSignature:
        raise ProgressError(_expired_message(), "expired") from None
    if not isinstance(data, dict) or data.get("u") != user.pk or data.get("l") != lesson.pk:
        raise ProgressError(_expired_message(), "expired")
    issued = float(data.get("t") or 0)
    if not (0 < issued <= now + 5) or now - issued > TICKET_MAX_AGE:
        raise ProgressError(_expired_message(), "expired")
    return str(data.get("d") or "")[:24], issued


def merge_intervals(intervals: Iterable[Iterable[float]]) -> list[list[float]]:
    """The union of [start, end] intervals, sorted, touching ones joined."""
    merged: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in intervals):
        if merged and start <= merged[-1][1] + 0.05:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [[round(s, 2), round(e, 2)] for s, e in merged]


def covered_seconds(intervals: Iterable[Iterable[float]]) -> float:
    return sum(max(0.0, float(e) - float(s)) for s, e in intervals)


def _clean_intervals(raw, duration: float) -> list[list[float]]:
    if not isinstance(raw, list | tuple):
        raise ProgressError(_("The progress report is not in the expected form."))
    if len(raw) > MAX_INTERVALS_PER_REPORT:
        raise ProgressError(
            _("Too many pieces in one progress report (at most %(n)d).") % {"n": MAX_INTERVALS_PER_REPORT}
        )
    cleaned = []
    for item in raw:
        try:
            start, end = (float(v) for v in item)
        except (TypeError, ValueError):
            raise ProgressError(_("The progress report is not in the expected form.")) from None
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end < start:
            raise ProgressError(_("The progress report is not in the expected form."))
        if end > duration + EDGE_TOLERANCE:
            raise ProgressError(_("The progress report goes past the end of the lesson."))
        end = min(end, duration)
        if end - start > 0:
            cleaned.append([start, end])
    return merge_intervals(cleaned)


def _locked_progress(user: User, lesson: LessonPage) -> LessonProgress:
    course = lesson.course_page()
    try:
        with transaction.atomic():
            progress, _created = LessonProgress.objects.select_for_update().get_or_create(
                user=user, lesson=lesson, defaults={"course": course}
            )
    except IntegrityError:  # two devices' first reports at once: the other one created it
        progress = LessonProgress.objects.select_for_update().get(user=user, lesson=lesson)
    return progress


def _credit(*, user: User, lesson: LessonPage, seconds: float) -> None:
    if seconds <= 0:
        return
    day = timezone.localdate()
    row, _created = LearningDay.objects.get_or_create(
        user=user, lesson=lesson, day=day, defaults={"course": lesson.course_page(), "seconds": 0.0}
    )
    LearningDay.objects.filter(pk=row.pk).update(seconds=F("seconds") + round(seconds, 2))
    announce(learning_credited, user_id=user.pk, course_id=row.course_id, day=day, seconds=round(seconds, 2))


def _announce_completed(progress: LessonProgress) -> None:
    announce(
        lesson_completed,
        user_id=progress.user_id,
        course_id=progress.course_id,
        lesson_id=progress.lesson_id,
        completed_at=progress.completed_at,
    )


def progress_report(
    *,
    user: User,
    lesson: LessonPage,
    ticket: str,
    intervals,
    position: float | None = None,
    now: float | None = None,
) -> LessonProgress:
    """Merge what one device played since its last report. Raises ProgressError."""
    if not lesson.is_media:
        raise ProgressError(_("This lesson has no video or audio to report progress on."))
    duration = lesson.duration()
    if duration <= 0:
        raise ProgressError(_("This lesson's media is not ready yet."), "not_ready")
    now = time.time() if now is None else now
    device, issued = _read_ticket(ticket, user=user, lesson=lesson, now=now)
    report = _clean_intervals(intervals, duration)
    claimed = covered_seconds(report)
    with transaction.atomic():
        progress = _locked_progress(user, lesson)
        since = float(progress.devices.get(device) or issued)
        budget = max(0.0, now - since) * MAX_PLAYBACK_RATE + BUDGET_SLACK_SECONDS
        if claimed > budget:
            raise ProgressError(
                _("The report claims more playing time than has passed since the last one; it was not counted."),
                "over_budget",
            )
        before = progress.watched_seconds
        progress.intervals = merge_intervals([*progress.intervals, *report])
        progress.watched_seconds = round(min(duration, covered_seconds(progress.intervals)), 2)
        if position is not None:
            try:
                position = float(position)
            except (TypeError, ValueError):
                position = None
            if position is not None and math.isfinite(position):
                progress.position = round(min(max(position, 0.0), duration), 2)
        devices = dict(progress.devices)
        devices[device] = round(now, 3)
        progress.devices = dict(sorted(devices.items(), key=lambda kv: kv[1])[-MAX_DEVICES_KEPT:])
        completed = progress.completed_at is None and progress.watched_seconds >= COMPLETE_FRACTION * duration
        if completed:
            progress.completed_at = timezone.now()
        progress.save()
        if completed:
            _announce_completed(progress)
        _credit(user=user, lesson=lesson, seconds=progress.watched_seconds - before)
    return progress


def min_read_seconds(lesson: LessonPage) -> float:
    """How long an article must have been open before reaching its end counts as reading it."""
    return min(30.0, max(5.0, lesson.study_minutes * 60 * 0.2))


def lesson_mark_done(
    *, user: User, lesson: LessonPage, ticket: str | None = None, now: float | None = None
) -> LessonProgress:
    """An article read to its end, or an external link opened: the lesson is complete.

    Credits the lesson's study time to the learning record once, on completion."""
    now = time.time() if now is None else now
    if lesson.kind == LessonKind.ARTICLE:
        _device, issued = _read_ticket(ticket or "", user=user, lesson=lesson, now=now)
        if now - issued < min_read_seconds(lesson):
            raise ProgressError(_("Take your time: read the article before marking it as read."), "too_soon")
    elif lesson.kind != LessonKind.LINK:
        raise ProgressError(_("Video and audio lessons complete by watching or listening."))
    with transaction.atomic():
        progress = _locked_progress(user, lesson)
        if progress.completed_at is None:
            progress.completed_at = timezone.now()
            progress.watched_seconds = float(lesson.study_minutes * 60)
            progress.save()
            _announce_completed(progress)
            _credit(user=user, lesson=lesson, seconds=progress.watched_seconds)
    return progress
