"""Grid data kept by grid workers: residents with care tags. The most sensitive data we hold."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.masking import mask_id_number, mask_name, mask_phone
from core.models import Area, User, mobile_validator

id_number_validator = RegexValidator(r"^\d{17}[\dXx]$", _("Enter an 18-digit resident ID card number."))


class CareTag(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly person living alone")
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")
    DISABLED = "disabled", _("Person with a disability")
    LOW_INCOME = "low_income", _("Subsistence-allowance household")


class Resident(models.Model):
    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="residents",
        limit_choices_to={"level": Area.Level.GRID},
        verbose_name=_("grid"),
    )
    name = models.CharField(_("full name"), max_length=50)
    # Birth year, not birth date: enough to know a minor or an elderly person living alone.
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    phone = models.CharField(_("phone"), max_length=11, blank=True, validators=[mobile_validator])
    id_number = models.CharField(_("ID card number"), max_length=18, blank=True, validators=[id_number_validator])
    address = models.CharField(_("address"), max_length=120, help_text=_("Building-unit-room, e.g. 3-2-501"))
    care_tags = models.JSONField(_("care tags"), default=list, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
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
