"""Demo data of village collective economy: three full years per village (locked by the towns, a few
corrected after locking), this year's months so far (being entered), industries and projects.

Incomes follow a log-normal spread around what a village of 东港市 earns, with about one village in
seven below the weak-village line; communities under the streets live on property leasing, villages
on contracting out land and sea areas, strawberries, seafood and subsidies.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from core.demo.registry import DemoContext, demo_step
from core.models import Area, Membership, Role
from villages.models import Correction, Industry, IndustryKind, Project, VillageMonth, VillageYear

BATCH = 2000
YEARS = 3

# (kind, name, unit, scale range, output per unit in yuan)
RURAL_INDUSTRIES = [
    (IndustryKind.PLANTING, "草莓种植", "亩", (80, 900), 42000),
    (IndustryKind.PLANTING, "蓝莓种植", "亩", (50, 500), 26000),
    (IndustryKind.PLANTING, "水稻种植", "亩", (300, 3000), 1900),
    (IndustryKind.PLANTING, "板栗种植", "亩", (100, 1200), 2600),
    (IndustryKind.PLANTING, "食用菌种植", "棚", (10, 120), 60000),
    (IndustryKind.BREEDING, "黄蚬子养殖", "亩", (200, 3000), 5200),
    (IndustryKind.BREEDING, "梭子蟹养殖", "亩", (100, 1500), 8800),
    (IndustryKind.BREEDING, "肉牛养殖", "头", (50, 800), 9500),
    (IndustryKind.BREEDING, "柞蚕放养", "把", (20, 200), 15000),
    (IndustryKind.PROCESSING, "海产品加工", "吨", (100, 2500), 16000),
    (IndustryKind.PROCESSING, "草莓深加工", "吨", (50, 600), 22000),
    (IndustryKind.TOURISM, "草莓采摘园", "户", (5, 60), 90000),
    (IndustryKind.TOURISM, "渔家乐民宿", "户", (3, 40), 120000),
    (IndustryKind.ECOMMERCE, "农产品电商直播", "户", (5, 80), 150000),
]
URBAN_INDUSTRIES = [
    (IndustryKind.PROPERTY, "商铺租赁", "平方米", (500, 8000), 180),
    (IndustryKind.SERVICES, "物业服务", "户", (300, 3000), 600),
    (IndustryKind.SERVICES, "家政服务", "人", (10, 80), 30000),
    (IndustryKind.ECOMMERCE, "社区团购", "户", (200, 2000), 900),
]
PROJECTS = [
    ("冷链仓储库建设", "中央扶持壮大村级集体经济资金"),
    ("高标准草莓大棚", "省级财政资金"),
    ("村级光伏电站", "村集体自筹+银行贷款"),
    ("闲置校舍改造民宿", "村集体自筹"),
    ("农产品展销中心", "市级财政资金"),
    ("土地流转整理", "村集体自筹"),
    ("海参育苗基地", "社会资本合作"),
]
URBAN_PROJECTS = [("社区综合服务用房出租", "社区自有资金"), ("便民菜市场改造", "街道财政资金")]


def _money(value: float) -> Decimal:
    return Decimal(f"{max(0.0, value):.2f}")


def _split_income(rng: random.Random, total: float, urban: bool, weak: bool) -> dict[str, Decimal]:
    if urban:
        shares = [
            rng.uniform(0.45, 0.7),
            rng.uniform(0.0, 0.1),
            rng.uniform(0.0, 0.1),
            rng.uniform(0.1, 0.3),
            rng.uniform(0.02, 0.08),
        ]
    elif weak:
        shares = [
            rng.uniform(0.05, 0.2),
            rng.uniform(0.1, 0.3),
            rng.uniform(0.0, 0.05),
            rng.uniform(0.4, 0.7),
            rng.uniform(0.02, 0.1),
        ]
    else:
        shares = [
            rng.uniform(0.2, 0.45),
            rng.uniform(0.2, 0.45),
            rng.uniform(0.02, 0.15),
            rng.uniform(0.08, 0.25),
            rng.uniform(0.02, 0.08),
        ]
    scale = total / sum(shares)
    fields = ("operating_income", "contract_income", "investment_income", "subsidy_income", "other_income")
    return {f: _money(s * scale) for f, s in zip(fields, shares, strict=True)}


@demo_step(
    order=480,
    models=(
        "villages.VillageYear",
        "villages.VillageMonth",
        "villages.Industry",
        "villages.Project",
        "villages.Correction",
    ),
)
def seed_village_economy(ctx: DemoContext) -> str:
    if VillageYear.objects.exists():
        return "skipped: village economy is there"
    rng = ctx.rng
    today = timezone.localdate()
    villages = list(Area.objects.filter(level=Area.Level.VILLAGE).select_related("parent").order_by("path"))
    if not villages:
        return "skipped: no villages"
    staff = dict(Membership.objects.filter(role=Role.COMMUNITY_STAFF).values_list("area_id", "user_id"))
    town_staff = dict(Membership.objects.filter(role=Role.TOWN_STAFF).values_list("area_id", "user_id"))
    grids = dict(Area.objects.filter(level=Area.Level.VILLAGE).annotate(n=Count("children")).values_list("pk", "n"))
    years: list[VillageYear] = []
    plans = []
    for village in villages:
        urban = village.name.endswith("社区")
        # A village's standing: most earn 15–60万; about one in seven stays under the 10万 line.
        base = rng.lognormvariate(12.55 if not urban else 12.9, 0.65) * (1 + 0.08 * grids.get(village.pk, 1))
        growth = rng.uniform(0.02, 0.14)
        catalogue = URBAN_INDUSTRIES if urban else RURAL_INDUSTRIES
        industries = rng.sample(catalogue, rng.randint(1, 3 if urban else 4))
        scales = {name: rng.uniform(*scale) for _k, name, _u, scale, _o in industries}
        for offset in range(YEARS, -1, -1):
            year = today.year - offset
            total = base * (1 + growth) ** (YEARS - offset) * rng.uniform(0.9, 1.1)
            current = offset == 0
            if current:
                total *= (today.month - 1) / 12  # the months entered so far
            weak = total < 100_000
            income = _split_income(rng, total, urban, weak)
            locked = offset >= 2 or (offset == 1 and rng.random() < 0.8)
            state = (
                VillageYear.State.LOCKED
                if locked
                else (VillageYear.State.DRAFT if current else VillageYear.State.SUBMITTED)
            )
            locked_at = timezone.make_aware(datetime.datetime(year + 1, rng.randint(1, 3), rng.randint(1, 28), 10, 0))
            vy = VillageYear(
                village=village,
                year=year,
                **income,
                expenditure=_money(float(sum(income.values())) * rng.uniform(0.35, 0.85)),
                assets=_money(base * rng.uniform(6, 18) * (1 + 0.05 * (YEARS - offset))),
                liabilities=_money(base * rng.uniform(0.2, 3)),
                state=state,
                entered_by_id=staff.get(village.pk),
                submitted_at=locked_at - datetime.timedelta(days=20) if state != VillageYear.State.DRAFT else None,
                locked_by_id=town_staff.get(village.parent_id) if locked else None,
                locked_at=locked_at if locked else None,
            )
            years.append(vy)
            plans.append((vy, urban, industries, scales, YEARS - offset, current))
    VillageYear.objects.bulk_create(years, batch_size=BATCH)

    months: list[VillageMonth] = []
    industries_rows: list[Industry] = []
    projects: list[Project] = []
    corrections: list[Correction] = []
    for vy, urban, industries, scales, age, current in plans:
        for kind, name, unit, _scale, output in industries:
            scale = scales[name] * (1 + 0.06 * age)
            industries_rows.append(
                Industry(
                    village_year=vy,
                    kind=kind,
                    name=name,
                    scale=_money(scale),
                    unit=unit,
                    output_value=_money(scale * output * rng.uniform(0.85, 1.15)),
                    households=max(3, round(scale / (8 if unit == "亩" else 2))) if unit not in ("平方米",) else 0,
                )
            )
        if rng.random() < 0.45:
            name, funding = rng.choice(URBAN_PROJECTS if urban else PROJECTS)
            projects.append(
                Project(
                    village_year=vy,
                    name=name,
                    investment=_money(rng.uniform(20, 300) * 10_000),
                    funding=funding,
                    status=Project.Status.UNDER_WAY
                    if current
                    else rng.choice([Project.Status.DONE, Project.Status.DONE, Project.Status.UNDER_WAY]),
                )
            )
        if current:
            # This year: the months entered so far, which add up to the year's figures.
            n = today.month - 1
            fields = (
                "operating_income",
                "contract_income",
                "investment_income",
                "subsidy_income",
                "other_income",
                "expenditure",
            )
            for m in range(1, n + 1):
                months.append(
                    VillageMonth(village_year=vy, month=m, **{f: _money(float(getattr(vy, f)) / n) for f in fields})
                )
        elif vy.state == VillageYear.State.LOCKED and rng.random() < 0.06:
            corrections.append(
                Correction(
                    village_year=vy,
                    field="其他收入",
                    old_value=str(_money(float(vy.other_income) * 0.8)),
                    new_value=str(vy.other_income),
                    reason=rng.choice(["补录年底利息收入", "更正录入错误", "审计调整"]),
                    by_id=vy.locked_by_id,
                )
            )
    VillageMonth.objects.bulk_create(months, batch_size=BATCH)
    Industry.objects.bulk_create(industries_rows, batch_size=BATCH)
    Project.objects.bulk_create(projects, batch_size=BATCH)
    Correction.objects.bulk_create(corrections, batch_size=BATCH)
    return (
        f"{len(years)} village years, {len(months)} months, {len(industries_rows)} industries, "
        f"{len(projects)} projects, {len(corrections)} corrections"
    )
