"""Party building (党建): members by branch, status, age, education and occupation, mobile members,
party-affairs talent, and organisational life (三会一课) held against what was due.

Members and talent are counts of the active records now (whatever the period); each member record
is one source, so a saved record, a transfer or a confirmed registration moves its figures.
Organisational life follows party.selectors' rules: for each branch and kind of meeting, a period
(month, quarter or year) is *held* when at least one meeting of that kind took place in it, and
*due* once it is over. Held periods sit on their period's last day; due ones are worked out at read
time from the number of branches under the node (the tree, not the records).
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict

from django.db.models import Count, F
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import PartyOrg
from dashboards.models import Tree
from dashboards.registry import STOCK_DAY, Chart, Dashboard, Metric, register
from party.models import Education, Meeting, MeetingKind, MemberRecord, Occupation, TalentEntry, TalentRole
from party.selectors import LIFE_RULES

STATUS = "party.members"
DECADE = "party.members_decade"
EDUCATION = "party.members_education"
OCCUPATION = "party.members_occupation"
MOBILE = "party.mobile"
TALENT = "party.talent"
MEETINGS = "party.meetings"
HELD = "party.life_held"
DUE = "party.life_due"

MEMBER_PREFIX = "party.member"
LIFE_PREFIX = "party.org_life"


def _active(under, only):
    qs = MemberRecord.objects.filter(state=MemberRecord.State.ACTIVE)
    if only is not None:
        qs = qs.filter(pk=only)
    if under:
        qs = qs.filter(branch__path__startswith=under)
    return qs


def _member_rows(key_field, *, count="pk"):
    def rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
        qs = _active(under, only)
        if key_field == "decade":
            qs = qs.annotate(decade=F("birth_year") / 10 * 10)
        fields = ["pk", "branch_id"] if source else ["branch_id"]
        if key_field:
            fields.append(key_field)
        out = qs.values(*fields).annotate(n=Count(count)).values_list(*fields, "n")
        result = []
        for row in out:
            *ids, n = row
            key = str(ids.pop()) if key_field else ""
            if key == "None":
                key = ""
            result.append((*ids, STOCK_DAY, key, float(n)))
        return result

    return rows


def mobile_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    qs = _active(under, only).filter(is_mobile=True)
    fields = ["pk", "branch_id"] if source else ["branch_id"]
    return [
        (*ids, STOCK_DAY, "", float(n))
        for *ids, n in qs.values(*fields).annotate(n=Count("pk")).values_list(*fields, "n")
    ]


def talent_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    qs = TalentEntry.objects.filter(member__in=_active(under, only))
    fields = ["member_id", "member__branch_id", "role"] if source else ["member__branch_id", "role"]
    out = qs.values(*fields).annotate(n=Count("pk")).values_list(*fields, "n")
    return [(*ids, STOCK_DAY, role, float(n)) for *ids, role, n in out]


def _meetings(under, start, end, only):
    qs = Meeting.objects.all()
    if only is not None:
        qs = qs.filter(org_id=only)
    if under:
        qs = qs.filter(org__path__startswith=under)
    if start:
        qs = qs.filter(held_on__gte=start)
    if end:
        qs = qs.filter(held_on__lte=end)
    return qs


def meeting_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    qs = _meetings(under, start, end, only)
    out = (
        qs.annotate(y=ExtractYear("held_on"), m=ExtractMonth("held_on"))
        .values("org_id", "y", "m", "kind")
        .annotate(n=Count("pk"))
        .values_list("org_id", "y", "m", "kind", "n")
    )
    rows = [(org, datetime.date(y, m, 1), kind, float(n)) for org, y, m, kind, n in out]
    return [(r[0], *r) for r in rows] if source else rows


def _period_end(rule: str, year: int, month: int) -> datetime.date:
    last = {"month": month, "quarter": (month - 1) // 3 * 3 + 3, "year": 12}[rule]
    return datetime.date(year, last, calendar.monthrange(year, last)[1])


def held_rows(*, under=None, start=None, end=None, by_month=False, where=None, source=False, only=None):
    """One per branch, kind and period with at least one meeting, on the period's last day."""
    qs = _meetings(under, None, None, only).filter(org__kind=PartyOrg.Kind.BRANCH)
    covered: set[tuple[int, str, datetime.date]] = set()
    for org, y, m, kind in (
        qs.annotate(y=ExtractYear("held_on"), m=ExtractMonth("held_on"))
        .values_list("org_id", "y", "m", "kind")
        .distinct()
    ):
        rule = LIFE_RULES.get(kind)
        if rule:
            covered.add((org, kind, _period_end(rule, y, m)))
    rows = [
        (org, day, kind, 1.0)
        for org, kind, day in sorted(covered)
        if (start is None or day >= start) and (end is None or day <= end)
    ]
    return [(r[0], *r) for r in rows] if source else rows


def _periods_due(rule: str, start: datetime.date, end: datetime.date) -> int:
    """Periods of `rule` whose last day lies in [start, end]."""
    n, day = 0, start.replace(day=1)
    while day <= end:
        last = _period_end(rule, day.year, day.month)
        if last.month == day.month and start <= last <= end:
            n += 1
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return n


def derive_due(*, dashboard, node, period, figures, live=False):
    """What was due: each branch under the node, for each kind, every period that ended in the window."""
    from dashboards.selectors import MetricFigures

    last = min(period.end, timezone.localdate() - datetime.timedelta(days=1))
    per_kind = {
        kind: _periods_due(rule, period.start, last) if last >= period.start else 0 for kind, rule in LIFE_RULES.items()
    }
    each = sum(per_kind.values())
    branches = PartyOrg.objects.filter(path__startswith=node.path, kind=PartyOrg.Kind.BRANCH).values_list(
        "path", flat=True
    )
    children = {c.path: c.pk for c in PartyOrg.objects.filter(parent_id=node.pk).only("pk", "path")}
    due = MetricFigures()
    count = 0
    per_child: dict[int, int] = defaultdict(int)
    for path in branches:
        count += 1
        for child_path, child_id in children.items():
            if path.startswith(child_path):
                per_child[child_id] += 1
    due.total = float(count * each)
    for kind, n in per_kind.items():
        if n and count:
            due.key[kind] = float(count * n)
    for child_id, n in per_child.items():
        due.child[child_id] = float(n * each)
    figures[DUE] = due
    return figures


def _labels(choices):
    return lambda: {value: str(label) for value, label in choices}


def _decades() -> dict[str, str]:
    return {str(d): _("Born in the %(decade)ss") % {"decade": d} for d in range(1920, 2020, 10)}


def party_records(*, user, node, start, end) -> list:
    """The records behind the members' figures that `user` may open: for a branch, its active member
    records (each to its page, where the phone stays masked); above, every organisation under the
    node with its active members, each to its member list. Nothing for those who do not keep the
    records (the party app's funnels decide); listing names is audited as the member list is."""
    from django.urls import reverse

    from core.services.audit import audit_record
    from party.access import members_kept_by, orgs_kept_by

    orgs = list(orgs_kept_by(user).filter(path__startswith=node.path).order_by("path")[:500])
    if not orgs:
        return []
    if node.kind == PartyOrg.Kind.BRANCH and orgs[0].pk == node.pk:
        members = (
            members_kept_by(user)
            .filter(branch=node, state=MemberRecord.State.ACTIVE)
            .order_by("name", "id")
            .only("pk", "name", "status", "occupation", "joined_on", "is_mobile")[:500]
        )
        audit_record(actor=user, action="party.member.list", obj=node, detail={"from": "dashboards"})
        return [
            {
                "title": m.name,
                "detail": " · ".join(
                    [str(m.get_status_display()), str(m.get_occupation_display())]
                    + ([str(_("Mobile member"))] if m.is_mobile else [])
                ),
                "url": reverse("party:member_detail", args=[m.pk]),
                "date": m.joined_on,
            }
            for m in members
        ]
    counts = dict(
        MemberRecord.objects.filter(state=MemberRecord.State.ACTIVE, branch__in=[o.pk for o in orgs])
        .values("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
    )
    return [
        {
            "title": org.name,
            "detail": _("%(kind)s · %(n)s members of its own")
            % {"kind": org.get_kind_display(), "n": counts.get(org.pk, 0)},
            "url": reverse("party:member_list", args=[org.pk]),
            "date": None,
        }
        for org in orgs
    ]


_MEMBERS = gettext_lazy(
    "Active member records kept by each branch (transferred-out and deceased members are not counted)."
)

DASHBOARD = register(
    Dashboard(
        key="party",
        order=20,
        title=gettext_lazy("Party building"),
        description=gettext_lazy(
            "Members by branch, status, age, education and occupation; mobile members; talent; organisational life."
        ),
        tree=Tree.PARTY,
        metrics=(
            Metric(
                key=STATUS,
                tree=Tree.PARTY,
                label=gettext_lazy("Members"),
                counts=gettext_lazy("Active party members now, full and probationary."),
                records=_MEMBERS,
                rows=_member_rows("status"),
                unit=gettext_lazy("members"),
                key_labels=_labels(MemberRecord.Status.choices),
                stock=True,
                source_prefix=MEMBER_PREFIX,
            ),
            Metric(
                key=DECADE,
                tree=Tree.PARTY,
                label=gettext_lazy("Members by decade of birth"),
                counts=gettext_lazy("Active party members now, by the decade they were born in."),
                records=_MEMBERS,
                rows=_member_rows("decade"),
                unit=gettext_lazy("members"),
                key_labels=_decades,
                stock=True,
                source_prefix=MEMBER_PREFIX,
            ),
            Metric(
                key=EDUCATION,
                tree=Tree.PARTY,
                label=gettext_lazy("Members by education"),
                counts=gettext_lazy("Active party members now, by education (blank where not recorded)."),
                records=_MEMBERS,
                rows=_member_rows("education"),
                unit=gettext_lazy("members"),
                key_labels=_labels(Education.choices),
                stock=True,
                source_prefix=MEMBER_PREFIX,
            ),
            Metric(
                key=OCCUPATION,
                tree=Tree.PARTY,
                label=gettext_lazy("Members by occupation"),
                counts=gettext_lazy("Active party members now, by occupation."),
                records=_MEMBERS,
                rows=_member_rows("occupation"),
                unit=gettext_lazy("members"),
                key_labels=_labels(Occupation.choices),
                stock=True,
                source_prefix=MEMBER_PREFIX,
            ),
            Metric(
                key=MOBILE,
                tree=Tree.PARTY,
                label=gettext_lazy("Mobile members"),
                counts=gettext_lazy("Active members marked as mobile (流动党员), under the branch that keeps them."),
                records=_MEMBERS,
                rows=mobile_rows,
                unit=gettext_lazy("members"),
                stock=True,
                source_prefix=MEMBER_PREFIX,
            ),
            Metric(
                key=TALENT,
                tree=Tree.PARTY,
                label=gettext_lazy("Party-affairs talent"),
                counts=gettext_lazy("Roles in the talent pool held by active members (a member may hold several)."),
                records=gettext_lazy("Talent-pool entries of active member records."),
                rows=talent_rows,
                unit=gettext_lazy("roles"),
                key_labels=_labels(TalentRole.choices),
                stock=True,
                source_prefix=MEMBER_PREFIX,
            ),
            Metric(
                key=MEETINGS,
                tree=Tree.PARTY,
                label=gettext_lazy("Meetings held"),
                counts=gettext_lazy("Meetings of organisational life held, by kind, on the day they were held."),
                records=gettext_lazy(
                    "Organisational-life meetings entered by branches or linked from live lessons and courses."
                ),
                rows=meeting_rows,
                unit=gettext_lazy("meetings"),
                key_labels=_labels(MeetingKind.choices),
                source_prefix=LIFE_PREFIX,
            ),
            Metric(
                key=HELD,
                tree=Tree.PARTY,
                label=gettext_lazy("Held"),
                counts=gettext_lazy("Periods that are over in which a branch held the meeting due (三会一课)."),
                records=gettext_lazy("Organisational-life meetings of the branches."),
                rows=held_rows,
                unit=gettext_lazy("periods"),
                key_labels=_labels(MeetingKind.choices),
                ended_only=True,
                source_prefix=LIFE_PREFIX,
            ),
            Metric(
                key=DUE,
                tree=Tree.PARTY,
                label=gettext_lazy("Due"),
                counts=gettext_lazy(
                    "Periods that are over, for each branch: the branch meeting and party lecture each quarter, "
                    "the committee, group meetings and themed day each month, the life meeting each year."
                ),
                records=gettext_lazy("The branches under this organisation (the organisation tree)."),
                unit=gettext_lazy("periods"),
                key_labels=_labels(MeetingKind.choices),
            ),
        ),
        charts=(
            Chart("members_by_org", gettext_lazy("Members by organisation"), "bar", (STATUS, MOBILE), "child"),
            Chart("members_status", gettext_lazy("Full and probationary members"), "pie", (STATUS,), "key"),
            Chart("members_decade", gettext_lazy("Members by decade of birth"), "pie", (DECADE,), "key"),
            Chart("members_education", gettext_lazy("Members by education"), "pie", (EDUCATION,), "key"),
            Chart("members_occupation", gettext_lazy("Members by occupation"), "pie", (OCCUPATION,), "key"),
            Chart("talent", gettext_lazy("Party-affairs talent by role"), "pie", (TALENT,), "key"),
            Chart("life_by_kind", gettext_lazy("Organisational life: held and due"), "bar", (HELD, DUE), "key"),
            Chart(
                "life_by_org",
                gettext_lazy("Organisational life by organisation: held and due"),
                "bar",
                (HELD, DUE),
                "child",
            ),
            Chart("meetings_trend", gettext_lazy("Meetings held by month"), "line", (MEETINGS,), "month"),
        ),
        derive=derive_due,
        records=party_records,
    )
)
