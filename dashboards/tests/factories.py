"""A world for the dashboards' tests: the classroom's courses and people, plus venues and events.

Two party trees side by side (甲镇党委 with two branches, 乙街道党工委 with one), members in each,
a member who belongs to two organisations, venues with operators, and a main venue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from core.models import PartyOrg, Role, User
from core.services.orgs import membership_grant
from core.tests.factories import make_user_with_role
from dashboards.trees import TreeIndex
from learning.tests.factories import CourseWorld
from learning.tests.factories import make_world as make_course_world
from streaming.models import LiveEvent, Venue
from streaming.tests.factories import make_venue


@dataclass
class DashWorld:
    course: CourseWorld
    orgs: dict[str, PartyOrg]
    people: dict
    members: list[User]
    venues: list[Venue]
    operators: dict[int, User]
    main_venue: Venue


def make_world() -> DashWorld:
    course = make_course_world(with_files=False)
    orgs = course.orgs
    people = course.people
    members = [people["member_a1"], people["member_a2"], people["member_b"]]
    members.append(make_user_with_role(Role.MEMBER, party_org=orgs["branch_a1"]))
    twice = make_user_with_role(Role.MEMBER, party_org=orgs["branch_b"])
    membership_grant(user=twice, role=Role.MEMBER, party_org=orgs["branch_a2"])
    members.append(twice)
    venues = [make_venue(party_org=orgs[k]) for k in ("branch_a1", "branch_a2", "branch_b")]
    operators = {v.pk: make_user_with_role(Role.VENUE_OPERATOR, party_org=v.party_org) for v in venues}
    main = make_venue(party_org=orgs["committee_a"], name="甲镇党委主会场", kind=Venue.Kind.MAIN)
    return DashWorld(
        course=course,
        orgs=orgs,
        people=people,
        members=members,
        venues=venues,
        operators=operators,
        main_venue=main,
    )


def make_live_event(*, organiser: User, org: PartyOrg | None, days_ago: int = 0, state: str = LiveEvent.State.LIVE):
    start = timezone.now() - datetime.timedelta(days=days_ago, hours=1)
    return LiveEvent.objects.create(
        title="学习贯彻党的二十届四中全会精神专题党课",
        organiser=organiser,
        organiser_org=org,
        scheduled_start=start,
        scheduled_end=start + datetime.timedelta(hours=2),
        state=state,
        started_at=start if state != LiveEvent.State.SCHEDULED else None,
    )


def _period_of_the_data(dashboard):
    """Every month holding a rollup of the dashboard, and a year either side of today: the
    factories' records lie there. (Comparing 2000–2100 month by month took 10 minutes a test.)"""
    from django.db.models import Max, Min

    from dashboards.models import Rollup
    from dashboards.selectors import Period

    today = timezone.localdate()
    start, end = today.replace(year=today.year - 1, day=1), today.replace(year=today.year + 1, day=28)
    span = Rollup.objects.filter(tree=dashboard.tree).aggregate(first=Min("day"), last=Max("day"))
    return Period(min(filter(None, [start, span["first"]])), max(filter(None, [end, span["last"]])))


def assert_rollups_match_live(dashboard, *, period=None, nodes=None) -> int:
    """Rollups equal the live GROUP BY at every node of the tree; returns how many nodes had figures."""
    from dashboards.selectors import figures_from_rollups, figures_live
    from dashboards.trees import TREE_MODELS

    period = period or _period_of_the_data(dashboard)
    index = TreeIndex.load(dashboard.tree)
    with_figures = 0
    for node in nodes or TREE_MODELS[dashboard.tree].objects.all():
        rolled = figures_from_rollups(dashboard, node, period)
        live = figures_live(dashboard, node, period, index=index)
        for key in rolled:
            assert rolled[key].as_plain(4) == live[key].as_plain(4), (dashboard.key, node.name, key)
        with_figures += any(f.total for f in rolled.values())
    return with_figures
