"""What every app shares: people, the organisation trees, roles, the audit log, notifications."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core import validators

# Numbers are ASCII digits only (core/validators.py); the name stays here for existing imports.
mobile_validator = validators.mobile_validator


class User(AbstractUser):
    """A person who can sign in. `name` is the full Chinese name shown everywhere."""

    name = models.CharField(_("full name"), max_length=50, blank=True)
    mobile = models.CharField(
        _("mobile number"), max_length=11, unique=True, null=True, blank=True, validators=[mobile_validator]
    )

    objects = UserManager()  # type: ignore[misc]  # django-stubs declares AbstractUser.objects a ClassVar

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name or self.username

    def __str__(self) -> str:
        return self.get_full_name()


class TreeNode(models.Model):
    """A node in a tree stored as a materialised path of codes: '/210681/001/…/'.

    Every access check reads `path`; it, `depth`, `parent` and `code` are written only by
    core.services.trees, which moves a node together with its whole subtree."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False)

    class Meta:
        abstract = True
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: TreeNode) -> bool:
        return self.path.startswith(other.path)


class Area(TreeNode):
    """The administrative tree: city → town/street → village/community → grid."""

    class Level(models.IntegerChoices):
        CITY = 1, _("City")
        TOWN = 2, _("Town/street")
        VILLAGE = 3, _("Village/community")
        GRID = 4, _("Grid")

    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    # Centre point and boundary for the one-map view (一张图), both WGS-84. The boundary is a GeoJSON
    # geometry (Polygon or MultiPolygon, [longitude, latitude] positions), written only through
    # governance.geo.services, which validates it and tells every process's point → grid index.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    boundary = models.JSONField(_("boundary"), null=True, blank=True)

    class Meta(TreeNode.Meta):
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        indexes = [models.Index(fields=["level", "path"])]


class Department(models.Model):
    """A functional department (职能部门) of the city."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    city = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="departments", verbose_name=_("city"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PartyOrg(TreeNode):
    """The party organisation tree: committee → general branch → branch."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Party committee")
        GENERAL_BRANCH = "general_branch", _("General party branch")
        BRANCH = "branch", _("Party branch")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="party_orgs", verbose_name=_("located in")
    )

    class Meta(TreeNode.Meta):
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    MEMBER = "member", _("Party member")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_STAFF = "community_staff", _("Village/community staff")
    TOWN_STAFF = "town_staff", _("Town/street staff")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    # The department's leader in charge (分管领导): oversees its reports, receives escalations (督办).
    DEPARTMENT_SUPERVISOR = "department_supervisor", _("Department supervisor")
    VENUE_OPERATOR = "venue_operator", _("Branch-venue operator")
    EDITOR = "editor", _("Editor")
    REVIEWER = "reviewer", _("Reviewer")
    OPS_ADMIN = "ops_admin", _("Operations-centre admin")


class Membership(models.Model):
    """A person's role at one place in the trees. Exactly the scope its role needs is set."""

    class WorkerKind(models.TextChoices):
        FULL_TIME = "full_time", _("Full-time")
        PART_TIME = "part_time", _("Part-time")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("area"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("department")
    )
    party_org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("party organisation")
    )
    # Grid workers only: full-time (专职) or part-time (兼职); shown on the grid's card.
    worker_kind = models.CharField(_("grid worker type"), max_length=10, choices=WorkerKind.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # One row per role and scope. Unset scopes are coalesced to 0 because SQLite cannot
            # enforce NULLS NOT DISTINCT; an expression index works on both databases.
            models.UniqueConstraint(
                "user",
                "role",
                Coalesce("area", 0),
                Coalesce("department", 0),
                Coalesce("party_org", 0),
                name="membership_unique",
            )
        ]
        indexes = [models.Index(fields=["role", "area"]), models.Index(fields=["role", "party_org"])]

    def __str__(self) -> str:
        scope = self.area or self.department or self.party_org
        return f"{self.user} · {self.get_role_display()}" + (f" · {scope}" if scope else "")


class AuditLog(models.Model):
    """Who read or changed what sensitive data, and when. Rows are never edited."""

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("actor"))
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object ID"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"


class Notification(models.Model):
    """A message for one person, shown in the header badge and pushed live when they are online."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("type"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class Generation(models.Model):
    """A named counter that processes poll to know when something they keep in memory changed.

    In the database, not the cache: with the embedded default every process has its own
    local-memory cache, and the value must change in the same transaction as the data it guards.
    The value is a fresh random number on every change (not +1), so a rolled-back change can never
    come back with a value a process has already seen for other data.
    """

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("change counter")
        verbose_name_plural = _("change counters")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
