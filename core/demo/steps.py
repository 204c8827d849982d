"""Core's demo-data steps: the administrative tree of 东港市, departments, party organisations,
people with their roles, the CMS groups and one demo account per role.

Each step checks for its own rows first (by fixed codes and usernames), so a second run only
reads. Trees are written through the services, which own the path scheme; people, memberships and
residents are bulk-created because there are thousands of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count

from core.access import AREA_ROLES
from core.demo import names
from core.demo.generate import PeopleMaker, apportion
from core.demo.registry import DemoContext, demo_step
from core.models import Area, Department, Membership, PartyOrg, Role, User
from core.services.orgs import ROLE_SCOPE, membership_grant
from core.services.trees import area_create, party_org_create

BATCH = 1000

# Article scale: 17 departments are fixed; the rest shrinks or grows with --scale.
TOWN_TOTAL = len(names.TOWNS)
VILLAGE_TOTAL = 120
GRID_TOTAL = 515
MEMBER_TOTAL = 4000
RESIDENT_USER_TOTAL = 1000

EDITOR_GROUP = "编辑"
REVIEWER_GROUP = "审核员"

CITY_ORG_CODE = f"P{names.CITY_CODE}"
SECTOR_ORG_CODE = f"P{names.CITY_CODE}F"
FIRST_USERNAME = "u000001"


def town_code(index: int, kind: str) -> str:
    # Statistical area codes: streets 001…, towns 101…, townships 201….
    base = {"street": 0, "town": 100, "township": 200}[kind]
    return f"{names.CITY_CODE}{base + index:03d}"


def child_code(parent_code: str, index: int) -> str:
    return f"{parent_code}{index:03d}"


def department_code(index: int) -> str:
    return f"{names.CITY_CODE}D{index:02d}"


def village_org_code(village_code: str) -> str:
    return f"P{village_code}"


def branch_code(village_code: str, index: int) -> str:
    return f"P{village_code}-{index}"


def town_office_branch_code(town_code: str) -> str:
    return f"P{town_code}J"


# The places the demo accounts look after: the first street, its first community and grid.
DEMO_TOWN_CODE = town_code(1, "street")
DEMO_VILLAGE_CODE = child_code(DEMO_TOWN_CODE, 1)
DEMO_GRID_CODE = child_code(DEMO_VILLAGE_CODE, 1)
DEMO_DEPARTMENT_CODE = department_code(names.DEPARTMENTS.index("城市管理综合行政执法局") + 1)


def _coord(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


# --- Areas ---------------------------------------------------------------------------------------


@dataclass
class _GridPlan:
    name: str
    households: int
    population: int
    lat: float
    lon: float


@dataclass
class _VillagePlan:
    name: str
    lat: float
    lon: float
    grids: list[_GridPlan] = field(default_factory=list)


@dataclass
class _TownPlan:
    name: str
    kind: str
    code: str
    lat: float
    lon: float
    villages: list[_VillagePlan] = field(default_factory=list)


def _pick_unused(used: set[str], make: Callable[[], str], fallback: Callable[[int], str]) -> str:
    for _ in range(100):
        candidate = make()
        if candidate not in used:
            break
    else:
        # Only reached at scales far beyond the article's: fall back to a numbered name.
        candidate = fallback(len(used))
    used.add(candidate)
    return candidate


def _community_name(rng: random.Random, used: set[str]) -> str:
    return _pick_unused(
        used,
        lambda: rng.choice(names.COMMUNITY_WORDS) + rng.choice(["", "", "", "东", "西", "南", "北"]) + "社区",
        lambda n: f"{rng.choice(names.COMMUNITY_WORDS)}{n}社区",
    )


def _village_name(rng: random.Random, used: set[str]) -> str:
    def make() -> str:
        r = rng.random()
        if r < 0.45:
            return rng.choice(names.VILLAGE_SURNAMES) + rng.choice(names.VILLAGE_PLACE_SUFFIXES) + "村"
        if r < 0.75:
            return rng.choice(names.VILLAGE_DIRECTIONS) + rng.choice(names.VILLAGE_LANDSCAPE) + "村"
        return rng.choice(names.VILLAGE_COLLECTIVE) + "村"

    return _pick_unused(used, make, lambda n: f"{rng.choice(names.VILLAGE_COLLECTIVE)}{n}村")


def _area_plan(ctx: DemoContext) -> list[_TownPlan]:
    rng = ctx.rng
    n_towns = min(TOWN_TOTAL, max(2, round(TOWN_TOTAL * ctx.scale)))
    streets = [t for t in names.TOWNS if t[1] == "street"]
    rural = [t for t in names.TOWNS if t[1] != "street"]
    # Keep at least one street (communities) and one town (villages) at any scale.
    n_streets = min(len(streets), max(1, round(n_towns * len(streets) / TOWN_TOTAL)))
    chosen = set(streets[:n_streets] + rural[: n_towns - n_streets])

    towns: list[_TownPlan] = []
    per_kind: dict[str, int] = {}
    for town_name, kind, lat, lon in names.TOWNS:
        per_kind[kind] = per_kind.get(kind, 0) + 1
        if (town_name, kind, lat, lon) in chosen:
            code = town_code(per_kind[kind], kind)
            towns.append(
                _TownPlan(town_name, kind, code, lat + rng.uniform(-0.003, 0.003), lon + rng.uniform(-0.004, 0.004))
            )

    # Streets have more, denser communities; rural towns spread their villages further.
    n_villages = max(len(towns), round(VILLAGE_TOTAL * ctx.scale))
    village_counts = apportion(
        n_villages, [(9.0 if t.kind == "street" else 6.2) * rng.uniform(0.8, 1.2) for t in towns]
    )
    used: set[str] = set()
    for town, count in zip(towns, village_counts, strict=True):
        spread = 0.012 if town.kind == "street" else 0.05
        for _ in range(count):
            name = _community_name(rng, used) if town.kind == "street" else _village_name(rng, used)
            town.villages.append(
                _VillagePlan(name, town.lat + rng.gauss(0, spread), town.lon + rng.gauss(0, spread * 1.3))
            )

    villages = [(t, v) for t in towns for v in t.villages]
    n_grids = max(len(villages), round(GRID_TOTAL * ctx.scale))
    grid_counts = apportion(
        n_grids, [(2.2 if t.kind == "street" else 1.0) * rng.uniform(0.7, 1.3) for t, _ in villages]
    )
    for (town, village), count in zip(villages, grid_counts, strict=True):
        urban = town.kind == "street"
        for k in range(1, count + 1):
            households = rng.randint(300, 600) if urban else rng.randint(150, 480)
            spread = 0.004 if urban else 0.012
            village.grids.append(
                _GridPlan(
                    name=f"{village.name}第{k}网格",
                    households=households,
                    population=round(households * rng.uniform(2.3, 2.9)),
                    lat=village.lat + rng.uniform(-spread, spread),
                    lon=village.lon + rng.uniform(-spread, spread) * 1.3,
                )
            )
    return towns


@demo_step(order=100, models=("core.Area",))
def seed_areas(ctx: DemoContext) -> str:
    if Area.objects.filter(code=names.CITY_CODE).exists():
        return "skipped: 东港市 is already there"
    towns = _area_plan(ctx)

    def totals(grids: list[_GridPlan]) -> dict[str, int]:
        return {"households": sum(g.households for g in grids), "population": sum(g.population for g in grids)}

    all_grids = [g for t in towns for v in t.villages for g in v.grids]
    city = area_create(
        name=names.CITY_NAME,
        code=names.CITY_CODE,
        level=Area.Level.CITY,
        latitude=_coord(names.CITY_CENTRE[0]),
        longitude=_coord(names.CITY_CENTRE[1]),
        **totals(all_grids),
    )
    for town_plan in towns:
        town = area_create(
            name=town_plan.name,
            code=town_plan.code,
            level=Area.Level.TOWN,
            parent=city,
            latitude=_coord(town_plan.lat),
            longitude=_coord(town_plan.lon),
            **totals([g for v in town_plan.villages for g in v.grids]),
        )
        for vi, village_plan in enumerate(town_plan.villages, 1):
            village = area_create(
                name=village_plan.name,
                code=child_code(town.code, vi),
                level=Area.Level.VILLAGE,
                parent=town,
                latitude=_coord(village_plan.lat),
                longitude=_coord(village_plan.lon),
                **totals(village_plan.grids),
            )
            for gi, grid in enumerate(village_plan.grids, 1):
                area_create(
                    name=grid.name,
                    code=child_code(village.code, gi),
                    level=Area.Level.GRID,
                    parent=village,
                    latitude=_coord(grid.lat),
                    longitude=_coord(grid.lon),
                    households=grid.households,
                    population=grid.population,
                )
    n_villages = sum(len(t.villages) for t in towns)
    return f"{len(towns)} towns/streets, {n_villages} villages/communities, {len(all_grids)} grids"


# --- Departments ---------------------------------------------------------------------------------


@demo_step(order=110, models=("core.Department",))
def seed_departments(ctx: DemoContext) -> str:
    city = Area.objects.get(code=names.CITY_CODE)
    existing = set(Department.objects.values_list("code", flat=True))
    missing = [
        Department(name=name, code=department_code(i), city=city)
        for i, name in enumerate(names.DEPARTMENTS, 1)
        if department_code(i) not in existing
    ]
    Department.objects.bulk_create(missing)
    return f"{len(missing)} departments" if missing else "skipped: all 17 departments are there"


# --- Party organisations -------------------------------------------------------------------------


def _ordinal(n: int) -> str:
    return names.CHINESE_ORDINALS[n - 1] if n <= len(names.CHINESE_ORDINALS) else str(n)


@demo_step(order=120, models=("core.PartyOrg",))
def seed_party_orgs(ctx: DemoContext) -> str:
    if PartyOrg.objects.filter(code=CITY_ORG_CODE).exists():
        return "skipped: 中共东港市委 is already there"
    rng = ctx.rng
    Kind = PartyOrg.Kind  # noqa: N806
    city = Area.objects.get(code=names.CITY_CODE)
    city_org = party_org_create(name="中共东港市委", code=CITY_ORG_CODE, kind=Kind.COMMITTEE, area=city)
    grid_counts = dict(
        Area.objects.filter(level=Area.Level.VILLAGE).annotate(n=Count("children")).values_list("pk", "n")
    )
    villages_by_town: dict[int, list[Area]] = {}
    for village in Area.objects.filter(level=Area.Level.VILLAGE, path__startswith=city.path).order_by("code"):
        villages_by_town.setdefault(village.parent_id, []).append(village)

    count = 1
    for town in Area.objects.filter(level=Area.Level.TOWN, parent=city).order_by("code"):
        is_street = town.name.endswith("街道")
        town_org = party_org_create(
            name=f"中共{town.name}{'工作委员会' if is_street else '委员会'}",
            code=f"P{town.code}",
            kind=Kind.COMMITTEE,
            parent=city_org,
            area=town,
        )
        party_org_create(
            name=f"{town.name}机关党支部",
            code=town_office_branch_code(town.code),
            kind=Kind.BRANCH,
            parent=town_org,
            area=town,
        )
        count += 2
        for village in villages_by_town.get(town.pk, []):
            # Large villages and communities have a 党委, the others a 党总支.
            large = grid_counts.get(village.pk, 0) >= 6
            village_org = party_org_create(
                name=f"{village.name}{'党委' if large else '党总支'}",
                code=village_org_code(village.code),
                kind=Kind.COMMITTEE if large else Kind.GENERAL_BRANCH,
                parent=town_org,
                area=village,
            )
            n_branches = 3 if large else rng.choice([1, 2, 2, 3])
            for b in range(1, n_branches + 1):
                party_org_create(
                    name=f"{village.name}第{_ordinal(b)}党支部",
                    code=branch_code(village.code, b),
                    kind=Kind.BRANCH,
                    parent=village_org,
                    area=village,
                )
            count += 1 + n_branches

    for department in Department.objects.filter(city=city).order_by("code"):
        party_org_create(
            name=f"{department.name}机关党支部",
            code=f"P{department.code}",
            kind=Kind.BRANCH,
            parent=city_org,
            area=city,
        )
        count += 1
    sector = party_org_create(
        name=names.SECTOR_COMMITTEE, code=SECTOR_ORG_CODE, kind=Kind.COMMITTEE, parent=city_org, area=city
    )
    for i, branch_name in enumerate(names.SECTOR_BRANCHES, 1):
        party_org_create(name=branch_name, code=f"{SECTOR_ORG_CODE}-{i}", kind=Kind.BRANCH, parent=sector, area=city)
    count += 1 + len(names.SECTOR_BRANCHES)
    return f"{count} party organisations"


# --- Wagtail groups ------------------------------------------------------------------------------


@demo_step(order=125, models=("auth.Group", "wagtailcore.GroupPagePermission"))
def seed_cms_groups(ctx: DemoContext) -> str:
    """Editors and reviewers reach the Wagtail admin; reviewers also publish and approve."""
    from wagtail.models import GroupApprovalTask, GroupPagePermission, Page, Site

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = site.root_page if site else Page.objects.filter(depth=2).order_by("path").first()
    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    page_type = ContentType.objects.get_for_model(Page)
    page_perms = {p.codename: p for p in Permission.objects.filter(content_type=page_type)}
    created = 0
    groups = {}
    for group_name in (EDITOR_GROUP, REVIEWER_GROUP):
        groups[group_name], new = Group.objects.get_or_create(name=group_name)
        created += new
    with_admin = set(Group.objects.filter(permissions=access_admin).values_list("name", flat=True))
    held = set(GroupPagePermission.objects.filter(page=home).values_list("group__name", "permission__codename"))
    for group_name, codenames in (
        (EDITOR_GROUP, ["add_page", "change_page"]),
        (REVIEWER_GROUP, ["add_page", "change_page", "publish_page"]),
    ):
        group = groups[group_name]
        if group_name not in with_admin:
            group.permissions.add(access_admin)
            created += 1
        for codename in codenames:
            if home is not None and (group_name, codename) not in held:
                GroupPagePermission.objects.create(group=group, page=home, permission=page_perms[codename])
                created += 1
    # Wagtail's default workflow asks its "Moderators" group (renamed 审核员 by cms 0006) to approve; where
    # the groups predate that migration, let our reviewers approve too.
    reviewers = groups[REVIEWER_GROUP]
    for task in GroupApprovalTask.objects.filter(active=True).exclude(groups=reviewers):
        task.groups.add(reviewers)
        created += 1
    return f"{created} groups/permissions" if created else "skipped: groups are there"


# --- People --------------------------------------------------------------------------------------


def _check_scope(role: str, *, area: Area | None, department: Department | None, party_org: PartyOrg | None) -> None:
    """The same rule membership_grant enforces, for memberships we bulk-create."""
    scope = ROLE_SCOPE[Role(role)]
    needed = scope.rstrip("?") if scope else None
    given = {"area": area, "department": department, "party_org": party_org}
    for key, value in given.items():
        if key == needed and value is None and not scope.endswith("?"):
            raise ValueError(f"{role} needs a {key}")
        if key != needed and value is not None:
            raise ValueError(f"{role} must not have a {key}")
    if role in AREA_ROLES and area.level != AREA_ROLES[role]:
        raise ValueError(f"{role} needs an area of level {AREA_ROLES[role]}")


class _PeopleBatch:
    """Users to bulk-create, each with the memberships (and groups) it will get."""

    def __init__(self, maker: PeopleMaker, start: int) -> None:
        self.maker = maker
        self.next_number = start
        self.unusable = make_password(None)
        self.users: list[User] = []
        self.grants: list[tuple[int, str, dict]] = []
        self.groups: list[tuple[int, str]] = []

    def person(self, *, generation_weights: tuple[float, float, float] = (2, 5, 3)) -> int:
        generation = self.maker.rng.choices(["old", "mid", "young"], weights=generation_weights)[0]
        username = f"u{self.next_number:06d}"
        self.next_number += 1
        # One unusable hash for everyone: nobody signs in with a generated account, and hashing
        # thousands of passwords would dominate the run.
        self.users.append(
            User(
                username=username,
                name=self.maker.name(generation=generation),
                mobile=self.maker.mobile(),
                password=self.unusable,
            )
        )
        return len(self.users) - 1

    def grant(self, index: int, role: str, **scope) -> None:
        _check_scope(role, area=scope.get("area"), department=scope.get("department"), party_org=scope.get("party_org"))
        self.grants.append((index, role, scope))

    def save(self) -> tuple[int, int]:
        User.objects.bulk_create(self.users, batch_size=BATCH)
        if any(u.pk is None for u in self.users):  # databases that cannot return ids from bulk inserts
            ids = dict(User.objects.filter(username__startswith="u").values_list("username", "pk"))
            for user in self.users:
                user.pk = ids[user.username]
        memberships = [Membership(user=self.users[i], role=role, **scope) for i, role, scope in self.grants]
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        group_ids = dict(Group.objects.values_list("name", "pk"))
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=self.users[i].pk, group_id=group_ids[g]) for i, g in self.groups if g in group_ids],
            batch_size=BATCH,
        )
        return len(self.users), len(memberships)


@demo_step(order=130, models=("core.User", "core.Membership"))
def seed_people(ctx: DemoContext) -> str:
    if User.objects.filter(username=FIRST_USERNAME).exists():
        return "skipped: generated people are there"
    rng = ctx.rng
    city = Area.objects.get(code=names.CITY_CODE)
    maker = PeopleMaker(rng, used_mobiles=set(User.objects.exclude(mobile=None).values_list("mobile", flat=True)))
    batch = _PeopleBatch(maker, start=1)
    staff = (1, 6, 3)  # staff are mostly of working age

    areas = list(Area.objects.filter(path__startswith=city.path).order_by("path"))
    towns = [a for a in areas if a.level == Area.Level.TOWN]
    villages = [a for a in areas if a.level == Area.Level.VILLAGE]
    grids = [a for a in areas if a.level == Area.Level.GRID]
    departments = list(Department.objects.filter(city=city).order_by("code"))
    orgs = {o.code: o for o in PartyOrg.objects.filter(code__startswith="P")}
    village_branches = {
        v.pk: [o for o in (orgs.get(branch_code(v.code, b)) for b in range(1, 4)) if o is not None] for v in villages
    }
    town_branches = {t.pk: orgs[town_office_branch_code(t.code)] for t in towns}
    department_branches = {d.pk: orgs[f"P{d.code}"] for d in departments}
    sector_branches = [orgs[f"{SECTOR_ORG_CODE}-{i}"] for i in range(1, len(names.SECTOR_BRANCHES) + 1)]
    demo_branch = orgs.get(branch_code(DEMO_VILLAGE_CODE, 1))

    def maybe_member(index: int, branch: PartyOrg | None, share: float) -> None:
        if branch is not None and rng.random() < share:
            batch.grant(index, Role.MEMBER, party_org=branch)

    for town in towns:
        for _ in range(ctx.scaled(rng.randint(5, 8))):
            i = batch.person(generation_weights=staff)
            batch.grant(i, Role.TOWN_STAFF, area=town)
            maybe_member(i, town_branches[town.pk], 0.6)
    for village in villages:
        branches = village_branches[village.pk]
        for _ in range(ctx.scaled(rng.randint(2, 4))):
            i = batch.person(generation_weights=staff)
            batch.grant(i, Role.COMMUNITY_STAFF, area=village)
            maybe_member(i, rng.choice(branches) if branches else None, 0.6)
        # The first branch of every village hosts a branch venue (分会场) for live lessons.
        if branches and branches[0] != demo_branch:
            batch.grant(batch.person(generation_weights=staff), Role.VENUE_OPERATOR, party_org=branches[0])
    for grid in grids:
        if grid.code == DEMO_GRID_CODE:
            continue  # demo_gridworker looks after this grid
        i = batch.person(generation_weights=staff)
        batch.grant(i, Role.GRID_WORKER, area=grid)
        branches = village_branches[grid.parent_id]
        maybe_member(i, rng.choice(branches) if branches else None, 0.45)
    for town in towns:
        batch.grant(batch.person(generation_weights=staff), Role.VENUE_OPERATOR, party_org=town_branches[town.pk])
    for department in departments:
        for n in range(ctx.scaled(rng.randint(4, 8))):
            i = batch.person(generation_weights=staff)
            batch.grant(i, Role.DEPARTMENT_STAFF, department=department)
            if n == 0:
                # The section chief also leads it (分管): overdue reports are escalated to them (督办).
                # Granted to an existing person, so the rest of the generated city stays the same.
                batch.grant(i, Role.DEPARTMENT_SUPERVISOR, department=department)
            maybe_member(i, department_branches[department.pk], 0.7)
        # Each department edits its own work-update section (机关工作动态).
        i = batch.person(generation_weights=staff)
        batch.grant(i, Role.EDITOR, department=department)
        batch.groups.append((i, EDITOR_GROUP))
    for role, count, group in (
        (Role.EDITOR, 2, EDITOR_GROUP),
        (Role.REVIEWER, 2, REVIEWER_GROUP),
        (Role.OPS_ADMIN, 3, None),
    ):
        for _ in range(ctx.scaled(count)):
            i = batch.person(generation_weights=staff)
            batch.grant(i, role)
            if group:
                batch.groups.append((i, group))

    # Party members, spread over every branch; the delivery riders' branch is a large one.
    branches: list[PartyOrg] = []
    weights: list[float] = []
    for village in villages:
        for branch in village_branches[village.pk]:
            branches.append(branch)
            weights.append(rng.uniform(0.8, 1.6))
    for branch in [*town_branches.values(), *department_branches.values()]:
        branches.append(branch)
        weights.append(rng.uniform(0.6, 1.0))
    for branch in sector_branches:
        branches.append(branch)
        weights.append(6.0 if branch.name == names.RIDER_BRANCH else 0.6)
    for branch, n in zip(branches, apportion(ctx.scaled(MEMBER_TOTAL), weights, minimum=0), strict=True):
        rider = branch.name == names.RIDER_BRANCH
        for _ in range(n):
            i = batch.person(generation_weights=(0, 3, 7) if rider else (4, 4, 2))
            batch.grant(i, Role.MEMBER, party_org=branch)
    # Residents (群众) who signed up to report problems and follow their grid.
    resident_weights = [rng.uniform(0.5, 1.5) for _ in grids]
    for grid, n in zip(grids, apportion(ctx.scaled(RESIDENT_USER_TOTAL), resident_weights, minimum=0), strict=True):
        for _ in range(n):
            batch.grant(batch.person(), Role.RESIDENT, area=grid)

    users, memberships = batch.save()
    return f"{users} people, {memberships} memberships"


# --- Demo accounts -------------------------------------------------------------------------------

# username → (role, how to find its scope). Scopes are chosen so each demo page has data.
DEMO_ROLES: dict[str, tuple[str | None, str | None]] = {
    "demo_resident": (Role.RESIDENT, "grid"),
    "demo_member": (Role.MEMBER, "branch"),
    "demo_gridworker": (Role.GRID_WORKER, "grid"),
    "demo_community": (Role.COMMUNITY_STAFF, "village"),
    "demo_town": (Role.TOWN_STAFF, "town"),
    "demo_department": (Role.DEPARTMENT_STAFF, "department"),
    "demo_supervisor": (Role.DEPARTMENT_SUPERVISOR, "department"),
    "demo_venue": (Role.VENUE_OPERATOR, "branch"),
    "demo_editor": (Role.EDITOR, None),
    "demo_reviewer": (Role.REVIEWER, None),
    "demo_ops": (Role.OPS_ADMIN, None),
    "admin": (None, None),
}
DEMO_GROUPS = {"demo_editor": EDITOR_GROUP, "demo_reviewer": REVIEWER_GROUP}


def _demo_scopes() -> dict[str | None, dict]:
    """Scope keyword arguments for each kind in DEMO_ROLES, in three queries."""
    areas = {a.code: a for a in Area.objects.filter(code__in=[DEMO_GRID_CODE, DEMO_VILLAGE_CODE, DEMO_TOWN_CODE])}
    return {
        None: {},
        "grid": {"area": areas[DEMO_GRID_CODE]},
        "village": {"area": areas[DEMO_VILLAGE_CODE]},
        "town": {"area": areas[DEMO_TOWN_CODE]},
        "department": {"department": Department.objects.get(code=DEMO_DEPARTMENT_CODE)},
        "branch": {"party_org": PartyOrg.objects.get(code=branch_code(DEMO_VILLAGE_CODE, 1))},
    }


@demo_step(order=135, models=("core.User", "core.Membership"))
def seed_demo_accounts(ctx: DemoContext) -> str:
    existing = {u.username: u for u in User.objects.filter(username__in=DEMO_ROLES)}
    taken_mobiles = set(
        User.objects.filter(mobile__in=[m for _, m in names.DEMO_PEOPLE.values()])
        .exclude(username__in=DEMO_ROLES)
        .values_list("mobile", flat=True)
    )
    held = set(
        Membership.objects.filter(user__username__in=DEMO_ROLES).values_list(
            "user__username", "role", "area_id", "department_id", "party_org_id"
        )
    )
    in_groups = set(
        User.groups.through.objects.filter(user__username__in=DEMO_ROLES).values_list("user__username", "group__name")
    )
    scopes = _demo_scopes()
    # One hash for all new demo accounts: PBKDF2 is slow by design and they share a password.
    encoded = make_password(ctx.password) if len(existing) < len(DEMO_ROLES) else None
    groups = {g.name: g for g in Group.objects.filter(name__in=DEMO_GROUPS.values())}
    granted = 0
    for username, (role, scope_kind) in DEMO_ROLES.items():
        user = existing.get(username)
        if user is None:
            name, mobile = names.DEMO_PEOPLE[username]
            superuser = username == "admin"
            user = User.objects.create(
                username=username,
                name=name,
                mobile=None if mobile in taken_mobiles else mobile,
                password=encoded,
                is_staff=superuser,
                is_superuser=superuser,
            )
            ctx.created_accounts.add(username)
        scope = scopes[scope_kind]
        key = tuple(getattr(scope.get(f), "pk", None) for f in ("area", "department", "party_org"))
        if role is not None and (username, role, *key) not in held:
            membership_grant(user=user, role=role, **scope)
            granted += 1
        group_name = DEMO_GROUPS.get(username)
        if group_name in groups and (username, group_name) not in in_groups:
            user.groups.add(groups[group_name])
    if not (ctx.created_accounts or granted):
        return "skipped: demo accounts are there"
    return f"{len(ctx.created_accounts)} demo accounts, {granted} roles granted"


def demo_account_rows(password: str) -> list[tuple[str, str, str, str]]:
    """(username, role, scope, password) for the summary the command prints."""
    city = Area.objects.filter(code=names.CITY_CODE).first()
    names_by_path = {a.path: a.name for a in Area.objects.filter(level__lte=Area.Level.VILLAGE)} if city else {}
    rows = []
    users = User.objects.filter(username__in=DEMO_ROLES).prefetch_related(
        "memberships__area", "memberships__department", "memberships__party_org"
    )
    by_username = {u.username: u for u in users}
    for username in DEMO_ROLES:
        user = by_username.get(username)
        if user is None:
            continue
        if user.is_superuser and not user.memberships.all():
            rows.append((username, "超级管理员 / superuser", "全市 + /django-admin/", password))
            continue
        for m in user.memberships.all():
            if m.area:
                parts = m.area.path.strip("/").split("/")
                prefixes = ["/" + "/".join(parts[: k + 1]) + "/" for k in range(1, len(parts) - 1)]
                scope = " / ".join([*(names_by_path.get(p, "") for p in prefixes), m.area.name])
            else:
                scope = str(m.department or m.party_org or "全市")
            rows.append((username, str(Role(m.role).label), scope, password))
    return rows
