"""拍一拍 problem reports: categories, dispatch rules, reports, their department assignments, the
timeline (which is also the audit trail of every transition), photos, and the review rollups.

A report moves through `Report.Status` only via `governance.reports.services.workflow`; each
move is one conditional UPDATE on (id, status, version), so two people acting at once cannot both
win. An `Assignment` is one stint of one department with the report (dispatch → sign → resolve or
return); the performance review counts assignments, so a report returned by one department and
handled by another counts once as "returned" for the first and once as "received" for the second.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Area, Department, User


class Category(models.Model):
    """The city's tree of problem types (two levels: 市容环境 → 占道经营 …). Only leaves are reported."""

    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Also the Open311 service code."))
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    description = models.CharField(pgettext_lazy("problem report", "description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    # Neighbour disputes and the like concern private people: never listed through Open311.
    is_public = models.BooleanField(_("public through Open311"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.parent.name} · {self.name}" if self.parent_id and self.parent else self.name


class Priority(models.IntegerChoices):
    NORMAL = 1, pgettext_lazy("priority", "Normal")
    URGENT = 2, _("Urgent")


class DispatchRule(models.Model):
    """Category (+ optionally an area and everything under it) → department, deadline, priority.

    The most specific rule wins: one for the report's area (deepest first) before the city-wide one.
    """

    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        related_name="rules",
        verbose_name=pgettext_lazy("problem report", "category"),
    )
    area = models.ForeignKey(
        Area,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("area"),
        help_text=_("Leave empty for the whole city."),
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department"))
    deadline_hours = models.PositiveIntegerField(_("deadline (hours)"), default=72)
    sign_hours = models.PositiveIntegerField(_("sign within (hours)"), default=4)
    working_days = models.BooleanField(
        _("working days only"),
        default=False,
        help_text=_(
            "The deadline's hours run on working days only: weekends and the holidays of the work calendar "
            "are skipped, make-up working days count. Leave unticked for round-the-clock hours (emergencies)."
        ),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    is_active = models.BooleanField(_("in use"), default=True)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dispatch rule")
        verbose_name_plural = _("dispatch rules")
        ordering = ["category__sort_order", "category_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "area"], name="reports_rule_category_area"),
            models.UniqueConstraint(
                fields=["category"], condition=models.Q(area__isnull=True), name="reports_rule_category_citywide"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.department}"


class ReporterKind(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    RIDER = "rider", _("Red rider")
    RESIDENT = "resident", _("Resident")


class Source(models.TextChoices):
    WEB = "web", _("Phone/web")
    OPEN311 = "open311", _("Open311")
    FORUM = "forum", _("Forum question")
    VISIT = "visit", _("Grid visit")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")
    NOT_RATED = "not_rated", _("Not rated")


SATISFIED_RATINGS = (Rating.SATISFIED, Rating.BASIC)


def new_token() -> str:
    return uuid.uuid4().hex


class Report(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting dispatch")
        DISPATCHED = "dispatched", _("Dispatched, awaiting signing")
        RETURNED = "returned", _("Returned, awaiting the centre's decision")
        SIGNED = "signed", _("Being handled")
        RESOLVED = "resolved", _("Resolved, awaiting the reporter's rating")
        CLOSED = "closed", pgettext_lazy("problem report", "Closed")
        MERGED = "merged", _("Merged into another report")
        DISMISSED = "dismissed", pgettext_lazy("problem report", "Dismissed")

    OPEN_STATUSES = (Status.PENDING, Status.DISPATCHED, Status.RETURNED, Status.SIGNED)
    DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)

    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=pgettext_lazy("problem report", "category"),
    )
    description = models.TextField(pgettext_lazy("problem report", "description"), max_length=2000)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)
    address = models.CharField(pgettext_lazy("problem report", "address"), max_length=200, blank=True)
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("grid")
    )
    # Picked from the grid data instead of (or beside) a point: the grid follows from the building.
    building = models.ForeignKey(
        "governance.Building",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    household = models.ForeignKey(
        "governance.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    # The grid's materialised path, copied so that area staff's lists are one indexed prefix match.
    area_path = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    reporter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reporter"))
    reporter_kind = models.CharField(
        _("reporter type"), max_length=20, choices=ReporterKind.choices, default=ReporterKind.RESIDENT
    )
    anonymous = models.BooleanField(
        _("hide my identity from the departments"), default=False, help_text=_("Departments see “anonymous”.")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WEB)
    idempotency_key = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    version = models.PositiveIntegerField(default=0, editable=False)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    assignment = models.OneToOneField(
        "Assignment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_reports"
    )
    result_text = models.TextField(_("result"), blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0, editable=False)
    pending_extension_hours = models.PositiveIntegerField(null=True, blank=True, editable=False)
    pending_extension_reason = models.CharField(max_length=300, blank=True, editable=False)
    # The Open311 token a client gets back from POST requests.
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    forum_topic_id = models.PositiveIntegerField(null=True, blank=True, db_index=True, editable=False)
    visit_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(_("reported at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="reports_report_idempotency",
            )
        ]
        indexes = [
            models.Index(fields=["status", "department"]),
            models.Index(fields=["category", "status", "created_at"]),
            models.Index(fields=["reporter", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category.name if self.category_id else ''}"

    @property
    def number(self) -> str:
        return f"PY{self.created_at:%Y%m%d}-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ReportFollower(models.Model):
    """Everyone who follows a report: its reporter, and the reporters of reports merged into it."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="reports_follower_unique")]


class Assignment(models.Model):
    """One department's stint with a report: dispatched → (signed) → resolved, or returned."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    dispatched_at = models.DateTimeField(db_index=True)
    sign_deadline = models.DateTimeField()
    deadline = models.DateTimeField()
    # The clock it was dispatched with: a reopen gives the same time again on the same clock, and an
    # extension runs on it too. Null for stints dispatched before the clock was recorded.
    deadline_hours = models.PositiveIntegerField(null=True, blank=True)
    working_days = models.BooleanField(default=False)
    signed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=300, blank=True)
    # The centre decided this department handles it: it may not return it again (ends 退单拉锯).
    by_arbitration = models.BooleanField(default=False)
    extended = models.BooleanField(default=False)
    overdue = models.BooleanField(default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    reopened = models.BooleanField(default=False)
    rating = models.CharField(max_length=12, choices=Rating.choices, blank=True)

    class Meta:
        ordering = ["dispatched_at", "id"]
        indexes = [
            models.Index(fields=["department", "dispatched_at"]),
            models.Index(fields=["resolved_at", "returned_at", "deadline"]),
        ]


class ReportEvent(models.Model):
    """The report's timeline and the audit trail of its state machine: one row per step, numbered."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Reported")
        DISPATCH = "dispatch", _("Dispatched")
        SIGN = "sign", pgettext_lazy("report action", "Signed")
        RETURN = "return", _("Returned")
        ARBITRATE = "arbitrate", _("Centre decided")
        PROGRESS = "progress", _("Progress")
        EXTENSION_REQUEST = "extension_request", _("Extension requested")
        EXTENSION_APPROVE = "extension_approve", _("Extension approved")
        EXTENSION_REJECT = "extension_reject", _("Extension refused")
        RESOLVE = "resolve", _("Result submitted")
        RATE = "rate", _("Rated")
        REOPEN = "reopen", _("Reopened")
        CLOSE = "close", pgettext_lazy("problem report", "Closed")
        MERGE = "merge", _("Merged")
        DISMISS = "dismiss", pgettext_lazy("problem report", "Dismissed")
        REMIND = "remind", _("Deadline reminder")
        OVERDUE = "overdue", _("Overdue")
        ESCALATE = "escalate", _("Escalated (督办)")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["report", "seq"]
        constraints = [models.UniqueConstraint(fields=["report", "seq"], name="reports_event_seq")]


def photo_path(instance: ReportPhoto, filename: str) -> str:
    # Random names: a photo's address says nothing and cannot be guessed; it is served after an access check.
    return f"reports/{secrets.token_hex(2)}/{secrets.token_hex(16)}.jpg"


class ReportPhoto(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("Report photo")
        RESULT = "result", _("Result photo")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REPORT)
    image = models.FileField(upload_to=photo_path, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # Where the camera says it was taken (from EXIF, stripped from the served file): kept server-side only.
    exif_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    exif_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Open311Key(models.Model):
    """An API key the operations centre issues to a client that may POST requests. Only its hash is kept."""

    name = models.CharField(_("client name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    # Reports posted with this key are filed under this account (never a person's identity).
    account = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ReviewRollup(models.Model):
    """The performance-review figures of one department or one area for one month/quarter/year.

    Kept current by `services.rollups` as assignments change (each change applies the difference of
    the assignment's contribution); `rebuild_report_rollups` recomputes them all from the assignments.
    """

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    period = models.CharField(max_length=8, choices=Period.choices)
    period_start = models.DateField()
    # Exactly one of department/area is set (0 stands for "not this dimension": unique on both databases).
    department_id_key = models.PositiveBigIntegerField(default=0)
    area_id_key = models.PositiveBigIntegerField(default=0)
    received = models.IntegerField(default=0)
    signed_on_time = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_on_time = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    FIGURES = (
        "received",
        "signed_on_time",
        "resolved",
        "resolved_on_time",
        "returned",
        "extended",
        "overdue",
        "handling_seconds",
        "rated",
        "satisfied",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "period_start", "department_id_key", "area_id_key"], name="reports_rollup_key"
            )
        ]


class CalendarDay(models.Model):
    """A day of the work calendar that differs from the week: a public holiday falling on a weekday
    (rest), or a make-up working day falling on a weekend (调休). The operations centre enters each
    year's arrangement as the State Council publishes it; working-day deadlines read it."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(_("name"), max_length=40, blank=True, help_text=_("e.g. 国庆节"))
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("work calendar day")
        verbose_name_plural = _("work calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
