"""Demo data of party records at the article's scale: a profile for every organisation of the demo
tree, ≈ 9,000 member records (every member account core made, plus members without an account),
delivery riders among the mobile members, transfers, the talent pool, three years of meetings,
and the live lessons and courses linked into organisational life.

Every step checks for its own rows first; rows are bulk-created.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from core.demo import names
from core.demo.generate import PeopleMaker, apportion, generation_of
from core.demo.registry import DemoContext, demo_step
from core.demo.steps import CITY_ORG_CODE, DEMO_VILLAGE_CODE, SECTOR_ORG_CODE, branch_code
from core.models import Area, Membership, PartyOrg, Role, User
from core.services.orgs import membership_grant
from party.models import (
    CommitteePost,
    Education,
    Meeting,
    MeetingKind,
    MemberRecord,
    MobileInfo,
    MobileRegistration,
    Occupation,
    OrgProfile,
    PartyRole,
    TalentEntry,
    TalentRole,
    Transfer,
    UnitKind,
)
from party.selectors import LIFE_RULES

BATCH = 2000
MEMBER_TOTAL = 9000

# Demo accounts of this app: username → (name, mobile, role).
DEMO_ACCOUNTS = {
    "demo_orgdept": ("孙丽娟", "19900000011", PartyRole.Kind.ORG_DEPARTMENT),
    "demo_secretary": ("马春生", "19900000012", PartyRole.Kind.SECRETARY),
    "demo_rider": ("韩小龙", "19900000013", None),
}

RIDER_PLATFORMS = ["美团外卖", "饿了么", "顺丰速运", "中通快递", "京东物流", "圆通速递", "韵达快递", "极兔速递"]
DRIVER_PLATFORMS = ["滴滴出行", "T3出行", "曹操出行", "花小猪打车"]
HOME_PLACES = [
    "山东省临沂市沂南县",
    "山东省烟台市莱阳市",
    "辽宁省丹东市宽甸满族自治县",
    "辽宁省丹东市凤城市",
    "辽宁省大连市庄河市",
    "辽宁省鞍山市岫岩满族自治县",
    "吉林省通化市集安市",
    "黑龙江省绥化市望奎县",
    "河北省承德市平泉市",
]
SKILLS = [
    "党务写作",
    "宣讲",
    "摄影摄像",
    "短视频剪辑",
    "财务",
    "法律咨询",
    "农技推广",
    "电商运营",
    "心理疏导",
    "书法",
    "调解纠纷",
    "信息技术",
]
TOPICS = {
    MeetingKind.GENERAL_ASSEMBLY: [
        "传达学习上级会议精神",
        "讨论发展党员工作",
        "预备党员转正表决",
        "审议支部年度工作计划",
        "通报党费收缴情况",
        "选举出席上级党代会代表",
    ],
    MeetingKind.COMMITTEE: [
        "研究本月支部工作安排",
        "研究入党积极分子培养",
        "研究党员教育管理",
        "研究主题党日活动方案",
        "研究困难党员帮扶",
        "研究村级重要事项",
    ],
    MeetingKind.GROUP: [
        "学习党的创新理论",
        "交流思想和工作情况",
        "学习党章党规",
        "讨论为民办实事项目",
        "开展批评和自我批评",
    ],
    MeetingKind.LECTURE: [
        "学习贯彻党的二十届四中全会精神",
        "弘扬伟大建党精神",
        "以党建引领乡村振兴",
        "锤炼党性 服务群众",
        "学习《中国共产党纪律处分条例》",
        "发扬抗美援朝精神",
    ],
    MeetingKind.THEME_DAY: [
        "重温入党誓词",
        "志愿服务进社区",
        "清理村屯环境卫生",
        "走访慰问老党员",
        "参观抗美援朝纪念馆",
        "助力草莓产业发展",
        "开展安全生产检查",
    ],
    MeetingKind.LIFE_MEETING: ["年度组织生活会暨民主评议党员"],
}
PLACES = ["党员活动室", "党群服务中心", "会议室", "新时代文明实践站"]


def _female_given_names() -> set[str]:
    return {n for (gen, sex), given in names.GIVEN_NAMES.items() if sex == "f" for n in given}


def _unit_kind(org: PartyOrg, areas: dict[int, Area]) -> str:
    area = areas.get(org.area_id)
    if org.code.startswith(SECTOR_ORG_CODE):
        if org.name in names.SECTOR_BRANCHES[:2] or org.code == SECTOR_ORG_CODE:
            return UnitKind.NEW_EMPLOYMENT if org.code != SECTOR_ORG_CODE else UnitKind.PRIVATE_ENTERPRISE
        if "律师" in org.name or "社会组织" in org.name:
            return UnitKind.SOCIAL_ORG
        return UnitKind.PRIVATE_ENTERPRISE
    if area is not None and area.level == Area.Level.VILLAGE:
        return UnitKind.COMMUNITY if area.name.endswith("社区") else UnitKind.VILLAGE
    return UnitKind.AGENCY


def _occupation(rng: random.Random, unit_kind: str, org: PartyOrg, age: int) -> str:
    if age >= 62:
        return Occupation.RETIRED if unit_kind != UnitKind.VILLAGE or rng.random() < 0.3 else Occupation.FARMER
    if unit_kind == UnitKind.NEW_EMPLOYMENT:
        if "网约车" in org.name:
            return Occupation.RIDE_HAILING
        return rng.choices([Occupation.DELIVERY_RIDER, Occupation.COURIER], weights=[6, 4])[0]
    if unit_kind == UnitKind.VILLAGE:
        return rng.choices(
            [Occupation.FARMER, Occupation.SELF_EMPLOYED, Occupation.WORKER, Occupation.DELIVERY_RIDER],
            weights=[70, 14, 12, 4],
        )[0]
    if unit_kind == UnitKind.COMMUNITY:
        return rng.choices(
            [
                Occupation.WORKER,
                Occupation.SELF_EMPLOYED,
                Occupation.PROFESSIONAL,
                Occupation.MANAGER,
                Occupation.COURIER,
                Occupation.OTHER,
            ],
            weights=[30, 20, 20, 12, 6, 12],
        )[0]
    if unit_kind == UnitKind.AGENCY:
        return rng.choices([Occupation.CIVIL_SERVANT, Occupation.PROFESSIONAL], weights=[85, 15])[0]
    if unit_kind == UnitKind.SOCIAL_ORG:
        return Occupation.PROFESSIONAL
    return rng.choices([Occupation.WORKER, Occupation.MANAGER, Occupation.PROFESSIONAL], weights=[50, 20, 30])[0]


def _education(rng: random.Random, unit_kind: str, birth_year: int) -> str:
    if unit_kind == UnitKind.AGENCY:
        return rng.choices([Education.POSTGRADUATE, Education.BACHELOR, Education.COLLEGE], weights=[15, 70, 15])[0]
    old = birth_year < 1965
    weights = [1, 8, 14, 35, 42] if old else [4, 30, 30, 26, 10]
    if unit_kind == UnitKind.VILLAGE:
        weights = [0, 3, 8, 30, 59] if old else [1, 12, 22, 35, 30]
    return rng.choices(
        [Education.POSTGRADUATE, Education.BACHELOR, Education.COLLEGE, Education.SECONDARY, Education.JUNIOR],
        weights=weights,
    )[0]


def _date_in(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    if end <= start:
        return start
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


@demo_step(order=470, models=("party.OrgProfile",))
def seed_party_profiles(ctx: DemoContext) -> str:
    """A profile for every organisation of the tree."""
    if OrgProfile.objects.filter(org__code=CITY_ORG_CODE).exists():
        return "skipped: profiles are there"
    rng = ctx.rng
    today = timezone.localdate()
    orgs = list(PartyOrg.objects.order_by("path"))
    if not orgs:
        return "skipped: no party organisations"
    areas = {a.pk: a for a in Area.objects.filter(pk__in={o.area_id for o in orgs if o.area_id})}
    maker = PeopleMaker(rng)
    profiles = []
    for org in orgs:
        kind = _unit_kind(org, areas)
        area = areas.get(org.area_id)
        founded_year = (
            rng.randint(1949, 1985) if kind in (UnitKind.VILLAGE, UnitKind.AGENCY) else rng.randint(2008, 2022)
        )
        # Villages and communities elected in the 2021 round; a few are past their term.
        term_start = (
            _date_in(rng, datetime.date(2021, 3, 1), datetime.date(2021, 7, 31))
            if kind in (UnitKind.VILLAGE, UnitKind.COMMUNITY)
            else _date_in(rng, today - datetime.timedelta(days=5 * 365 + 60), today - datetime.timedelta(days=60))
        )
        profiles.append(
            OrgProfile(
                org=org,
                unit_kind=kind,
                unit_name=area.name if area and kind in (UnitKind.VILLAGE, UnitKind.COMMUNITY) else "",
                founded_on=datetime.date(founded_year, rng.randint(1, 12), rng.randint(1, 28)),
                term_started_on=term_start,
                term_years=5,
                address=f"{area.name}党群服务中心" if area and area.level == Area.Level.VILLAGE else "",
                contact_name=maker.name(),
                contact_phone=f"0415-{rng.randint(7100000, 7899999)}",
            )
        )
    OrgProfile.objects.bulk_create(profiles, batch_size=BATCH)

    return f"{len(profiles)} organisation profiles"


@demo_step(order=471, models=("core.User", "core.Membership", "party.PartyRole"))
def seed_party_demo_accounts(ctx: DemoContext) -> str:
    """The organisation department's account, the demo branch's secretary and a rider who has not
    registered yet; each with its role, also when the account was already there."""
    demo_branch = PartyOrg.objects.filter(code=branch_code(DEMO_VILLAGE_CODE, 1)).select_related("area").first()
    if demo_branch is None:
        return "skipped: no demo branch"
    existing = {u.username: u for u in User.objects.filter(username__in=DEMO_ACCOUNTS)}
    taken = set(
        User.objects.filter(mobile__in=[m for _n, m, _r in DEMO_ACCOUNTS.values()]).values_list("mobile", flat=True)
    )
    encoded = make_password(ctx.password) if len(existing) < len(DEMO_ACCOUNTS) else None
    roles_before = PartyRole.objects.filter(user__username__in=DEMO_ACCOUNTS).count()
    for username, (name, mobile, kind) in DEMO_ACCOUNTS.items():
        user = existing.get(username)
        if user is None:
            user = User.objects.create(
                username=username, name=name, mobile=None if mobile in taken else mobile, password=encoded
            )
            ctx.created_accounts.add(username)
        if kind == PartyRole.Kind.ORG_DEPARTMENT:
            PartyRole.objects.get_or_create(user=user, kind=kind, party_org=None)
        elif kind == PartyRole.Kind.SECRETARY:
            PartyRole.objects.get_or_create(user=user, kind=kind, party_org=demo_branch)
            membership_grant(user=user, role=Role.MEMBER, party_org=demo_branch)
        else:
            grid = demo_branch.area.children.order_by("path").first() if demo_branch.area else None
            if grid is not None:
                membership_grant(user=user, role=Role.RESIDENT, area=grid)
    created = len(ctx.created_accounts & set(DEMO_ACCOUNTS))
    granted = PartyRole.objects.filter(user__username__in=DEMO_ACCOUNTS).count() - roles_before
    if not (created or granted):
        return "skipped: demo accounts are there"
    return f"{created} demo accounts, {granted} party-work roles"


@demo_step(
    order=472,
    models=(
        "party.MemberRecord",
        "party.MobileInfo",
        "party.TalentEntry",
        "party.CommitteePost",
        "party.PartyRole",
        "party.Transfer",
        "party.MobileRegistration",
    ),
)
def seed_member_records(ctx: DemoContext) -> str:
    if MemberRecord.objects.exists():
        return "skipped: member records are there"
    rng = ctx.rng
    today = timezone.localdate()
    orgs = {o.pk: o for o in PartyOrg.objects.select_related("profile")}
    branches = [o for o in orgs.values() if o.kind == PartyOrg.Kind.BRANCH]
    if not branches:
        return "skipped: no branches"
    unit = {o.pk: (o.profile.unit_kind if hasattr(o, "profile") else UnitKind.OTHER) for o in orgs.values()}
    female = _female_given_names()
    used_mobiles = set(User.objects.exclude(mobile=None).values_list("mobile", flat=True))
    maker = PeopleMaker(rng, used_mobiles=used_mobiles)

    # Every member account core made gets its record, in the branch of its member role.
    accounts: dict[int, tuple[int, str, str | None]] = {}
    for user_id, org_id, name, mobile in Membership.objects.filter(
        role=Role.MEMBER, party_org__isnull=False
    ).values_list("user_id", "party_org_id", "user__name", "user__mobile"):
        accounts.setdefault(user_id, (org_id, name, mobile))

    records: list[MemberRecord] = []

    def add(branch: PartyOrg, *, name: str | None, user_id: int | None, mobile: str | None) -> None:
        kind = unit[branch.pk]
        if kind == UnitKind.NEW_EMPLOYMENT:
            age = rng.randint(22, 45)
        elif kind == UnitKind.VILLAGE:
            age = min(92, max(23, round(rng.gauss(58, 14))))
        else:
            age = min(90, max(23, round(rng.gauss(47, 13))))
        birth_year = today.year - age
        if name is None:
            sex = rng.choices("mf", weights=[68, 32])[0]
            name = maker.name(sex=sex, generation=generation_of(birth_year))
        else:
            sex = "f" if name[1:] in female or name[2:] in female else "m"
        probationary = age < 45 and rng.random() < 0.06
        if probationary:
            joined = _date_in(rng, today - datetime.timedelta(days=360), today - datetime.timedelta(days=7))
            full = None
        else:
            join_age = min(age - 1, rng.randint(20, 38))
            start = datetime.date(birth_year + join_age, 1, 1)
            joined = _date_in(
                rng, start, min(start + datetime.timedelta(days=364), today - datetime.timedelta(days=400))
            )
            full = joined + datetime.timedelta(days=365)
        occupation = _occupation(rng, kind, branch, age)
        has_phone = age < 80 or rng.random() < 0.5
        records.append(
            MemberRecord(
                branch=branch,
                user_id=user_id,
                name=name,
                gender=sex,
                birth_year=birth_year,
                education=_education(rng, kind, birth_year),
                occupation=occupation,
                work_unit=rng.choice(RIDER_PLATFORMS)
                if occupation in (Occupation.DELIVERY_RIDER, Occupation.COURIER)
                else "",
                phone=mobile or (maker.mobile() if has_phone else ""),
                status=MemberRecord.Status.PROBATIONARY if probationary else MemberRecord.Status.FULL,
                joined_on=joined,
                full_member_on=full,
                is_mobile=kind == UnitKind.NEW_EMPLOYMENT and rng.random() < 0.75,
            )
        )

    for user_id, (org_id, name, mobile) in accounts.items():
        add(orgs[org_id], name=name or None, user_id=user_id, mobile=mobile)
    # Members without an account (many older village members): spread over the branches.
    rest = max(0, ctx.scaled(MEMBER_TOTAL) - len(records))
    weights = [
        {UnitKind.VILLAGE: 1.6, UnitKind.COMMUNITY: 1.2, UnitKind.AGENCY: 0.5, UnitKind.NEW_EMPLOYMENT: 4.0}.get(
            unit[b.pk], 0.8
        )
        * rng.uniform(0.6, 1.4)
        for b in branches
    ]
    for branch, n in zip(branches, apportion(rest, weights, minimum=0), strict=True):
        for _ in range(n):
            add(branch, name=None, user_id=None, mobile=None)
    MemberRecord.objects.bulk_create(records, batch_size=BATCH)
    by_branch: dict[int, list[MemberRecord]] = defaultdict(list)
    for r in records:
        by_branch[r.branch_id].append(r)

    # Mobile members: where their relationship is held, where they live and work, who cares for them.
    # Riders and couriers whose relationship sits in a village or community branch are mobile members
    # too, cared for by the new employment groups' branch where they work.
    towns = list(Area.objects.filter(level=Area.Level.TOWN).order_by("path"))
    rider_branch = next((b for b in branches if b.name == names.RIDER_BRANCH), None)
    mobile_rows = []
    for r in records:
        away = (
            rider_branch is not None
            and unit[r.branch_id] != UnitKind.NEW_EMPLOYMENT
            and r.occupation in (Occupation.DELIVERY_RIDER, Occupation.COURIER)
        )
        if away:
            r.is_mobile = True
        if not r.is_mobile:
            continue
        town = rng.choice(towns) if towns else None
        platform = rng.choice(DRIVER_PLATFORMS if r.occupation == Occupation.RIDE_HAILING else RIDER_PLATFORMS)
        mobile_rows.append(
            MobileInfo(
                member=r,
                registered_with=orgs[r.branch_id].name
                if away
                else rng.choice(HOME_PLACES) + rng.choice(["某村党支部", "某镇某村党支部", "某社区党委"]),
                lives_in=f"{town.name}{rng.choice(names.COMMUNITY_WORDS)}小区" if town else "",
                works_at=f"{platform}{town.name if town else ''}站点"
                if r.occupation != Occupation.RIDE_HAILING
                else "全市",
                platform=platform,
                area=town,
                caring_org_id=rider_branch.pk if away else r.branch_id,
                contact_note=rng.choice(["微信同号", "站长转告", "下班后联系", ""]),
                since=_date_in(rng, today - datetime.timedelta(days=6 * 365), today - datetime.timedelta(days=30)),
            )
        )
    MobileInfo.objects.bulk_create(mobile_rows, batch_size=BATCH)
    MemberRecord.objects.filter(pk__in=[m.member.pk for m in mobile_rows]).update(is_mobile=True)

    # Secretaries (with their keeper role when they have an account), committees, the talent pool.
    posts, roles, talent = [], [], []
    demo_secretary_branch = (
        PartyOrg.objects.filter(code=branch_code(DEMO_VILLAGE_CODE, 1)).values_list("pk", flat=True).first()
    )
    for branch in branches:
        members = [
            m
            for m in by_branch.get(branch.pk, [])
            if m.status == MemberRecord.Status.FULL and m.birth_year > today.year - 70
        ]
        if not members:
            continue
        chosen = rng.sample(members, min(len(members), 5 if len(members) >= 15 else 3))
        for member, post in zip(
            chosen,
            [
                CommitteePost.Post.SECRETARY,
                CommitteePost.Post.DEPUTY,
                CommitteePost.Post.ORGANISATION,
                CommitteePost.Post.PUBLICITY,
                CommitteePost.Post.DISCIPLINE,
            ],
            strict=False,
        ):
            posts.append(
                CommitteePost(org=branch, member=member, post=post, since=orgs[branch.pk].profile.term_started_on)
            )
            if (
                post in (CommitteePost.Post.SECRETARY, CommitteePost.Post.ORGANISATION)
                and member.user_id
                and branch.pk != demo_secretary_branch
            ):
                roles.append(
                    PartyRole(
                        user_id=member.user_id,
                        kind=PartyRole.Kind.SECRETARY
                        if post == CommitteePost.Post.SECRETARY
                        else PartyRole.Kind.ORGANISER,
                        party_org=branch,
                    )
                )
            role = TalentRole.PARTY_WORKER if post == CommitteePost.Post.SECRETARY else TalentRole.ORGANISER
            talent.append(TalentEntry(member=member, role=role, since=orgs[branch.pk].profile.term_started_on))
    CommitteePost.objects.bulk_create(posts, batch_size=BATCH)
    PartyRole.objects.bulk_create(roles, batch_size=BATCH, ignore_conflicts=True)
    have = {(t.member.pk, t.role) for t in talent}
    for r in rng.sample(records, min(len(records), round(len(records) * 0.06))):
        role = rng.choice(
            [
                TalentRole.LECTURER,
                TalentRole.PROPAGANDA,
                TalentRole.INSTRUCTOR,
                TalentRole.VOLUNTEER_LEADER,
                TalentRole.DISCIPLINE,
            ]
        )
        if (r.pk, role) not in have:
            have.add((r.pk, role))
            talent.append(TalentEntry(member=r, role=role, since=_date_in(rng, r.joined_on, today)))
            r.skills = "，".join(rng.sample(SKILLS, rng.randint(1, 3)))
    TalentEntry.objects.bulk_create(talent, batch_size=BATCH)
    MemberRecord.objects.bulk_update([r for r in records if r.skills], ["skills"], batch_size=BATCH)

    # Transfers over three years: mostly accepted (the record now sits in the receiving branch).
    transfers = []
    moved = rng.sample(records, min(len(records), ctx.scaled(160, minimum=3)))
    for i, r in enumerate(moved):
        other = rng.choice(branches)
        if other.pk == r.branch_id:
            continue
        asked = timezone.make_aware(
            datetime.datetime.combine(
                _date_in(rng, today - datetime.timedelta(days=3 * 365), today - datetime.timedelta(days=3)),
                datetime.time(9, 30),
            )
        )
        if i % 12 == 0:
            transfers.append(
                Transfer(
                    member=r,
                    from_org_id=r.branch_id,
                    to_org=other,
                    reason=rng.choice(["工作调动", "居住地变更", "外出务工返乡"]),
                    state=Transfer.State.PENDING,
                )
            )
        else:
            transfers.append(
                Transfer(
                    member=r,
                    from_org=other,
                    to_org_id=r.branch_id,
                    reason=rng.choice(["工作调动", "居住地变更", "毕业分配", "外出务工返乡", "退休回原籍"]),
                    state=Transfer.State.ACCEPTED if i % 9 else Transfer.State.REJECTED,
                    decided_at=asked + datetime.timedelta(days=rng.randint(1, 12)),
                    reply="" if i % 9 else "请补齐组织关系介绍信",
                    requested_at=asked,
                )
            )
    Transfer.objects.bulk_create(transfers, batch_size=BATCH)

    # A few riders waiting for their branch to confirm them (the demo rider registers himself).
    registrations = []
    if rider_branch is not None:
        candidates = list(
            User.objects.filter(memberships__role=Role.RESIDENT, party_record__isnull=True, mobile__isnull=False)
            .exclude(username__startswith="demo_")
            .order_by("pk")
            .values_list("pk", "name", "mobile")[: ctx.scaled(12, minimum=2)]
        )
        for user_id, name, mobile in candidates:
            registrations.append(
                MobileRegistration(
                    user_id=user_id,
                    name=name,
                    gender="m",
                    birth_year=rng.randint(1985, 2001),
                    phone=mobile,
                    status=MemberRecord.Status.FULL,
                    joined_on=_date_in(rng, datetime.date(2012, 1, 1), datetime.date(2023, 12, 31)),
                    occupation=rng.choice([Occupation.DELIVERY_RIDER, Occupation.COURIER]),
                    platform=rng.choice(RIDER_PLATFORMS),
                    registered_with=f"{rng.choice(HOME_PLACES)}某村党支部",
                    lives_in=f"{rng.choice(names.COMMUNITY_WORDS)}小区",
                    works_at=f"{rng.choice(names.COMMUNITY_WORDS)}站点",
                    caring_org=rider_branch,
                )
            )
        MobileRegistration.objects.bulk_create(registrations)
    return (
        f"{len(records)} member records ({len(accounts)} with accounts), {len(mobile_rows)} mobile, "
        f"{len(talent)} talent entries, {len(transfers)} transfers, {len(registrations)} registrations waiting"
    )


@demo_step(order=475, models=("party.Meeting",))
def seed_meetings(ctx: DemoContext) -> str:
    """Three years of organisational life per branch, each branch with its own diligence."""
    if Meeting.objects.filter(source=Meeting.Source.MANUAL).exists():
        return "skipped: meetings are there"
    rng = ctx.rng
    today = timezone.localdate()
    branches = list(PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH).order_by("path").values_list("pk", flat=True))
    sizes = defaultdict(int)
    for branch_id in MemberRecord.objects.filter(state=MemberRecord.State.ACTIVE).values_list("branch_id", flat=True):
        sizes[branch_id] += 1
    meetings: list[Meeting] = []
    for branch_id in branches:
        size = sizes.get(branch_id, 0)
        if not size:
            continue
        diligence = rng.choice([0.97, 0.95, 0.92, 0.9, 0.85, 0.8, 0.7, 0.6])
        for year in (today.year - 2, today.year - 1, today.year):
            for kind, rule in LIFE_RULES.items():
                periods = {"month": 12, "quarter": 4, "year": 1}[rule]
                for p in range(1, periods + 1):
                    first_month = {"month": p, "quarter": 3 * p - 2, "year": 11}[rule]
                    last_month = {"month": p, "quarter": 3 * p, "year": 12}[rule]
                    start = datetime.date(year, first_month, 1)
                    end = (datetime.date(year, last_month, 28) + datetime.timedelta(days=4)).replace(
                        day=1
                    ) - datetime.timedelta(days=1)
                    if start > today:
                        continue
                    chance = diligence if kind != MeetingKind.LECTURE else diligence * 0.8
                    if rng.random() > chance:
                        continue
                    held = _date_in(rng, start, min(end, today))
                    expected = size if kind != MeetingKind.COMMITTEE else min(size, 5)
                    meetings.append(
                        Meeting(
                            org_id=branch_id,
                            kind=kind,
                            held_on=held,
                            topic=rng.choice(TOPICS[kind]),
                            place=rng.choice(PLACES),
                            expected=expected,
                            present=max(1, round(expected * rng.uniform(0.72, 1.0))),
                        )
                    )
    Meeting.objects.bulk_create(meetings, batch_size=BATCH)
    return f"{len(meetings)} meetings"


@demo_step(order=477, models=("learning.LessonProgress", "learning.LearningDay"))
def seed_branch_course_study(ctx: DemoContext) -> str:
    """Branches that study an online course together (支部集中学习): a branch picks one or two of the
    platform's courses and most of its members with an account complete every lesson, spread over
    the last months. The learning app's own demo has members sample lessons at random, which hardly
    ever completes a whole course — so without this step no branch's organisational life would show
    a course. The next step links them in through the same service the receivers use."""
    from wagtail.models import Page

    from learning.models import CoursePage, LearningDay, LessonPage, LessonProgress

    if Meeting.objects.filter(source=Meeting.Source.COURSE).exists():
        return "skipped: courses are linked already"
    rng = ctx.rng
    now = timezone.now()
    # Courses whose every live lesson has content to count (a lesson without length cannot be studied).
    lessons_of: dict[int, list] = defaultdict(list)
    courses = {c.path: c for c in CoursePage.objects.live()}
    for lesson in LessonPage.objects.live().select_related("media").order_by("path"):
        course = courses.get(lesson.path[: -Page.steplen])
        if course is not None:
            lessons_of[course.pk].append(lesson)
    studied = [cid for cid, lessons in lessons_of.items() if all(les.duration() > 0 for les in lessons)]
    if not studied:
        return "skipped: no course to study"
    members: dict[int, list[int]] = defaultdict(list)
    for branch_id, user_id in MemberRecord.objects.filter(
        user__isnull=False, state=MemberRecord.State.ACTIVE
    ).values_list("branch_id", "user_id"):
        members[branch_id].append(user_id)
    branch_ids = sorted(b for b, users in members.items() if len(users) >= 3)
    # About one branch in three studies a course together; the demo secretary's branch always does.
    demo_branch = PartyOrg.objects.filter(code=branch_code(DEMO_VILLAGE_CODE, 1)).values_list("pk", flat=True).first()
    chosen = [b for b in branch_ids if b == demo_branch or rng.random() < 0.33]
    progress, days = [], []
    for branch_id in chosen:
        for course_id in rng.sample(studied, k=min(len(studied), rng.choice([1, 1, 2]))):
            share = rng.uniform(0.55, 0.95)
            finish = now - datetime.timedelta(days=rng.randint(3, 160))
            for user_id in members[branch_id]:
                if rng.random() > share:
                    continue
                for i, lesson in enumerate(lessons_of[course_id]):
                    duration = lesson.duration()
                    when = finish - datetime.timedelta(days=len(lessons_of[course_id]) - i, hours=rng.randint(0, 10))
                    progress.append(
                        LessonProgress(
                            user_id=user_id,
                            lesson=lesson,
                            course_id=course_id,
                            intervals=[[0.0, duration]],
                            watched_seconds=duration,
                            position=0.0,
                            completed_at=when,
                        )
                    )
                    days.append(
                        LearningDay(
                            user_id=user_id,
                            lesson=lesson,
                            course_id=course_id,
                            day=timezone.localdate(when),
                            seconds=duration,
                        )
                    )
    # A member who already sampled a lesson keeps that row (the learning demo's); re-running adds nothing.
    LessonProgress.objects.bulk_create(progress, batch_size=BATCH, ignore_conflicts=True)
    LearningDay.objects.bulk_create(days, batch_size=BATCH, ignore_conflicts=True)
    return f"{len(chosen)} branches studied a course together, {len(progress)} lessons completed"


@demo_step(order=478, models=("party.Meeting",))
def seed_linked_life(ctx: DemoContext) -> str:
    """Live lessons the branches' venues checked in to and courses their members completed."""
    from party.services.life import life_link_courses, life_link_live_events

    live = life_link_live_events()
    courses = life_link_courses()
    if not (live or courses):
        return "skipped: nothing new to link"
    return f"{live} meetings from live lessons, {courses} from online courses"
