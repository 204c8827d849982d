"""Reads of party records that are more than one line. Figures are counts per organisation (and
everything under it), per town and per year — never a ranking of people.

Public contracts for other apps (dashboards):
- `member_figures(orgs=None)`: counts of active members (full/probationary, mobile, new employment
  groups, talent pool, by gender, education and age band) for a set of organisations (all if None).
- `member_figures_by_town()`: the same per town/street (plus one row for city-level organisations).
- `talent_figures(orgs=None)`: talent-pool members per talent role.
- `life_overview(orgs, year)` / `life_of_branches(branches, year)`: per branch and kind of meeting,
  what was due, what was held and which periods were missed (`life_branches(orgs)` to page them).
- `life_figures(year, orgs=None)`: those summed per kind of meeting over all the branches, in SQL.
- `life_figures_by_year(years, orgs=None)`: meetings held per year and source (entered, live, course).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Area, PartyOrg
from party.models import (
    NEW_EMPLOYMENT_OCCUPATIONS,
    Meeting,
    MeetingKind,
    MemberRecord,
    TalentEntry,
    TalentRole,
)

AGE_BANDS = ((0, 35), (35, 46), (46, 61), (61, 200))


def subtree(org: PartyOrg) -> QuerySet[PartyOrg]:
    return PartyOrg.objects.filter(path__startswith=org.path)


def _active(orgs: QuerySet[PartyOrg] | None) -> QuerySet[MemberRecord]:
    records = MemberRecord.objects.filter(state=MemberRecord.State.ACTIVE)
    return records if orgs is None else records.filter(branch__in=orgs)


@dataclass
class MemberFigures:
    total: int = 0
    full: int = 0
    probationary: int = 0
    mobile: int = 0
    new_employment: int = 0
    female: int = 0
    talent: int = 0
    by_education: dict[str, int] = field(default_factory=dict)
    by_occupation: dict[str, int] = field(default_factory=dict)
    by_age_band: dict[str, int] = field(default_factory=dict)


def _age_band_label(low: int, high: int) -> str:
    if low == 0:
        return _("under %(n)s") % {"n": high}
    if high >= 200:
        return _("%(n)s and over") % {"n": low}
    return f"{low}–{high - 1}"


def member_figures(orgs: QuerySet[PartyOrg] | None = None) -> MemberFigures:
    records = _active(orgs)
    year = timezone.localdate().year
    age_counts = {
        f"age{i}": Count("id", filter=Q(birth_year__lte=year - low, birth_year__gt=year - high))
        for i, (low, high) in enumerate(AGE_BANDS)
    }
    totals = records.aggregate(
        total=Count("id"),
        full=Count("id", filter=Q(status=MemberRecord.Status.FULL)),
        probationary=Count("id", filter=Q(status=MemberRecord.Status.PROBATIONARY)),
        mobile=Count("id", filter=Q(is_mobile=True)),
        new_employment=Count("id", filter=Q(occupation__in=NEW_EMPLOYMENT_OCCUPATIONS)),
        female=Count("id", filter=Q(gender="f")),
        **age_counts,
    )
    figures = MemberFigures(
        **{k: totals[k] for k in ("total", "full", "probationary", "mobile", "new_employment", "female")}
    )
    figures.by_age_band = {_age_band_label(low, high): totals[f"age{i}"] for i, (low, high) in enumerate(AGE_BANDS)}
    education = dict(MemberRecord._meta.get_field("education").choices)
    figures.by_education = {
        str(education.get(r["education"], _("Unknown"))): r["n"]
        for r in records.values("education").annotate(n=Count("id")).order_by("education")
    }
    occupation = dict(MemberRecord._meta.get_field("occupation").choices)
    figures.by_occupation = {
        str(occupation.get(r["occupation"], r["occupation"])): r["n"]
        for r in records.values("occupation").annotate(n=Count("id")).order_by("-n", "occupation")
    }
    figures.talent = records.filter(talent__isnull=False).distinct().count()
    return figures


@dataclass
class TownMembers:
    town: Area | None  # None: organisations of the city itself (departments, sector committees)
    total: int = 0
    mobile: int = 0
    new_employment: int = 0
    talent: int = 0


def _town_path(area_path: str | None) -> str | None:
    if not area_path:
        return None
    parts = area_path.strip("/").split("/")
    return f"/{parts[0]}/{parts[1]}/" if len(parts) >= 2 else None


def member_figures_by_town() -> list[TownMembers]:
    towns = {t.path: t for t in Area.objects.filter(level=Area.Level.TOWN).order_by("path")}
    rows: dict[str | None, TownMembers] = {path: TownMembers(town=t) for path, t in towns.items()}
    rows[None] = TownMembers(town=None)
    records = (
        _active(None)
        .values("branch__area__path")
        .annotate(
            total=Count("id"),
            mobile=Count("id", filter=Q(is_mobile=True)),
            new_employment=Count("id", filter=Q(occupation__in=NEW_EMPLOYMENT_OCCUPATIONS)),
        )
    )
    for r in records:
        row = rows.get(_town_path(r["branch__area__path"])) or rows[None]
        row.total += r["total"]
        row.mobile += r["mobile"]
        row.new_employment += r["new_employment"]
    talent = (
        TalentEntry.objects.filter(member__state=MemberRecord.State.ACTIVE)
        .values("member__branch__area__path")
        .annotate(n=Count("member", distinct=True))
    )
    for r in talent:
        (rows.get(_town_path(r["member__branch__area__path"])) or rows[None]).talent += r["n"]
    return [rows[p] for p in towns] + [rows[None]]


def talent_figures(orgs: QuerySet[PartyOrg] | None = None) -> dict[str, int]:
    entries = TalentEntry.objects.filter(member__state=MemberRecord.State.ACTIVE)
    if orgs is not None:
        entries = entries.filter(member__branch__in=orgs)
    counts = dict(entries.values("role").annotate(n=Count("id")).values_list("role", "n"))
    return {str(label): counts.get(value, 0) for value, label in TalentRole.choices}


def talent_pool(orgs: QuerySet[PartyOrg]) -> QuerySet[MemberRecord]:
    """Members in the talent pool, in the organisations' order (tree order, then name)."""
    return (
        _active(orgs)
        .filter(talent__isnull=False)
        .distinct()
        .select_related("branch")
        .prefetch_related("talent")
        .order_by("branch__path", "name", "id")
    )


# --- Organisational life ----------------------------------------------------------------------

# How often each kind of meeting is due in a branch (支部工作条例: 党员大会 and 党课 each quarter,
# 支委会, 党小组会 and 主题党日 each month, 组织生活会 each year).
LIFE_RULES: dict[str, str] = {
    MeetingKind.GENERAL_ASSEMBLY: "quarter",
    MeetingKind.COMMITTEE: "month",
    MeetingKind.GROUP: "month",
    MeetingKind.LECTURE: "quarter",
    MeetingKind.THEME_DAY: "month",
    MeetingKind.LIFE_MEETING: "year",
}


def _period_of(rule: str, month: int) -> int:
    return {"month": month, "quarter": (month - 1) // 3 + 1, "year": 1}[rule]


def _periods_ended(rule: str, year: int, today: datetime.date) -> list[int]:
    """Periods of the year that are over by today: those are due."""
    count = {"month": 12, "quarter": 4, "year": 1}[rule]
    if year < today.year:
        return list(range(1, count + 1))
    if year > today.year:
        return []
    current = _period_of(rule, today.month)
    return list(range(1, current))


def _period_label(rule: str, period: int) -> str:
    if rule == "month":
        return _("month %(n)s") % {"n": period}
    if rule == "quarter":
        return _("quarter %(n)s") % {"n": period}
    return _("the year")


@dataclass
class KindLife:
    kind: str
    label: str
    due: int
    held: int  # of the due periods, those with at least one meeting
    meetings: int  # all meetings of this kind in the year
    missed: list[str]


@dataclass
class BranchLife:
    org: PartyOrg
    kinds: list[KindLife]

    @property
    def due(self) -> int:
        return sum(k.due for k in self.kinds)

    @property
    def held(self) -> int:
        return sum(k.held for k in self.kinds)

    @property
    def missed(self) -> int:
        return self.due - self.held

    @property
    def percent(self) -> int:
        return round(100 * self.held / self.due) if self.due else 100


def _branches(orgs: QuerySet[PartyOrg]) -> QuerySet[PartyOrg]:
    return orgs.filter(kind=PartyOrg.Kind.BRANCH).order_by("path")


def _period_expression(year: int):
    """The period of `year` a meeting falls in, by its kind's rule (month, quarter or the year).

    Plain date comparisons rather than extracting the month: on SQLite the extraction is a Python
    function called once per row, which made a city's year of meetings cost a quarter of a second."""

    def by_boundaries(months: range) -> Case:
        # months: the first month of each period after the first; the period is 1 + boundaries passed.
        whens = [
            When(held_on__lt=datetime.date(year, first, 1), then=Value(number))
            for number, first in enumerate(months, start=1)
        ]
        return Case(*whens, default=Value(len(whens) + 1), output_field=IntegerField())

    by_rule: dict[str, list[str]] = defaultdict(list)
    for kind, rule in LIFE_RULES.items():
        by_rule[rule].append(kind)
    return Case(
        When(kind__in=by_rule["month"], then=by_boundaries(range(2, 13))),
        When(kind__in=by_rule["quarter"], then=by_boundaries(range(4, 13, 3))),
        default=Value(1),
        output_field=IntegerField(),
    )


def _year_range(year: int) -> tuple[datetime.date, datetime.date]:
    # A range on the column (not held_on__year on every row) so the (org, held_on) index serves it.
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def life_branches(orgs: QuerySet[PartyOrg]) -> QuerySet[PartyOrg]:
    """The branches among `orgs`, in tree order: the rows of the organisational-life table."""
    return _branches(orgs)


def life_overview(orgs: QuerySet[PartyOrg], year: int, *, today: datetime.date | None = None) -> list[BranchLife]:
    """For each branch among `orgs` (in tree order): each kind of meeting, due and held in `year`."""
    return life_of_branches(list(_branches(orgs)), year, today=today)


def life_of_branches(branches: list[PartyOrg], year: int, *, today: datetime.date | None = None) -> list[BranchLife]:
    """For each of these branches (a page of them): each kind of meeting, due and held in `year`,
    with the periods missed."""
    today = today or timezone.localdate()
    held: dict[tuple[int, str], set[int]] = defaultdict(set)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    rows = (
        Meeting.objects.filter(org__in=[b.pk for b in branches], held_on__range=_year_range(year))
        .annotate(period=_period_expression(year))
        .values("org_id", "kind", "period")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in rows:
        if r["kind"] in LIFE_RULES:
            held[(r["org_id"], r["kind"])].add(r["period"])
        counts[(r["org_id"], r["kind"])] += r["n"]
    labels = dict(MeetingKind.choices)
    result = []
    for branch in branches:
        kinds = []
        for kind, rule in LIFE_RULES.items():
            due = _periods_ended(rule, year, today)
            covered = held[(branch.pk, kind)]
            kinds.append(
                KindLife(
                    kind=kind,
                    label=str(labels[kind]),
                    due=len(due),
                    held=sum(1 for p in due if p in covered),
                    meetings=counts[(branch.pk, kind)],
                    missed=[_period_label(rule, p) for p in due if p not in covered],
                )
            )
        result.append(BranchLife(org=branch, kinds=kinds))
    return result


@dataclass
class KindFigures:
    kind: str
    label: str
    due: int = 0
    held: int = 0
    meetings: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.held / self.due) if self.due else 100


def life_figures(
    year: int, orgs: QuerySet[PartyOrg] | None = None, *, today: datetime.date | None = None
) -> list[KindFigures]:
    """Per kind of meeting over all branches among `orgs`: periods due, periods held, meetings.
    Summed in the database (one row per branch and kind), so a city's page does not carry every
    branch's months through Python; equals `life_figures_of(life_overview(...))`."""
    today = today or timezone.localdate()
    branches = _branches(orgs if orgs is not None else PartyOrg.objects.all())
    due = {kind: _periods_ended(rule, year, today) for kind, rule in LIFE_RULES.items()}
    # A period counts as held once, however many meetings it had, and only when it is due.
    held_due = Q(pk__in=[])
    for kind, periods in due.items():
        if periods:
            held_due |= Q(kind=kind, period__lte=max(periods))
    rows = (
        Meeting.objects.filter(org__in=branches.values("pk"), held_on__range=_year_range(year))
        .annotate(period=_period_expression(year))
        .values("org_id", "kind")
        .annotate(
            meetings=Count("id"),
            held=Count("period", distinct=True, filter=held_due),
        )
        .order_by()
    )
    labels = dict(MeetingKind.choices)
    branch_count = branches.count()
    figures = {
        kind: KindFigures(kind=kind, label=str(labels[kind]), due=branch_count * len(due[kind])) for kind in LIFE_RULES
    }
    for r in rows:
        f = figures.get(r["kind"])
        if f is not None:
            f.held += r["held"]
            f.meetings += r["meetings"]
    return list(figures.values())


def life_figures_of(overview: list[BranchLife]) -> list[KindFigures]:
    """The per-kind sums of an overview already computed (a page shows both)."""
    labels = dict(MeetingKind.choices)
    figures = {kind: KindFigures(kind=kind, label=str(labels[kind])) for kind in LIFE_RULES}
    for branch in overview:
        for k in branch.kinds:
            f = figures[k.kind]
            f.due += k.due
            f.held += k.held
            f.meetings += k.meetings
    return list(figures.values())


def life_figures_by_year(years: list[int], orgs: QuerySet[PartyOrg] | None = None) -> dict[int, dict[str, int]]:
    """{year: {source: meetings}} with sources "manual", "live_event", "course"."""
    meetings = Meeting.objects.filter(held_on__year__in=years)
    if orgs is not None:
        meetings = meetings.filter(org__in=orgs)
    result: dict[int, dict[str, int]] = {y: {s: 0 for s in Meeting.Source.values} for y in years}
    for r in meetings.annotate(y=ExtractYear("held_on")).values("y", "source").annotate(n=Count("id")):
        result[r["y"]][r["source"]] = r["n"]
    return result


@dataclass
class OrgCounts:
    org: PartyOrg
    members: int = 0
    mobile: int = 0


def child_org_counts(org: PartyOrg) -> list[OrgCounts]:
    """The organisation's direct children with the members of each one's whole subtree."""
    children = list(org.children.order_by("path"))
    counts = {c.path: OrgCounts(org=c) for c in children}
    rows = _active(subtree(org)).values("branch__path").annotate(n=Count("id"), m=Count("id", filter=Q(is_mobile=True)))
    for r in rows:
        for path, item in counts.items():
            if r["branch__path"].startswith(path):
                item.members += r["n"]
                item.mobile += r["m"]
                break
    return [counts[c.path] for c in children]
