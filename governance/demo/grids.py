"""Demo grid data for 东港市: 2,054 buildings across the grids with their generated households,
residents with care tags (guardians for young children), and a year of visits.

Everything is bulk-created (no per-row queries); at full scale the three steps take well under a
minute together. Buildings sit near their grid's centre (inside the grid's boundary when one is
drawn: see `_placer`).
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from core.crypto import blind_index
from core.demo import names
from core.demo.generate import PeopleMaker, apportion, generation_of
from core.demo.registry import DemoContext, demo_step
from core.models import Area, Membership, Role, User
from governance.addresses import address_key
from governance.layout import household_label
from governance.models import Building, CareTag, Household, Relation, Resident, Visit
from governance.services.residents import ID_INDEX_PURPOSE, PHONE_INDEX_PURPOSE

BATCH = 2000
BUILDING_TOTAL = 2054
# Share of occupied homes whose residents the demo registers (grid workers fill in the rest).
REGISTERED_SHARE = 0.10

ESTATE_WORDS = [
    "阳光",
    "幸福",
    "锦绣",
    "滨海",
    "港城",
    "丽景",
    "金桥",
    "和平",
    "兴华",
    "瑞祥",
    "春晖",
    "东方",
    "翠苑",
    "海韵",
    "新港",
    "安居",
    "福泰",
    "鸭绿江",
    "北井",
    "宏达",
]
ESTATE_SUFFIXES = ["小区", "花园", "家园", "新城", "苑", "嘉园", "公寓"]
STREET_NAMES = [
    "新兴路",
    "港城大街",
    "东港大街",
    "建设路",
    "海洋路",
    "黄海大街",
    "江海路",
    "兴港路",
    "滨海路",
    "北京路",
]
VISIT_NOTES = {
    Visit.Outcome.NORMAL: [
        "身体状况良好，家中整洁",
        "电话联系并上门看望，生活正常",
        "询问近况，无特殊需求",
        "陪同聊天，提醒防范电信诈骗",
        "检查燃气和用电安全，正常",
    ],
    Visit.Outcome.NEEDS_HELP: [
        "反映取药不便，已联系社区卫生服务站",
        "冬季取暖费有困难，已登记帮扶",
        "家中水管漏水，需协调物业维修",
        "希望申请居家养老服务",
    ],
    Visit.Outcome.ABNORMAL: [
        "敲门无人应答，联系亲属后确认外出就医",
        "身体不适，已协助拨打120送医",
        "情绪低落，已联系社区心理服务志愿者",
    ],
}


def _insert_many(model, fields: list[str], rows: list[tuple]) -> int:
    """INSERT rows with executemany: for the biggest demo tables, Django's bulk_create spends ten times
    longer building SQL than the database spends storing the rows. Values must be ready for the
    database (no field conversion happens here, so no encrypted fields)."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Identifiers come from the model's meta, quoted; every value is a parameter.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])
    return len(rows)


def _city() -> Area:
    return Area.objects.get(code=names.CITY_CODE)


def _is_urban(grid: Area) -> bool:
    return grid.name.split("第")[0].endswith("社区")


def _placer(grid: Area, rng: random.Random):
    """A function giving (lat, lon) for the next building of this grid: inside its boundary if it has one."""
    boundary = getattr(grid, "boundary", None)
    if boundary:
        try:
            from shapely.geometry import Point, shape

            polygon = shape(boundary)
            minx, miny, maxx, maxy = polygon.bounds

            def inside() -> tuple[float, float]:
                for _ in range(50):
                    x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                    if polygon.contains(Point(x, y)):
                        return y, x
                point = polygon.representative_point()
                return point.y, point.x

            return inside
        except (ImportError, ValueError, TypeError, AttributeError, KeyError):
            pass
    lat0 = float(grid.latitude or names.CITY_CENTRE[0])
    lon0 = float(grid.longitude or names.CITY_CENTRE[1])
    spread = 0.0025 if _is_urban(grid) else 0.006
    return lambda: (lat0 + rng.uniform(-spread, spread), lon0 + rng.uniform(-spread, spread) * 1.3)


def _shape(rng: random.Random, urban: bool) -> dict:
    if urban:
        kind = rng.choices(["walkup", "midrise", "tower"], weights=[55, 30, 15])[0]
        if kind == "walkup":
            units, floors, per = rng.randint(2, 6), rng.choice([5, 6, 6, 7]), 2
        elif kind == "midrise":
            units, floors, per = rng.randint(2, 4), rng.choice([9, 11, 12, 18]), rng.choice([2, 3])
        else:
            units, floors, per = rng.randint(1, 2), rng.choice([26, 28, 30, 33]), rng.choice([3, 4])
        shops = 1 if rng.random() < 0.3 else 0
        skipped = [4, 13, 14] if kind == "tower" and rng.random() < 0.5 else ([4] if rng.random() < 0.1 else [])
        overrides = {}
        if units >= 3 and kind != "tower" and rng.random() < 0.15:
            overrides[str(units)] = {
                "floor_count": max(shops + 2, floors - rng.randint(1, 2)),
                "households_per_floor": per,
            }
        return dict(
            unit_count=units,
            floor_count=floors,
            households_per_floor=per,
            shop_floors=shops,
            skipped_floors=skipped,
            unit_overrides=overrides,
        )
    units, floors = rng.randint(1, 3), rng.choice([2, 3, 4, 5, 6])
    return dict(
        unit_count=units,
        floor_count=floors,
        households_per_floor=2,
        shop_floors=0,
        skipped_floors=[],
        unit_overrides={},
    )


@demo_step(order=410, models=("governance.Building", "governance.Household"))
def seed_buildings(ctx: DemoContext) -> str:
    city = _city()
    if Building.objects.filter(grid__path__startswith=city.path).exists():
        return "skipped: buildings are there"
    rng = ctx.rng
    grids = list(
        Area.objects.filter(level=Area.Level.GRID, path__startswith=city.path)
        .select_related("parent__parent")
        .order_by("path")
    )
    weights = [(5.5 if _is_urban(g) else 2.0) * rng.uniform(0.7, 1.3) for g in grids]
    counts = apportion(max(len(grids), ctx.scaled(BUILDING_TOTAL)), weights)
    buildings: list[Building] = []
    for grid, count in zip(grids, counts, strict=True):
        urban = _is_urban(grid)
        place = _placer(grid, rng)
        estate = rng.choice(ESTATE_WORDS) + rng.choice(ESTATE_SUFFIXES) if urban else grid.parent.name
        street = rng.choice(STREET_NAMES)
        for n in range(1, count + 1):
            lat, lon = place()
            name = f"{estate}{n}号楼" if urban else f"{estate}{n}号农宅楼"
            address = (
                f"{grid.parent.parent.name}{street}{rng.randint(1, 399)}号 {name}"
                if urban
                else (f"{grid.parent.parent.name}{grid.parent.name}{n}号楼")
            )
            buildings.append(
                Building(
                    grid=grid,
                    name=name,
                    number=str(n),
                    address=address,
                    address_key=address_key(address),
                    latitude=Decimal(f"{lat:.6f}"),
                    longitude=Decimal(f"{lon:.6f}"),
                    **_shape(rng, urban),
                )
            )
    Building.objects.bulk_create(buildings, batch_size=BATCH)
    statuses = [Household.Status.VACANT, Household.Status.OWNER, Household.Status.RENTED]
    rows: list[tuple] = []
    today = timezone.localdate()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    for b in buildings:
        status_weights = (8, 72, 20) if _is_urban(b.grid) else (15, 80, 5)
        for unit, floor, room in b.layout.rooms():
            status = rng.choices(statuses, weights=status_weights)[0]
            moved_in = (
                None
                if status == Household.Status.VACANT
                else connection.ops.adapt_datefield_value(today - datetime.timedelta(days=rng.randint(30, 9000)))
            )
            label = household_label(b.number, unit, floor, room)
            rows.append((b.pk, unit, floor, room, label, status, "", moved_in, "", False, now))
    fields = ["building", "unit", "floor", "room", "label", "status", "occupant", "moved_in_on", "notes"]
    total = _insert_many(Household, [*fields, "outside_model", "updated_at"], rows)
    return f"{len(buildings)} buildings, {total} households"


# --- Residents -------------------------------------------------------------------------------------

# Household kinds with their weights in communities (urban) and villages (rural).
_KINDS = {
    "elderly_alone": (10, 15),
    "elderly_couple": (12, 15),
    "family": (38, 25),
    "three_generations": (12, 10),
    "left_behind": (3, 15),
    "young": (14, 10),
    "single": (11, 10),
}


def _members(rng: random.Random, kind: str) -> list[tuple[int, str, str]]:
    """Members as (age, sex, relation to the householder)."""
    if kind == "elderly_alone":
        return [(rng.randint(65, 92), rng.choice("mf"), Relation.HEAD)]
    if kind == "elderly_couple":
        age = rng.randint(60, 86)
        return [(age, "m", Relation.HEAD), (max(58, age - rng.randint(0, 5)), "f", Relation.SPOUSE)]
    if kind == "young":
        age, sex = rng.randint(22, 38), rng.choice("mf")
        spouse = [(age + rng.randint(-3, 3), "mf"[sex == "m"], Relation.SPOUSE)] if rng.random() < 0.5 else []
        return [(age, sex, Relation.HEAD), *spouse]
    if kind == "single":
        return [(rng.randint(39, 64), rng.choice("mf"), Relation.HEAD)]
    parent_age = rng.randint(28, 50)
    parents = [(parent_age, "m", Relation.HEAD), (parent_age - rng.randint(0, 4), "f", Relation.SPOUSE)]
    children = [
        (rng.randint(1, min(20, parent_age - 22)), rng.choice("mf"), Relation.CHILD)
        for _ in range(rng.choice([1, 1, 2]))
    ]
    if kind == "family":
        return parents + children
    grand_age = max(parent_age + 22, rng.randint(56, 84))
    grandparents = [(grand_age, "m", Relation.PARENT), (grand_age - rng.randint(0, 4), "f", Relation.PARENT)]
    if rng.random() < 0.4:
        grandparents = [grandparents[rng.randrange(2)]]
    if kind == "three_generations":
        return grandparents + parents + children
    # Left-behind children: parents work away (大连, 沈阳 or abroad); a grandparent heads the home.
    head_age, head_sex, _ = grandparents[0]
    rest = [(a, s, Relation.SPOUSE) for a, s, _ in grandparents[1:]]
    return [(head_age, head_sex, Relation.HEAD), *rest] + [
        (rng.randint(3, 16), sex, Relation.GRANDCHILD) for _, sex, _ in children
    ]


@demo_step(order=420, models=("governance.Resident", "governance.CareTag"))
def seed_residents(ctx: DemoContext) -> str:
    city = _city()
    if Resident.objects.filter(grid__path__startswith=city.path).exists():
        return "skipped: residents are there"
    rng = ctx.rng
    today = timezone.localdate()
    tags = {t.code: t for t in CareTag.objects.all()}
    maker = PeopleMaker(rng, used_mobiles=set(User.objects.exclude(mobile=None).values_list("mobile", flat=True)))
    workers = dict(
        Membership.objects.filter(role=Role.GRID_WORKER, area__path__startswith=city.path).values_list(
            "area_id", "user_id"
        )
    )
    grids = {g.pk: g for g in Area.objects.filter(level=Area.Level.GRID, path__startswith=city.path)}
    occupied = list(
        Household.objects.filter(building__grid__path__startswith=city.path)
        .exclude(status=Household.Status.VACANT)
        .values_list("pk", "building__grid_id", "status")
        .order_by("pk")
    )
    by_grid: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, grid_id, status in occupied:
        by_grid[grid_id].append((pk, status))
    kinds = list(_KINDS)
    adults: list[tuple[Resident, list[str]]] = []
    children: list[tuple[Resident, list[str], int]] = []  # (resident, tags, index of guardian in adults)
    for grid_id in sorted(by_grid):
        urban = _is_urban(grids[grid_id])
        weights = [w[0] if urban else w[1] for w in _KINDS.values()]
        homes = by_grid[grid_id]
        for household_id, status in rng.sample(homes, max(3, round(len(homes) * REGISTERED_SHARE))):
            kind = rng.choices(kinds, weights=weights)[0]
            family = maker.surname()
            low_income = rng.random() < (0.04 if urban else 0.07)
            members = _members(rng, kind)
            moved_in = today - datetime.timedelta(days=rng.randint(60, 6000))
            head_index = None
            for age, sex, relation in members:
                birth_year = today.year - age
                surname = (
                    family if relation in {Relation.HEAD, Relation.CHILD, Relation.GRANDCHILD} else maker.surname()
                )
                codes = []
                if kind == "elderly_alone":
                    codes.append("elderly_alone")
                if kind == "left_behind" and relation == Relation.GRANDCHILD:
                    codes.append("left_behind_child")
                if rng.random() < 0.025:
                    codes.append("disabled")
                if low_income:
                    codes.append("low_income")
                if age >= 40 and sex == "m" and rng.random() < 0.04:
                    codes.append("veteran")
                if age >= 18 and rng.random() < 0.005:
                    codes.append("key_attention")
                has_phone = age >= 16 and rng.random() < (0.7 if age >= 75 else 0.93)
                phone = maker.mobile() if has_phone else ""
                id_number = maker.id_number(birth_year=birth_year, sex=sex, today=today)
                resident = Resident(
                    grid_id=grid_id,
                    household_id=household_id,
                    relation=Relation.TENANT
                    if status == Household.Status.RENTED and relation == Relation.HEAD
                    else relation,
                    name=surname + maker.given_name(sex, generation_of(birth_year)),
                    birth_year=birth_year,
                    phone=phone,
                    phone_hash=blind_index(phone, purpose=PHONE_INDEX_PURPOSE) if phone else "",
                    id_number=id_number,
                    id_number_hash=blind_index(id_number, purpose=ID_INDEX_PURPOSE),
                    moved_in_on=moved_in,
                    created_by_id=workers.get(grid_id),
                )
                if age < 14:
                    children.append((resident, codes, head_index))
                else:
                    if head_index is None or relation == Relation.HEAD:
                        head_index = len(adults)
                    adults.append((resident, codes))
    # Visit plans: the most frequent tier of each resident's tags; never visited yet means due today.
    interval_of = {c: t.visit_interval_days for c, t in tags.items() if t.visit_interval_days and t.is_active}
    planned = 0
    for r, codes in [*adults, *((r, c) for r, c, _ in children)]:
        intervals = [interval_of[c] for c in codes if c in interval_of]
        if intervals:
            r.visit_interval_days, r.next_visit_due = min(intervals), today
            planned += 1
    # Encrypted fields are written by bulk_create through the field (get_prep_value encrypts).
    Resident.objects.bulk_create([r for r, _ in adults], batch_size=BATCH)
    for resident, _codes, guardian_index in children:
        resident.guardian_id = adults[guardian_index][0].pk
    Resident.objects.bulk_create([r for r, _, _ in children], batch_size=BATCH)
    through = Resident.care_tags.through
    links = [
        through(resident_id=r.pk, caretag_id=tags[c].pk)
        for r, codes in [*adults, *((r, c) for r, c, _ in children)]
        for c in codes
        if c in tags
    ]
    through.objects.bulk_create(links, batch_size=BATCH)
    linked = _link_demo_resident(city)
    return f"{len(adults) + len(children)} residents, {len(links)} care tags, {planned} visit plans{linked}"


def _link_demo_resident(city: Area) -> str:
    """demo_resident sees their own household: link the account to a resident of the demo grid."""
    account = User.objects.filter(username="demo_resident").first()
    if account is None:
        return ""
    grid_ids = list(Membership.objects.filter(user=account, role=Role.RESIDENT).values_list("area_id", flat=True))
    resident = (
        Resident.objects.filter(
            grid_id__in=grid_ids, relation=Relation.HEAD, birth_year__lte=timezone.localdate().year - 18
        )
        .order_by("pk")
        .first()
    )
    if resident is None:
        return ""
    Resident.objects.filter(pk=resident.pk).update(account=account)
    return ", demo_resident linked to a household"


# --- Visits ----------------------------------------------------------------------------------------


@demo_step(order=430, models=("governance.Visit",))
def seed_visits(ctx: DemoContext) -> str:
    city = _city()
    if Visit.objects.filter(grid__path__startswith=city.path).exists():
        return "skipped: visits are there"
    rng = ctx.rng
    today = timezone.localdate()
    workers = dict(
        Membership.objects.filter(role=Role.GRID_WORKER, area__path__startswith=city.path).values_list(
            "area_id", "user_id"
        )
    )
    planned = list(
        Resident.objects.filter(grid__path__startswith=city.path, visit_interval_days__isnull=False, moved_out_on=None)
        .only("pk", "grid_id", "visit_interval_days", "moved_in_on")
        .order_by("pk")
    )
    outcomes = [Visit.Outcome.NORMAL, Visit.Outcome.NEEDS_HELP, Visit.Outcome.ABNORMAL]
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    rows: list[tuple] = []
    plans: list[tuple] = []
    overdue = 0
    for r in planned:
        interval = r.visit_interval_days
        day = max(today - datetime.timedelta(days=365), r.moved_in_on or today) + datetime.timedelta(
            days=rng.randint(0, interval - 1)
        )
        # About one plan in ten has slipped recently: its last visit is more than an interval ago.
        slipped = rng.random() < 0.1
        last = None
        while day <= today:
            if slipped and day > today - datetime.timedelta(days=interval * rng.uniform(1.2, 2.5)):
                break
            outcome = rng.choices(outcomes, weights=[90, 8, 2])[0]
            note = rng.choice(VISIT_NOTES[outcome])
            rows.append(
                (r.pk, r.grid_id, ops.adapt_datefield_value(day), outcome, note, "", workers.get(r.grid_id), now)
            )
            last = day
            # Visits land around their due date: a few days early or late.
            day = day + datetime.timedelta(days=max(1, interval + rng.randint(-2, 2)))
        due = (last + datetime.timedelta(days=interval)) if last else today
        overdue += due < today
        plans.append((ops.adapt_datefield_value(last), ops.adapt_datefield_value(due), r.pk))
    fields = ["resident", "grid", "visited_on", "outcome", "note", "photo", "visitor", "created_at"]
    total = _insert_many(Visit, fields, rows)
    quote = ops.quote_name
    table = quote(Resident._meta.db_table)
    with connection.cursor() as cursor:
        # Identifiers from the model's meta, values as parameters.
        sql = f"UPDATE {table} SET {quote('last_visited_on')} = %s, {quote('next_visit_due')} = %s WHERE id = %s"  # noqa: S608
        cursor.executemany(sql, plans)
    return f"{total} visits, {overdue} of {len(planned)} plans overdue"
