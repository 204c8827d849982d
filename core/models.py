"""What every app shares: people, the organisation trees, roles, the audit log, notifications."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

mobile_validator = RegexValidator(r"^1[3-9]\d{9}$", _("请输入 11 位中国大陆手机号。"))


class User(AbstractUser):
    """A person who can sign in. `name` is the full Chinese name shown everywhere."""

    name = models.CharField(_("姓名"), max_length=50, blank=True)
    mobile = models.CharField(
        _("手机号"), max_length=11, unique=True, null=True, blank=True, validators=[mobile_validator]
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name or self.username

    def __str__(self) -> str:
        return self.get_full_name()


class TreeNode(models.Model):
    """A node in a tree stored as a materialised path of codes: '/210681/001/…/'."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)

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
        CITY = 1, _("市")
        TOWN = 2, _("镇/街道")
        VILLAGE = 3, _("村/社区")
        GRID = 4, _("网格")

    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    households = models.PositiveIntegerField(_("户数"), default=0)
    population = models.PositiveIntegerField(_("人口数"), default=0)
    # Centre point for the one-map view; boundaries arrive with the governance module.
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta(TreeNode.Meta):
        verbose_name = _("行政区域")
        verbose_name_plural = _("行政区域")
        indexes = [models.Index(fields=["level", "path"])]


class Department(models.Model):
    """A functional department (职能部门) of the city."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    city = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="departments", verbose_name=_("所属市"))

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PartyOrg(TreeNode):
    """The party organisation tree: committee → general branch → branch."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("党委")
        GENERAL_BRANCH = "general_branch", _("党总支")
        BRANCH = "branch", _("党支部")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="party_orgs", verbose_name=_("所在区域")
    )

    class Meta(TreeNode.Meta):
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")


class Role(models.TextChoices):
    RESIDENT = "resident", _("群众")
    MEMBER = "member", _("党员")
    GRID_WORKER = "grid_worker", _("网格员")
    COMMUNITY_STAFF = "community_staff", _("村/社区工作人员")
    TOWN_STAFF = "town_staff", _("镇街工作人员")
    DEPARTMENT_STAFF = "department_staff", _("职能部门工作人员")
    VENUE_OPERATOR = "venue_operator", _("分会场管理员")
    EDITOR = "editor", _("编辑")
    REVIEWER = "reviewer", _("审核员")
    OPS_ADMIN = "ops_admin", _("运行管理中心管理员")


class Membership(models.Model):
    """A person's role at one place in the trees. Exactly the scope its role needs is set."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("区域"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("职能部门")
    )
    party_org = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("党组织"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色任职")
        verbose_name_plural = _("角色任职")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "area", "department", "party_org"],
                name="membership_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["role", "area"]), models.Index(fields=["role", "party_org"])]

    def __str__(self) -> str:
        scope = self.area or self.department or self.party_org
        return f"{self.user} · {self.get_role_display()}" + (f" · {scope}" if scope else "")


class AuditLog(models.Model):
    """Who read or changed what sensitive data, and when. Rows are never edited."""

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("操作人"))
    action = models.CharField(_("操作"), max_length=60, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=40, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"


class Notification(models.Model):
    """A message for one person, shown in the header badge and pushed live when they are online."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title
