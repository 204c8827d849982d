"""Grid data kept by grid workers: buildings, households, residents with care tags, visits.

Residents' personal data is the most sensitive data we hold: ID and phone numbers are encrypted
at rest (core.crypto), the ID number is found again only through a keyed hash, and every reveal
or export is audited elsewhere (services).
"""

from __future__ import annotations

import datetime
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.crypto import EncryptedTextField
from core.masking import mask_id_number, mask_name, mask_phone
from core.models import Area, User
from governance.layout import MAX_FLOORS, MAX_PER_FLOOR, MAX_UNITS, Layout, household_label

# Under this age a child's data is recorded only with a guardian (PIPL art. 31).
GUARDIAN_AGE = 14
# Minors' names are masked on screen even for those allowed to see the grid.
ADULT_AGE = 18
# "Due this week": a next visit due today or in the 6 days after. A weekly visit made today is due
# again in 7 days, so the resident leaves the list until the next week comes round.
VISIT_DUE_DAYS = 7


class VisitTier(models.IntegerChoices):
    """How often someone with a care tag is visited (定期联系走访). The city sets a tier per tag."""

    WEEKLY = 7, _("Weekly")
    FORTNIGHTLY = 14, _("Every two weeks")
    MONTHLY = 30, _("Monthly")
    QUARTERLY = 91, _("Quarterly")


class CareTag(models.Model):
    """A reason a resident needs care (独居老人, 留守儿童 …). The city adds its own in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=30, unique=True)
    icon = models.CharField(_("icon"), max_length=4, help_text=_("One character or emoji shown on the plan view."))
    visit_interval_days = models.PositiveSmallIntegerField(
        _("visit frequency"),
        choices=VisitTier.choices,
        null=True,
        blank=True,
        help_text=_("Empty: no scheduled visits."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("care tag")
        verbose_name_plural = _("care tags")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A residential building of a grid, modelled as units × floors × households per floor."""

    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"level": Area.Level.GRID},
        verbose_name=_("grid"),
    )
    name = models.CharField(_("name"), max_length=60, help_text=_("e.g. 阳光小区 3 号楼"))
    number = models.CharField(
        _("building number"), max_length=12, help_text=_("The first part of room labels: 3 in 3-2-501.")
    )
    address = models.CharField(_("address"), max_length=200)
    # The address folded for matching (re-imports, duplicates): unique within a grid.
    address_key = models.CharField(max_length=200, editable=False)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    unit_count = models.PositiveSmallIntegerField(
        _("units"), validators=[MinValueValidator(1), MaxValueValidator(MAX_UNITS)]
    )
    floor_count = models.PositiveSmallIntegerField(
        _("floors"), validators=[MinValueValidator(1), MaxValueValidator(MAX_FLOORS)]
    )
    households_per_floor = models.PositiveSmallIntegerField(
        _("households per floor"), validators=[MinValueValidator(1), MaxValueValidator(MAX_PER_FLOOR)]
    )
    # {"2": {"floor_count": 18, "households_per_floor": 3}}: units that differ from the rest.
    unit_overrides = models.JSONField(_("units that differ"), default=dict, blank=True)
    shop_floors = models.PositiveSmallIntegerField(_("ground floors with shops"), default=0)
    skipped_floors = models.JSONField(_("skipped floor numbers"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["grid", "address_key", "id"]
        constraints = [models.UniqueConstraint(fields=["grid", "address_key"], name="building_unique_address")]

    def __str__(self) -> str:
        return self.name

    @property
    def layout(self) -> Layout:
        return Layout.from_values(
            unit_count=self.unit_count,
            floor_count=self.floor_count,
            households_per_floor=self.households_per_floor,
            unit_overrides=self.unit_overrides,
            shop_floors=self.shop_floors,
            skipped_floors=self.skipped_floors,
        )


class Household(models.Model):
    """One home (户) of a building: a room of the plan. Generated from the building's model."""

    class Status(models.TextChoices):
        VACANT = "vacant", _("Vacant")
        OWNER = "owner", _("Owner-occupied")
        RENTED = "rented", _("Rented")

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="households")
    unit = models.PositiveSmallIntegerField(pgettext_lazy("building unit", "unit"))
    floor = models.PositiveSmallIntegerField(_("floor"))
    room = models.PositiveSmallIntegerField(_("room on the floor"))
    label = models.CharField(_("room label"), max_length=30, help_text=_("e.g. 3-2-501"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VACANT)
    occupant = models.CharField(
        _("owner or tenant"), max_length=50, blank=True, help_text=_("Who answers for the home.")
    )
    moved_in_on = models.DateField(_("moved in"), null=True, blank=True)
    notes = models.TextField(pgettext_lazy("household", "notes"), max_length=1000, blank=True)
    # Set when a change of the building's model left this home outside it: kept because it holds
    # residents or history, listed as a conflict for someone to resolve.
    outside_model = models.BooleanField(_("outside the building model"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["building", "unit", "-floor", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "floor", "room"], name="household_unique_room")
        ]

    def __str__(self) -> str:
        return self.label

    def make_label(self) -> str:
        return household_label(self.building.number, self.unit, self.floor, self.room)

    @property
    def has_data(self) -> bool:
        """Anything a person entered: a status, an occupant, notes, a move-in date."""
        return bool(self.status != self.Status.VACANT or self.occupant or self.notes or self.moved_in_on)


class Relation(models.TextChoices):
    """Relation to the householder (与户主关系)."""

    HEAD = "head", _("Householder")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    # With a context: machina's catalogue (earlier in LOCALE_PATHS) has "Parent" as 上级 (a parent forum).
    PARENT = "parent", pgettext_lazy("relation to the householder", "Parent")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Brother or sister")
    TENANT = "tenant", _("Tenant")
    OTHER = "other", _("Other")


class ResidentQuerySet(models.QuerySet):
    def current(self) -> ResidentQuerySet:
        return self.filter(moved_out_on__isnull=True)


class Resident(models.Model):
    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="residents",
        limit_choices_to={"level": Area.Level.GRID},
        verbose_name=_("grid"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("household"),
    )
    relation = models.CharField(
        _("relation to the householder"), max_length=12, choices=Relation.choices, default=Relation.HEAD
    )
    name = models.CharField(_("full name"), max_length=50)
    # Birth year, not birth date: enough to know a minor or an elderly person living alone.
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    phone = EncryptedTextField(_("phone"), blank=True)
    id_number = EncryptedTextField(_("ID card number"), blank=True)
    # Keyed hash of the ID number (core.crypto.blind_index): duplicates are found without the value.
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # Keyed hash of the phone number: a resident who signs in with it finds their own household.
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # The resident's own account, once linked: they see their household's record (PIPL access right).
    account = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="resident_records", editable=False
    )
    guardian = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="wards", verbose_name=_("guardian")
    )
    care_tags = models.ManyToManyField(CareTag, blank=True, related_name="residents", verbose_name=_("care tags"))
    moved_in_on = models.DateField(_("moved in"), null=True, blank=True)
    # Moving out archives the record: it stays for the history (visits), out of current lists.
    moved_out_on = models.DateField(_("moved out"), null=True, blank=True)
    # The visit plan, kept up to date by the services so that "due" and "overdue" are index reads,
    # never a scan of the visits: the shortest interval of the resident's tags, the last visit, the next.
    visit_interval_days = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    last_visited_on = models.DateField(null=True, blank=True, editable=False)
    next_visit_due = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household__label", "id"]
        indexes = [
            models.Index(
                fields=["grid", "next_visit_due"],
                name="resident_visit_due",
                condition=Q(moved_out_on__isnull=True, next_visit_due__isnull=False),
            ),
            models.Index(fields=["grid", "moved_out_on"], name="resident_grid_current"),
        ]

    def __str__(self) -> str:
        # Masked: this is what the audit log and the admin write down about a resident.
        return mask_name(self.name)

    @property
    def age(self) -> int:
        return timezone.localdate().year - self.birth_year

    @property
    def is_minor(self) -> bool:
        return self.age < ADULT_AGE

    @property
    def needs_guardian(self) -> bool:
        return self.age < GUARDIAN_AGE

    @property
    def is_current(self) -> bool:
        return self.moved_out_on is None

    @property
    def display_name(self) -> str:
        return shown_name(self.name, birth_year=self.birth_year, today=timezone.localdate())

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def address(self) -> str:
        return self.household.label if self.household_id else ""

    def visit_state(self, today: datetime.date | None = None) -> str:
        """ "overdue", "due" (this week: today and the 6 days after) or "" — from the kept date, no query."""
        return visit_state_of(self.next_visit_due, today or timezone.localdate())


def visit_state_of(next_visit_due: datetime.date | None, today: datetime.date) -> str:
    """`Resident.visit_state` for lists that read columns rather than whole residents."""
    if next_visit_due is None:
        return ""
    if next_visit_due < today:
        return "overdue"
    return "due" if next_visit_due < today + datetime.timedelta(days=VISIT_DUE_DAYS) else ""


def shown_name(name: str, *, birth_year: int, today: datetime.date) -> str:
    """`Resident.display_name` for lists that read columns: a minor's name masked."""
    return mask_name(name) if today.year - birth_year < ADULT_AGE else name


def visit_photo_path(instance: Visit, filename: str) -> str:
    # Never the uploaded name: a random one under a private prefix served through an access check.
    return f"governance/visits/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.jpg"


class Visit(models.Model):
    """A recorded visit (走访) to a resident by a grid worker or staff."""

    class Outcome(models.TextChoices):
        NORMAL = "normal", pgettext_lazy("visit outcome", "Normal")
        NEEDS_HELP = "needs_help", _("Needs help")
        ABNORMAL = "abnormal", _("Abnormal")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="visits")
    # The resident's grid when visited: lists and counts per grid read this index alone.
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("date of the visit"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.NORMAL)
    note = models.TextField(pgettext_lazy("visit", "note"), max_length=1000, blank=True)
    photo = models.FileField(_("photo"), upload_to=visit_photo_path, blank=True, max_length=200)
    visitor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("visitor"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["resident", "-visited_on"], name="visit_resident_date"),
            models.Index(fields=["grid", "-visited_on"], name="visit_grid_date"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.get_outcome_display()}"

    @property
    def needs_action(self) -> bool:
        return self.outcome != self.Outcome.NORMAL


class VisitReminder(models.Model):
    """The day a grid worker was reminded of their due and overdue visits: at most one reminder a day."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        verbose_name = _("visit reminder")
        verbose_name_plural = _("visit reminders")
        constraints = [models.UniqueConstraint(fields=["day", "user"], name="visit_reminder_once_a_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.user_id}"


class ImportJob(models.Model):
    """One Excel import of buildings, households and residents: who, when, how far, and its report.

    The upload is kept encrypted (it holds ID numbers) only until the job has run. The report holds
    row numbers, masked names and messages, never an ID or phone number.
    """

    class Mode(models.TextChoices):
        ALL = "all", _("All or nothing: import only when every row is correct")
        SKIP = "skip", _("Import the correct rows and skip the rows with errors")
        CHECK = "check", _("Only check the file, import nothing")

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("import job", "Waiting")
        CHECKING = "checking", _("Checking the rows")
        WRITING = "writing", _("Saving")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    RUNNING = (Status.CHECKING, Status.WRITING)

    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.ALL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(_("progress"), default=0.0)
    # Bumped on every run: a task carries the attempt it was queued for, so a duplicate delivery is a no-op.
    attempt = models.PositiveIntegerField(default=0, editable=False)
    source_name = models.CharField(_("file name"), max_length=255, blank=True)
    source_size = models.PositiveIntegerField(_("file size"), default=0)
    # Storage name of the encrypted upload while the job waits or runs; emptied when it ends.
    stored_file = models.CharField(max_length=200, blank=True, editable=False)
    # The importer's language when they uploaded: the report is written in it.
    language = models.CharField(max_length=10, blank=True, editable=False)
    written = models.BooleanField(_("saved"), default=False)
    # {"created": n, "updated": n, "unchanged": n, "skipped": n, "errors": n, "rows": n} per sheet and in total.
    summary = models.JSONField(default=dict, blank=True, editable=False)
    file_errors = models.JSONField(default=list, blank=True, editable=False)
    # Rows with problems: [{"sheet", "row", "label", "status", "problems": [{"column", "message"}]}].
    report = models.JSONField(default=list, blank=True, editable=False)
    error_detail = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", editable=False, verbose_name=_("imported by")
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Excel import")
        verbose_name_plural = _("Excel imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_by_date")]

    def __str__(self) -> str:
        return self.source_name or f"#{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
