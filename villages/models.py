"""Village collective economy (村集体经济) and industries, kept per village and year.

Village staff enter a year, the town reviews and locks it; after locking, a figure changes only
through a correction that names its reason and leaves a row per changed field. Amounts are yuan.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Area, User

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0"), "validators": [MinValueValidator(0)]}

# The five sources of collective income in the national statistics (农村集体经济统计).
INCOME_FIELDS = ("operating_income", "contract_income", "investment_income", "subsidy_income", "other_income")
FIGURE_FIELDS = (*INCOME_FIELDS, "expenditure", "assets", "liabilities")


class IncomeFigures(models.Model):
    operating_income = models.DecimalField(_("operating income"), **MONEY)
    contract_income = models.DecimalField(_("contracting and remitted income"), **MONEY)
    investment_income = models.DecimalField(_("investment income"), **MONEY)
    subsidy_income = models.DecimalField(_("subsidy income"), **MONEY)
    other_income = models.DecimalField(_("other income"), **MONEY)
    expenditure = models.DecimalField(_("expenditure"), **MONEY)

    class Meta:
        abstract = True

    @property
    def total_income(self) -> Decimal:
        return sum((getattr(self, f) for f in INCOME_FIELDS), Decimal("0"))

    @property
    def net_income(self) -> Decimal:
        return self.total_income - self.expenditure


class VillageYear(IncomeFigures):
    """One village's collective economy for one year."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Being entered")
        SUBMITTED = "submitted", _("Submitted for review")
        LOCKED = "locked", _("Reviewed and locked")

    village = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="economy_years",
        limit_choices_to={"level": Area.Level.VILLAGE},
        verbose_name=_("village"),
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    assets = models.DecimalField(_("assets"), **MONEY)
    liabilities = models.DecimalField(_("liabilities"), **MONEY)
    note = models.TextField(_("note"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    entered_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("village year")
        verbose_name_plural = _("village years")
        ordering = ["village__path", "-year"]
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="village_year_unique")]

    def __str__(self) -> str:
        return f"{self.village} {self.year}"

    @property
    def is_locked(self) -> bool:
        return self.state == self.State.LOCKED


class VillageMonth(IncomeFigures):
    """A month's figures, where the village keeps them by month."""

    village_year = models.ForeignKey(VillageYear, on_delete=models.CASCADE, related_name="months")
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])

    class Meta:
        verbose_name = _("village month")
        verbose_name_plural = _("village months")
        ordering = ["village_year", "month"]
        constraints = [models.UniqueConstraint(fields=["village_year", "month"], name="village_month_unique")]


class IndustryKind(models.TextChoices):
    PLANTING = "planting", _("Planting")
    BREEDING = "breeding", _("Breeding")
    PROCESSING = "processing", _("Processing")
    TOURISM = "tourism", _("Rural tourism")
    ECOMMERCE = "ecommerce", _("E-commerce")
    PROPERTY = "property", _("Property leasing")
    SERVICES = "services", _("Services")
    OTHER = "other", _("Other")


class Industry(models.Model):
    """One of a village's industries in one year, with its scale and output."""

    village_year = models.ForeignKey(
        VillageYear, on_delete=models.CASCADE, related_name="industries", verbose_name=_("village year")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=IndustryKind.choices)
    name = models.CharField(_("name"), max_length=60)
    scale = models.DecimalField(_("scale"), max_digits=12, decimal_places=2, default=Decimal("0"))
    unit = models.CharField(_("unit"), max_length=10, blank=True, help_text=_("e.g. mu, head, tonnes"))
    output_value = models.DecimalField(_("output value"), **MONEY)
    households = models.PositiveIntegerField(_("households involved"), default=0)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["village_year", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A project under way in the village (a cold store, a greenhouse park, a homestay …)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        UNDER_WAY = "under_way", _("Under way")
        DONE = "done", _("Completed")

    village_year = models.ForeignKey(
        VillageYear, on_delete=models.CASCADE, related_name="projects", verbose_name=_("village year")
    )
    name = models.CharField(_("name"), max_length=100)
    investment = models.DecimalField(_("investment"), **MONEY)
    funding = models.CharField(_("funding source"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UNDER_WAY)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["village_year", "name"]

    def __str__(self) -> str:
        return self.name


class Correction(models.Model):
    """A change to a locked year: which figure, from what to what, why and by whom. Never edited."""

    village_year = models.ForeignKey(VillageYear, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(_("figure"), max_length=60)
    old_value = models.CharField(_("before"), max_length=200)
    new_value = models.CharField(_("after"), max_length=200)
    reason = models.CharField(_("reason"), max_length=200)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["-at", "-id"]
