"""Grid data kept by grid workers: residents with care tags. The most sensitive data we hold."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.masking import mask_id_number, mask_name, mask_phone
from core.models import Area, User, mobile_validator

id_number_validator = RegexValidator(r"^\d{17}[\dXx]$", _("请输入 18 位居民身份证号码。"))


class CareTag(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    DISABLED = "disabled", _("残疾人")
    LOW_INCOME = "low_income", _("低保户")


class Resident(models.Model):
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="residents", limit_choices_to={"level": Area.Level.GRID},
        verbose_name=_("网格"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    # Birth year, not birth date: enough to know a minor or an elderly person living alone.
    birth_year = models.PositiveSmallIntegerField(_("出生年份"))
    phone = models.CharField(_("联系电话"), max_length=11, blank=True, validators=[mobile_validator])
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, validators=[id_number_validator])
    address = models.CharField(_("住址"), max_length=120, help_text=_("楼栋-单元-室，例如 3-2-501"))
    care_tags = models.JSONField(_("关爱标签"), default=list, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["address", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_minor(self) -> bool:
        return timezone.localdate().year - self.birth_year < 18

    @property
    def display_name(self) -> str:
        # Minors' names are masked even for those allowed to see the grid.
        return mask_name(self.name) if self.is_minor else self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def care_tag_labels(self) -> list[str]:
        labels = dict(CareTag.choices)
        return [str(labels[t]) for t in self.care_tags if t in labels]
