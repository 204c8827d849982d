"""Reads of village collective economy: per village, per town, per year. Amounts in yuan (Decimal).

Public contracts for other apps (dashboards):
- `weak_line()`: the weak-village income line (settings.VILLAGES_WEAK_INCOME_YUAN).
- `village_income_rows(year, villages=None)`: one row per village with its income by source, total,
  expenditure, assets and whether it is below the line.
- `weak_villages(year, villages=None)`: those rows below the line.
- `income_by_town(years, villages=None)`: total income, villages counted and weak villages per town and year.
- `industry_mix_by_town(year, villages=None)`: output value and count of industries per town and kind.
- `economy_totals(year, villages=None)`: the city's (or the given villages') sums for a year.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, QuerySet, Sum

from core.models import Area
from villages.models import INCOME_FIELDS, Industry, IndustryKind, VillageYear

ZERO = Decimal("0")


def weak_line() -> Decimal:
    return Decimal(settings.VILLAGES_WEAK_INCOME_YUAN)


def _total_expr():
    expr = F(INCOME_FIELDS[0])
    for name in INCOME_FIELDS[1:]:
        expr = expr + F(name)
    return expr


def _years(year: int | None = None, villages: QuerySet[Area] | None = None) -> QuerySet[VillageYear]:
    rows = VillageYear.objects.all()
    if year is not None:
        rows = rows.filter(year=year)
    if villages is not None:
        rows = rows.filter(village__in=villages)
    return rows


@dataclass
class IncomeRow:
    village: Area
    year: VillageYear

    @property
    def total(self) -> Decimal:
        return self.year.total_income

    @property
    def is_weak(self) -> bool:
        return self.total < weak_line()


def village_income_rows(year: int, villages: QuerySet[Area] | None = None) -> list[IncomeRow]:
    rows = _years(year, villages).select_related("village", "village__parent").order_by("village__path")
    return [IncomeRow(village=vy.village, year=vy) for vy in rows]


def weak_villages(year: int, villages: QuerySet[Area] | None = None) -> list[IncomeRow]:
    line = weak_line()
    rows = (
        _years(year, villages)
        .annotate(total=_total_expr())
        .filter(total__lt=line)
        .select_related("village", "village__parent")
        .order_by("village__path")
    )
    return [IncomeRow(village=vy.village, year=vy) for vy in rows]


@dataclass
class TownIncome:
    town: Area
    by_year: dict[int, Decimal] = field(default_factory=dict)
    villages: dict[int, int] = field(default_factory=dict)
    weak: dict[int, int] = field(default_factory=dict)


def _town_of(path: str) -> str:
    parts = path.strip("/").split("/")
    return f"/{parts[0]}/{parts[1]}/" if len(parts) >= 2 else path


def income_by_town(years: list[int], villages: QuerySet[Area] | None = None) -> list[TownIncome]:
    towns = {t.path: TownIncome(town=t) for t in Area.objects.filter(level=Area.Level.TOWN).order_by("path")}
    line = weak_line()
    rows = (
        _years(None, villages)
        .filter(year__in=years)
        .annotate(total=_total_expr())
        .values_list("village__path", "year", "total")
    )
    for path, year, total in rows:
        town = towns.get(_town_of(path))
        if town is None:
            continue
        town.by_year[year] = town.by_year.get(year, ZERO) + (total or ZERO)
        town.villages[year] = town.villages.get(year, 0) + 1
        town.weak[year] = town.weak.get(year, 0) + (1 if (total or ZERO) < line else 0)
    return [t for t in towns.values() if t.villages]


@dataclass
class TownIndustries:
    town: Area
    output: dict[str, Decimal] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.output.values(), ZERO)

    def shares(self) -> list[tuple[str, str, Decimal, int, int]]:
        """(kind, label, output, count, percent of the town's output) for kinds present."""
        labels = dict(IndustryKind.choices)
        total = self.total or Decimal("1")
        return [
            (kind, str(labels[kind]), self.output[kind], self.count[kind], round(100 * self.output[kind] / total))
            for kind in IndustryKind.values
            if kind in self.output
        ]


def industry_mix_by_town(year: int, villages: QuerySet[Area] | None = None) -> list[TownIndustries]:
    towns = {t.path: TownIndustries(town=t) for t in Area.objects.filter(level=Area.Level.TOWN).order_by("path")}
    rows = Industry.objects.filter(village_year__year=year)
    if villages is not None:
        rows = rows.filter(village_year__village__in=villages)
    for path, kind, output, n in rows.values_list("village_year__village__path", "kind").annotate(
        s=Sum("output_value"), n=Count("id")
    ):
        town = towns.get(_town_of(path))
        if town is None:
            continue
        town.output[kind] = town.output.get(kind, ZERO) + (output or ZERO)
        town.count[kind] = town.count.get(kind, 0) + n
    return [t for t in towns.values() if t.output]


@dataclass
class EconomyTotals:
    year: int
    villages: int
    weak: int
    by_source: dict[str, Decimal]
    total_income: Decimal
    expenditure: Decimal
    assets: Decimal
    locked: int


def economy_totals(year: int, villages: QuerySet[Area] | None = None) -> EconomyTotals:
    rows = _years(year, villages)
    sums = rows.aggregate(
        **{name: Sum(name) for name in INCOME_FIELDS},
        expenditure=Sum("expenditure"),
        assets=Sum("assets"),
        n=Count("id"),
    )
    labels = {name: str(VillageYear._meta.get_field(name).verbose_name) for name in INCOME_FIELDS}
    by_source = {labels[name]: sums[name] or ZERO for name in INCOME_FIELDS}
    return EconomyTotals(
        year=year,
        villages=sums["n"],
        weak=rows.annotate(total=_total_expr()).filter(total__lt=weak_line()).count(),
        by_source=by_source,
        total_income=sum(by_source.values(), ZERO),
        expenditure=sums["expenditure"] or ZERO,
        assets=sums["assets"] or ZERO,
        locked=rows.filter(state=VillageYear.State.LOCKED).count(),
    )


def village_years(village: Area) -> list[VillageYear]:
    """A village's years, newest first, for its trend."""
    return list(village.economy_years.order_by("-year"))


def industry_by_kind(village_year: VillageYear) -> dict[str, list[Industry]]:
    grouped: dict[str, list[Industry]] = defaultdict(list)
    for industry in village_year.industries.order_by("kind", "name"):
        grouped[industry.get_kind_display()].append(industry)
    return dict(grouped)
