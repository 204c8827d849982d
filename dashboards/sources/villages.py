"""Rural revitalisation (乡村振兴): each village's collective income by source and year, expenditure,
industries' output by kind, and weak villages (薄弱村), rolled up the area tree.

A village's year counts once it is submitted (reviewed and locked ones included); drafts being
entered do not. Each year sits on 1 January of that year. A weak village is one whose total
collective income for the year is below WEAK_INCOME yuan.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from core.models import Area
from dashboards.models import Tree
from dashboards.registry import Chart, Dashboard, Metric, register
from villages.models import INCOME_FIELDS, Industry, IndustryKind, VillageYear

WEAK_INCOME = Decimal("100000")
REPORTED_STATES = (VillageYear.State.SUBMITTED, VillageYear.State.LOCKED)

SOURCE_METRICS = {f: f"villages.{f}" for f in INCOME_FIELDS}
INCOME = "villages.income"
EXPENDITURE = "villages.expenditure"
INDUSTRY = "villages.industry"
WEAK = "villages.weak"
REPORTED = "villages.reported"


def _years(where: Q | None, under: str | None, start, end, only):
    qs = VillageYear.objects.filter(state__in=REPORTED_STATES)
    if where is not None:
        qs = qs.filter(where)
    if only is not None:
        qs = qs.filter(pk=only)
    if under:
        qs = qs.filter(village__path__startswith=under)
    if start:
        qs = qs.filter(year__gte=start.year if start.month == 1 and start.day == 1 else start.year + 1)
    if end:
        qs = qs.filter(year__lte=end.year)
    return qs


def _jan(year: int) -> datetime.date:
    return datetime.date(year, 1, 1)


def _field_rows(field: str):
    def rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
        qs = _years(where, under, start, end, only)
        fields = ["pk", "village_id", "year"] if source else ["village_id", "year"]
        out = qs.values(*fields).annotate(value=Sum(field)).values_list(*fields, "value")
        if source:
            return [(pk, v, _jan(y), "", float(x or 0)) for pk, v, y, x in out]
        return [(v, _jan(y), "", float(x or 0)) for v, y, x in out]

    rows.__name__ = f"{field}_rows"
    return rows


def industry_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    years = _years(where, under, start, end, only)
    qs = Industry.objects.filter(village_year__in=years.values("pk"))
    fields = ["village_year_id", "village_year__village_id", "village_year__year", "kind"]
    if not source:
        fields = fields[1:]
    out = qs.values(*fields).annotate(value=Sum("output_value")).values_list(*fields, "value")
    if source:
        return [(pk, v, _jan(y), k, float(x or 0)) for pk, v, y, k, x in out]
    return [(v, _jan(y), k, float(x or 0)) for v, y, k, x in out]


def _total_income():
    total = None
    for f in INCOME_FIELDS:
        total = Sum(f) if total is None else total + Sum(f)
    return total


def weak_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    qs = _years(where, under, start, end, only)
    fields = ["pk", "village_id", "year"] if source else ["village_id", "year"]
    out = []
    for row in qs.values(*fields).annotate(total=_total_income()).values_list(*fields, "total"):
        *keys, total = row
        if (total or 0) < WEAK_INCOME:
            out.append((*keys, 1))
    if source:
        return [(pk, v, _jan(y), "", 1.0) for pk, v, y, _one in out]
    counted: dict = {}
    for v, y, _one in out:
        counted[(v, y)] = counted.get((v, y), 0) + 1
    return [(v, _jan(y), "", float(n)) for (v, y), n in counted.items()]


def reported_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    qs = _years(where, under, start, end, only)
    fields = ["pk", "village_id", "year"] if source else ["village_id", "year"]
    out = qs.values(*fields).annotate(n=Count("pk")).values_list(*fields, "n")
    if source:
        return [(pk, v, _jan(y), "", float(n)) for pk, v, y, n in out]
    return [(v, _jan(y), "", float(n)) for v, y, n in out]


def _industries() -> dict[str, str]:
    return {value: str(label) for value, label in IndustryKind.choices}


def village_records(*, user, node, start, end) -> list:
    """The villages' reported years in the period, newest first, with their total income."""
    from villages.access import villages_visible_to

    years = (
        VillageYear.objects.filter(village__in=villages_visible_to(user))
        .filter(state__in=REPORTED_STATES, village__path__startswith=node.path, year__gte=start.year)
        .filter(year__lte=end.year)
        .select_related("village")
        .order_by("-year", "village__path")[:500]
    )
    return [
        {
            "title": f"{vy.village.name} {vy.year}",
            "detail": _("%(income)s yuan collective income · %(state)s")
            % {"income": f"{vy.total_income:,.0f}", "state": vy.get_state_display()},
            "url": vy_url(vy),
            "date": None,
        }
        for vy in years
    ]


def vy_url(vy) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("villages:year_detail", args=[vy.village_id, vy.year])
    except NoReverseMatch:
        return ""


_SOURCE_LABELS = {
    "operating_income": _("Operating income"),
    "contract_income": _("Contracting and remitted income"),
    "investment_income": _("Investment income"),
    "subsidy_income": _("Subsidy income"),
    "other_income": _("Other income"),
}

_RECORDS = _("Villages' collective-economy years, submitted or locked (drafts are not counted).")

DASHBOARD = register(
    Dashboard(
        key="villages",
        order=30,
        title=_("Rural revitalisation"),
        description=_("Villages' collective income by source and year, industries and weak villages."),
        tree=Tree.AREA,
        default_months=60,
        deepest_level=Area.Level.VILLAGE,
        metrics=(
            *(
                Metric(
                    key=SOURCE_METRICS[f],
                    tree=Tree.AREA,
                    label=_SOURCE_LABELS[f],
                    counts=_("Yuan of collective income of this kind in the year."),
                    records=_RECORDS,
                    rows=_field_rows(f),
                    unit=_("yuan"),
                )
                for f in INCOME_FIELDS
            ),
            Metric(
                key=INCOME,
                tree=Tree.AREA,
                label=_("Collective income"),
                counts=_("Total collective income of the year (the five sources)."),
                records=_RECORDS,
                parts=tuple(SOURCE_METRICS[f] for f in INCOME_FIELDS),
                unit=_("yuan"),
            ),
            Metric(
                key=EXPENDITURE,
                tree=Tree.AREA,
                label=_("Expenditure"),
                counts=_("Collective expenditure of the year."),
                records=_RECORDS,
                rows=_field_rows("expenditure"),
                unit=_("yuan"),
            ),
            Metric(
                key=INDUSTRY,
                tree=Tree.AREA,
                label=_("Industry output"),
                counts=_("Output value of the villages' industries in the year, by kind of industry."),
                records=_("Industries recorded with the villages' reported years."),
                rows=industry_rows,
                unit=_("yuan"),
                key_labels=_industries,
            ),
            Metric(
                key=WEAK,
                tree=Tree.AREA,
                label=_("Weak villages"),
                counts=_("Villages whose collective income for the year was below 100,000 yuan."),
                records=_RECORDS,
                rows=weak_rows,
                unit=_("villages"),
            ),
            Metric(
                key=REPORTED,
                tree=Tree.AREA,
                label=_("Villages reported"),
                counts=_("Villages that submitted the year's figures."),
                records=_RECORDS,
                rows=reported_rows,
                unit=_("villages"),
            ),
        ),
        charts=(
            Chart(
                "income_trend",
                _("Collective income by source and year"),
                "column",
                tuple(SOURCE_METRICS[f] for f in INCOME_FIELDS),
                "year",
                stacked=True,
            ),
            Chart("income_by_area", _("Collective income by area"), "bar", (INCOME, EXPENDITURE), "child"),
            Chart("income_sources", _("Sources of collective income"), "pie", (INCOME,), "parts"),
            Chart("industry_mix", _("Industry mix (output value)"), "pie", (INDUSTRY,), "key"),
            Chart("weak_by_area", _("Weak villages by area"), "bar", (WEAK, REPORTED), "child"),
            Chart("weak_trend", _("Weak villages by year"), "line", (WEAK, REPORTED), "year"),
        ),
        source_prefix="villages.year",
        records=village_records,
    )
)
