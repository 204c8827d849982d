"""拍一拍 demo data: the city's category tree with a dispatch rule for each of the 17 departments, a
year of reports across the grids (≥ 1,200 at full scale, most resolved and rated; some returned and
decided by the centre, extended, overdue, reopened, merged, still open), a few Pillow-drawn photos
shared by many reports, and the review rollups rebuilt from it all.

Rows are bulk-created with the same fields the services write (a numbered timeline per report, one
assignment per department stint), so the pages, the review and Open311 show them like live ones.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageDraw

from core.demo.registry import DemoContext, demo_step
from core.models import Area, Department, Membership, Role
from governance.reports.models import (
    Assignment,
    Category,
    DispatchRule,
    Priority,
    Rating,
    Report,
    ReporterKind,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
    ReviewRollup,
)
from governance.reports.services.rollups import rollups_rebuild

S = Report.Status
A = ReportEvent.Action
REPORT_TOTAL = 1200

# group → [(code, name, department, deadline hours, urgent, public, descriptions)]
CATEGORIES: list[tuple[str, str, list[tuple[str, str, str, int, bool, bool, list[str]]]]] = [
    (
        "city-appearance",
        "市容环境",
        [
            (
                "street-vending",
                "占道经营",
                "城市管理综合行政执法局",
                48,
                False,
                True,
                ["{road}路口有流动摊贩占道经营，行人只能走机动车道。", "{road}人行道被烧烤摊占用，晚上油烟很大。"],
            ),
            (
                "garbage",
                "垃圾清运不及时",
                "城市管理综合行政执法局",
                24,
                False,
                True,
                ["{place}垃圾桶满溢两天没人清运，气味很大。", "{place}旁堆了一堆建筑垃圾，没有人处理。"],
            ),
            (
                "illegal-ads",
                "乱贴小广告",
                "城市管理综合行政执法局",
                72,
                False,
                True,
                ["{place}楼道和电线杆上贴满小广告。"],
            ),
        ],
    ),
    (
        "roads-traffic",
        "道路交通",
        [
            (
                "road-damage",
                "道路破损",
                "交通运输局",
                72,
                False,
                True,
                ["{road}有一段路面塌陷，雨天积水，车辆绕行。", "{road}公交站台旁路面坑洼，电动车容易摔倒。"],
            ),
            (
                "manhole",
                "井盖缺失破损",
                "住房和城乡建设局",
                12,
                True,
                True,
                ["{road}人行道上的井盖缺失，晚上很危险。", "{place}门口井盖松动，踩上去会翻。"],
            ),
            (
                "street-light",
                "路灯故障",
                "住房和城乡建设局",
                48,
                False,
                True,
                ["{road}一排路灯不亮已经一周，晚上很黑。"],
            ),
            ("illegal-parking", "违停堵路", "公安局", 24, False, True, ["{place}门口长期有车辆违停，消防车进不来。"]),
        ],
    ),
    (
        "safety",
        "安全隐患",
        [
            ("fire-lane", "消防通道堵塞", "应急管理局", 12, True, True, ["{place}消防通道被杂物和电动车堵死。"]),
            (
                "ebike-charging",
                "电动车违规充电",
                "应急管理局",
                24,
                True,
                True,
                ["{place}有住户从楼上拉电线给电动车充电，存在火灾隐患。", "{place}楼道里停满电动车还在充电。"],
            ),
            (
                "unsafe-building",
                "危房险情",
                "住房和城乡建设局",
                24,
                True,
                True,
                ["{place}外墙瓷砖脱落，下面是人行通道。"],
            ),
        ],
    ),
    (
        "neighbours",
        "邻里纠纷",
        [
            (
                "noise",
                "噪音扰民",
                "公安局",
                24,
                False,
                False,
                ["{place}有住户深夜装修，噪音很大。", "{place}附近广场舞音响太大，影响休息。"],
            ),
            (
                "neighbour-dispute",
                "邻里矛盾调解",
                "市委政法委",
                72,
                False,
                False,
                ["{place}两户因为漏水问题发生争执，需要调解。"],
            ),
        ],
    ),
    (
        "property",
        "物业管理",
        [
            (
                "property-service",
                "物业服务问题",
                "住房和城乡建设局",
                72,
                False,
                True,
                ["{place}物业长期不打扫楼道，反映多次没有回应。"],
            ),
            (
                "water-supply",
                "二次供水问题",
                "住房和城乡建设局",
                24,
                False,
                True,
                ["{place}高层水压不足，早晚用水困难。"],
            ),
            ("elevator", "电梯故障", "市场监督管理局", 12, True, True, ["{place}电梯频繁停运，有老人被困过。"]),
        ],
    ),
    (
        "livelihood",
        "民生服务",
        [
            (
                "social-assistance",
                "低保救助",
                "民政局",
                120,
                False,
                False,
                ["{place}有独居老人生活困难，希望了解低保政策。"],
            ),
            ("elderly-care", "养老服务", "民政局", 120, False, True, ["{place}附近缺少老年助餐点，老人吃饭不方便。"]),
            (
                "employment",
                "就业社保",
                "人力资源和社会保障局",
                120,
                False,
                True,
                ["{place}有外卖骑手咨询灵活就业人员参保问题。"],
            ),
            ("health", "医疗卫生", "卫生健康局", 72, False, True, ["{place}社区卫生服务站经常没有医生值班。"]),
            ("food-safety", "食品安全", "市场监督管理局", 48, False, True, ["{road}一家小饭馆后厨卫生很差。"]),
        ],
    ),
    (
        "environment",
        "生态环境",
        [
            ("sewage", "污水直排", "生态环境局", 48, False, True, ["{place}附近有污水直接排进河道，有异味。"]),
            (
                "cooking-fumes",
                "油烟污染",
                "生态环境局",
                72,
                False,
                True,
                ["{road}餐馆油烟没有净化直排，熏到楼上住户。"],
            ),
        ],
    ),
    (
        "rural",
        "农村事务",
        [
            ("farmland-water", "农田水利", "农业农村局", 120, False, True, ["{place}灌溉渠堵塞，下游农田浇不上水。"]),
        ],
    ),
    (
        "conduct",
        "作风与党群",
        [
            (
                "work-style",
                "作风问题反映",
                "市纪委监委",
                168,
                False,
                False,
                ["反映{place}办事窗口工作人员推诿，办事要跑好几趟。"],
            ),
            ("civility", "文明创建", "市委宣传部", 120, False, True, ["{place}宣传栏内容过期破损，建议更新。"]),
            (
                "ethnic-religious",
                "民族宗教事务",
                "市委统战部",
                168,
                False,
                False,
                ["{place}有群众咨询宗教活动场所登记事项。"],
            ),
            (
                "party-service",
                "党员服务",
                "市委组织部",
                120,
                False,
                True,
                ["流动党员咨询{place}附近怎样转接组织关系。"],
            ),
            ("volunteer", "志愿服务", "市委社会工作部", 120, False, True, ["{place}希望组织志愿者帮助孤寡老人。"]),
        ],
    ),
]

ROADS = ["锦江路", "兴港大街", "新城路", "滨海大道", "振兴路", "育才街", "和平路", "民主大街", "长山路", "港湾街"]
PLACES = [
    "幸福小区3号楼",
    "东湖花园",
    "育才小区",
    "海景家园12号楼",
    "老供销社家属楼",
    "新村东区",
    "阳光嘉园",
    "菜市场",
    "第二中学",
    "光明里",
]
PROGRESS = ["已到现场核实，正在协调处理。", "已联系责任单位，安排人员处理。", "已约谈相关业主，限期整改。"]
RESULTS = [
    "已到现场处理完毕，问题已解决，附处理后照片。",
    "已安排维修，现已恢复正常。",
    "已责令整改并复查，问题已消除。",
    "已协调相关单位处理完毕，并建立长效管理机制。",
]
RETURN_REASONS = ["该问题属于物业管理范畴，不属本部门职责。", "现场核实属于其他部门管辖。"]
COMMENTS = {
    Rating.SATISFIED: ["处理很快，谢谢！", "满意，点赞。", ""],
    Rating.BASIC: ["基本解决了，希望以后常来看看。", ""],
    Rating.UNSATISFIED: ["问题没有彻底解决，又出现了。", "处理太慢。"],
}


def _photo_bytes(seed: int) -> bytes:
    """A simple drawn scene (a road, a pothole or a bin) so that demo reports have photos without downloads."""
    colours = [(120, 160, 200), (140, 140, 140), (90, 140, 90), (200, 170, 120)]
    image = Image.new("RGB", (960, 720), colours[seed % 4])
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 430, 960, 720], fill=(80, 80, 80))
    draw.line([0, 575, 960, 575], fill=(240, 240, 240), width=8)
    if seed % 2:
        draw.ellipse([380, 480, 620, 560], fill=(40, 30, 20))
    else:
        draw.rectangle([600, 260, 760, 460], fill=(30, 120, 60))
    draw.rectangle([60, 120, 300, 430], fill=(180, 110, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@demo_step(order=450, models=("reports.Category", "reports.DispatchRule"))
def reports_categories_and_rules(ctx: DemoContext) -> str:
    if Category.objects.filter(code="city-appearance").exists():
        return "skipped: report categories are there"
    departments = {d.name: d for d in Department.objects.all()}
    groups = Category.objects.bulk_create(
        [Category(name=name, code=code, sort_order=i) for i, (code, name, _items) in enumerate(CATEGORIES)]
    )
    leaves = []
    for group, (_code, _name, items) in zip(groups, CATEGORIES, strict=True):
        for j, (code, name, _dept, _hours, _urgent, public, _texts) in enumerate(items):
            leaves.append(Category(name=name, code=code, parent=group, is_public=public, sort_order=j))
    Category.objects.bulk_create(leaves)
    by_code = {c.code: c for c in Category.objects.filter(parent__isnull=False)}
    rules = [
        DispatchRule(
            category=by_code[code],
            department=departments[dept],
            deadline_hours=hours,
            sign_hours=2 if urgent else 4,
            priority=Priority.URGENT if urgent else Priority.NORMAL,
        )
        for _c, _n, items in CATEGORIES
        for code, _name, dept, hours, urgent, _public, _texts in items
    ]
    DispatchRule.objects.bulk_create(rules)
    covered = len({r.department_id for r in rules})
    return f"{len(groups)} groups, {len(leaves)} categories, {len(rules)} rules for {covered} departments"


def _earlier_same_category(reports: list[Report], idx: int) -> Report | None:
    for j in range(idx - 1, max(-1, idx - 60), -1):
        if reports[j].category_id == reports[idx].category_id and reports[j].status not in (S.MERGED, S.DISMISSED):
            return reports[j]
    return None


def _user_ids(role: str, limit: int) -> list[int]:
    return list(Membership.objects.filter(role=role).values_list("user_id", flat=True).distinct()[:limit])


@demo_step(
    order=455,
    models=(
        "reports.Report",
        "reports.Assignment",
        "reports.ReportEvent",
        "reports.ReportPhoto",
        "reports.ReportFollower",
    ),
)
def reports_history(ctx: DemoContext) -> str:
    if Report.objects.exists():
        return "skipped: reports are there"
    rng = ctx.rng
    total = ctx.scaled(REPORT_TOTAL, minimum=60)
    now = timezone.now().replace(microsecond=0)
    grids = list(
        Area.objects.filter(level=Area.Level.GRID, latitude__isnull=False).values_list(
            "id", "path", "latitude", "longitude"
        )
    )
    if not grids:
        return "skipped: no grids"
    rules = {r.category_id: r for r in DispatchRule.objects.select_related("category")}
    texts = {code: t for _c, _n, items in CATEGORIES for code, *_rest, t in items}
    categories = [c for c in Category.objects.filter(pk__in=rules) if c.code in texts]
    departments = list(Department.objects.all())
    staff = dict(Membership.objects.filter(role=Role.DEPARTMENT_STAFF).values_list("department_id", "user_id"))
    ops = _user_ids(Role.OPS_ADMIN, 1)
    ops_id = ops[0] if ops else None
    reporters = (
        [(u, ReporterKind.GRID_WORKER) for u in _user_ids(Role.GRID_WORKER, 300)]
        + [(u, ReporterKind.RIDER) for u in _user_ids(Role.MEMBER, 300)]
        + [(u, ReporterKind.RESIDENT) for u in _user_ids(Role.RESIDENT, 600)]
    )
    if not reporters:
        return "skipped: no people"
    # The demo resident reports too, so their own list is not empty.
    demo_resident = Membership.objects.filter(user__username="demo_resident").values_list("user_id", flat=True).first()
    photo_names = [default_storage.save(f"reports/demo/scene-{i}.jpg", ContentFile(_photo_bytes(i))) for i in range(4)]

    reports: list[Report] = []
    plans: list[dict] = []
    for i in range(total):
        category = rng.choice(categories)
        rule = rules[category.pk]
        grid_id, path, glat, glng = rng.choice(grids)
        # Recent months have more reports (the platform grew); a few in the last days are still open.
        age_days = 365 * (1 - math.sqrt(rng.random()))
        created = now - dt.timedelta(days=age_days, seconds=rng.randrange(86400))
        created = created.replace(microsecond=0)
        reporter_id, kind = (
            reporters[i % len(reporters)] if i % 40 else (demo_resident or reporters[0][0], ReporterKind.RESIDENT)
        )
        lat = Decimal(glat) + Decimal(rng.uniform(-0.0015, 0.0015)).quantize(Decimal("0.000001"))
        lng = Decimal(glng) + Decimal(rng.uniform(-0.0015, 0.0015)).quantize(Decimal("0.000001"))
        text = rng.choice(texts[category.code]).format(road=rng.choice(ROADS), place=rng.choice(PLACES))
        roll = rng.random()
        hours_old = (now - created).total_seconds() / 3600
        if hours_old < rule.deadline_hours * 0.6:
            outcome = rng.choice(["dispatched", "signed", "signed", "resolved_waiting"])
        elif roll < 0.06:
            outcome = "returned"
        elif roll < 0.11:
            outcome = "extended"
        elif roll < 0.16:
            outcome = "late"
        elif roll < 0.19:
            outcome = "reopened"
        elif roll < 0.22:
            outcome = "open_overdue"
        elif roll < 0.24:
            outcome = "merged"
        elif roll < 0.25:
            outcome = "dismissed"
        else:
            outcome = "resolved"
        reports.append(
            Report(
                category=category,
                description=text,
                latitude=lat,
                longitude=lng,
                accuracy_m=rng.choice([8, 15, 30, 65]),
                address=rng.choice(PLACES),
                grid_id=grid_id,
                area_path=path,
                reporter_id=reporter_id,
                reporter_kind=kind,
                anonymous=rng.random() < 0.1,
                status=S.PENDING,
                priority=rule.priority,
                created_at=created,
                updated_at=created,
            )
        )
        plans.append({"rule": rule, "outcome": outcome, "created": created})
    Report.objects.bulk_create(reports, batch_size=500)

    assignments: list[Assignment] = []
    events: list[ReportEvent] = []
    owners: list[tuple[int, int]] = []  # (report index, assignment index) of each report's current stint
    merged_followers: list[ReportFollower] = []

    for idx, (report, plan) in enumerate(zip(reports, plans, strict=True)):
        rule, outcome, t = plan["rule"], plan["outcome"], plan["created"]
        seq = [0]

        def log(action, to_status, at, *, actor=None, dept=None, note="", data=None, frm="", _r=report, _s=seq):
            _s[0] += 1
            events.append(
                ReportEvent(
                    report=_r,
                    seq=_s[0],
                    action=action,
                    from_status=frm,
                    to_status=to_status,
                    actor_id=actor,
                    department_id=dept,
                    note=note,
                    data=data or {},
                    created_at=at,
                )
            )

        log(A.SUBMIT, S.PENDING, t, actor=report.reporter_id, data={"source": "web"})
        target = _earlier_same_category(reports, idx) if outcome == "merged" else None
        if target is not None:
            # The same problem reported again nearby: handled once under the first, both reporters follow.
            at = t + dt.timedelta(minutes=3)
            log(A.MERGE, S.MERGED, at, actor=report.reporter_id, frm=S.PENDING, data={"into": target.pk})
            report.status, report.merged_into_id, report.closed_at, report.updated_at = S.MERGED, target.pk, at, at
            merged_followers.append(ReportFollower(report=target, user_id=report.reporter_id))
            continue
        if outcome == "dismissed":
            at = t + dt.timedelta(hours=2)
            log(A.DISMISS, S.DISMISSED, at, actor=ops_id, frm=S.PENDING, note="重复上报，已在其他工单中处理。")
            report.status, report.closed_at, report.updated_at = S.DISMISSED, at, at
            continue
        dept = rule.department
        dispatched = t + dt.timedelta(seconds=rng.randrange(10, 300))

        def stint(dept_id, at, *, arbitration=False, report=report, rule=rule):
            at = at.replace(microsecond=0)  # whole seconds, as the services write them
            a = Assignment(
                report=report,
                department_id=dept_id,
                grid_id=report.grid_id,
                dispatched_at=at,
                sign_deadline=at + dt.timedelta(hours=rule.sign_hours),
                deadline=at + dt.timedelta(hours=rule.deadline_hours),
                by_arbitration=arbitration,
            )
            assignments.append(a)
            return a

        a = stint(dept.pk, dispatched)
        log(
            A.DISPATCH,
            S.DISPATCHED,
            dispatched,
            dept=dept.pk,
            frm=S.PENDING,
            note="按派单规则自动派遣",
            data={"department": dept.name, "deadline_hours": rule.deadline_hours},
        )
        status = S.DISPATCHED
        if outcome == "returned":
            at = dispatched + dt.timedelta(hours=rng.uniform(0.5, 3))
            a.returned_at, a.return_reason = at, rng.choice(RETURN_REASONS)
            log(A.RETURN, S.RETURNED, at, actor=staff.get(dept.pk), dept=dept.pk, frm=status, note=a.return_reason)
            other = rng.choice([d for d in departments if d.pk != dept.pk])
            at2 = at + dt.timedelta(hours=rng.uniform(1, 6))
            a = stint(other.pk, at2, arbitration=True)
            log(
                A.ARBITRATE,
                S.DISPATCHED,
                at2,
                actor=ops_id,
                dept=other.pk,
                frm=S.RETURNED,
                note="经中心核实，由该部门办理。",
                data={"department": other.name, "deadline_hours": rule.deadline_hours},
            )
            dept = other
        owners.append((idx, len(assignments) - 1))
        report.department_id = dept.pk
        report.deadline = a.deadline
        if outcome == "dispatched":
            report.status, report.updated_at = S.DISPATCHED, a.dispatched_at
            continue
        late_sign = rng.random() < 0.1
        signed = a.dispatched_at + dt.timedelta(hours=rng.uniform(0.1, rule.sign_hours * (2 if late_sign else 0.9)))
        signed = signed.replace(microsecond=0)
        a.signed_at = signed
        log(A.SIGN, S.SIGNED, signed, actor=staff.get(dept.pk), dept=dept.pk, frm=S.DISPATCHED)
        at = signed
        if rng.random() < 0.5:
            at = signed + dt.timedelta(hours=rng.uniform(0.5, 4))
            log(
                A.PROGRESS,
                S.SIGNED,
                at,
                actor=staff.get(dept.pk),
                dept=dept.pk,
                frm=S.SIGNED,
                note=rng.choice(PROGRESS),
            )
        if outcome == "extended":
            extra = rng.choice([24, 48, 72])
            at = at + dt.timedelta(hours=1)
            log(
                A.EXTENSION_REQUEST,
                S.SIGNED,
                at,
                actor=staff.get(dept.pk),
                dept=dept.pk,
                frm=S.SIGNED,
                note="需要协调多个单位，申请延期。",
                data={"hours": extra},
            )
            at = at + dt.timedelta(hours=2)
            log(A.EXTENSION_APPROVE, S.SIGNED, at, actor=ops_id, dept=dept.pk, frm=S.SIGNED, data={"hours": extra})
            a.extended, a.deadline = True, a.deadline + dt.timedelta(hours=extra)
            report.deadline = a.deadline
        if outcome in ("signed", "open_overdue"):
            report.status, report.updated_at = S.SIGNED, at
            if outcome == "open_overdue" and a.deadline < now:
                a.overdue = True
                a.escalated_at = a.deadline + dt.timedelta(minutes=1)
                log(
                    A.ESCALATE,
                    S.SIGNED,
                    a.escalated_at,
                    dept=dept.pk,
                    frm=S.SIGNED,
                    note="已超过办理期限：已向部门分管领导和运行管理中心督办",
                )
                report.updated_at = a.escalated_at
            continue
        span = (a.deadline - a.dispatched_at).total_seconds()
        if outcome == "late":
            resolved = a.dispatched_at + dt.timedelta(seconds=span * rng.uniform(1.05, 1.6))
            a.overdue, a.escalated_at = True, a.deadline + dt.timedelta(minutes=1)
            log(
                A.ESCALATE,
                S.SIGNED,
                a.escalated_at,
                dept=dept.pk,
                frm=S.SIGNED,
                note="已超过办理期限：已向部门分管领导和运行管理中心督办",
            )
        else:
            resolved = max(
                at + dt.timedelta(minutes=30), a.dispatched_at + dt.timedelta(seconds=span * rng.uniform(0.1, 0.9))
            )
        resolved = resolved.replace(microsecond=0)
        if resolved > now:
            resolved = now - dt.timedelta(minutes=5)
            if resolved > a.deadline:
                a.overdue = True
        a.resolved_at = resolved
        result = rng.choice(RESULTS)
        log(A.RESOLVE, S.RESOLVED, resolved, actor=staff.get(dept.pk), dept=dept.pk, frm=S.SIGNED, note=result)
        report.result_text, report.resolved_at = result, resolved
        if outcome == "reopened":
            at = resolved + dt.timedelta(hours=rng.uniform(2, 30))
            comment = rng.choice(COMMENTS[Rating.UNSATISFIED])
            log(
                A.REOPEN,
                S.SIGNED,
                at,
                actor=report.reporter_id,
                dept=dept.pk,
                frm=S.RESOLVED,
                note=comment,
                data={"rating": Rating.UNSATISFIED},
            )
            a.reopened, a.deadline = True, at + dt.timedelta(hours=rule.deadline_hours)
            resolved = (at + dt.timedelta(hours=rule.deadline_hours * rng.uniform(0.2, 0.8))).replace(microsecond=0)
            if resolved > now:
                resolved = now - dt.timedelta(minutes=1)
            a.resolved_at = resolved
            report.reopened_count, report.rating_comment = 1, comment
            log(
                A.RESOLVE,
                S.RESOLVED,
                resolved,
                actor=staff.get(dept.pk),
                dept=dept.pk,
                frm=S.SIGNED,
                note=rng.choice(RESULTS),
            )
            report.resolved_at, report.deadline = resolved, a.deadline
        if outcome == "resolved_waiting" or now - resolved < dt.timedelta(days=1):
            report.status, report.updated_at = S.RESOLVED, resolved
            continue
        r = rng.random()
        rating = (
            Rating.NOT_RATED
            if r < 0.06
            else Rating.UNSATISFIED
            if r < 0.11
            else Rating.BASIC
            if r < 0.3
            else Rating.SATISFIED
        )
        if rating == Rating.NOT_RATED:
            closed = resolved + dt.timedelta(days=7)
            if closed > now:
                report.status, report.updated_at = S.RESOLVED, resolved
                continue
            log(A.CLOSE, S.CLOSED, closed, dept=dept.pk, frm=S.RESOLVED, note="逾期未评价：按未评价结案")
        else:
            closed = min(now, resolved + dt.timedelta(hours=rng.uniform(1, 48))).replace(microsecond=0)
            comment = rng.choice(COMMENTS[rating])
            report.rating_comment = comment
            log(
                A.RATE,
                S.CLOSED,
                closed,
                actor=report.reporter_id,
                dept=dept.pk,
                frm=S.RESOLVED,
                note=comment,
                data={"rating": rating},
            )
        a.rating = report.rating = rating
        report.status, report.closed_at, report.updated_at = S.CLOSED, closed, closed

    followers = [ReportFollower(report=r, user_id=r.reporter_id) for r in reports] + merged_followers
    Assignment.objects.bulk_create(assignments, batch_size=1000)
    for report_idx, assignment_idx in owners:
        reports[report_idx].assignment_id = assignments[assignment_idx].pk
    counts: dict[int, int] = {}
    for e in events:
        counts[e.report_id] = max(counts.get(e.report_id, 0), e.seq)
    for report in reports:
        report.version = counts.get(report.pk, 1)
    Report.objects.bulk_update(
        reports,
        [
            "status",
            "version",
            "merged_into",
            "department",
            "assignment",
            "deadline",
            "result_text",
            "rating",
            "rating_comment",
            "reopened_count",
            "resolved_at",
            "closed_at",
            "updated_at",
        ],
        batch_size=500,
    )
    ReportEvent.objects.bulk_create(events, batch_size=2000)
    ReportFollower.objects.bulk_create(followers, batch_size=2000, ignore_conflicts=True)
    photos = []
    for report in reports:
        if rng.random() < 0.6:
            name = rng.choice(photo_names)
            photos.append(
                ReportPhoto(report=report, image=name, width=960, height=720, uploaded_by_id=report.reporter_id)
            )
        if report.result_text and rng.random() < 0.5:
            photos.append(
                ReportPhoto(report=report, kind="result", image=rng.choice(photo_names), width=960, height=720)
            )
    ReportPhoto.objects.bulk_create(photos, batch_size=2000)
    resolved = sum(1 for r in reports if r.resolved_at)
    return (
        f"{len(reports)} reports ({resolved} resolved, {len(merged_followers)} merged), "
        f"{len(assignments)} assignments, {len(events)} steps, {len(photos)} photos"
    )


@demo_step(order=469, models=("reports.ReviewRollup",))
def reports_rollups(ctx: DemoContext) -> str:
    # Services keep the rollups current; only reports bulk-created above (none yet counted) need a rebuild.
    if ReviewRollup.objects.exists() or not Report.objects.exists():
        return "skipped: rollups are current"
    rows = rollups_rebuild()
    return f"{rows} review rollup rows rebuilt"
