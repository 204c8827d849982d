"""Venues, events and the people around them, built on core's trees and factories."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from core.models import PartyOrg, Role, User
from core.tests.factories import make_party_org, make_tree, make_user_with_role
from streaming.models import Invitation, LiveEvent, Venue


def make_venue(
    *, party_org: PartyOrg | None = None, name: str | None = None, kind: str = Venue.Kind.BRANCH, area=None
) -> Venue:
    return Venue.objects.create(
        name=name or f"{party_org.name if party_org else '测试'}分会场",
        kind=kind,
        party_org=party_org,
        area=area or (party_org.area if party_org else None),
    )


def make_event(
    *,
    organiser: User,
    venues=(),
    audience: str = LiveEvent.Audience.MEMBERS,
    state: str | None = None,
    title: str = "学习贯彻党的二十届四中全会精神专题党课",
    main_venue: Venue | None = None,
    start_in: datetime.timedelta = datetime.timedelta(hours=1),
) -> LiveEvent:
    start = timezone.now() + start_in
    event = LiveEvent.objects.create(
        title=title,
        organiser=organiser,
        scheduled_start=start,
        scheduled_end=start + datetime.timedelta(hours=2),
        audience=audience,
        main_venue=main_venue,
    )
    Invitation.objects.bulk_create([Invitation(event=event, venue=v) for v in venues])
    if state:
        fields = {"state": state}
        if state in (LiveEvent.State.LIVE, LiveEvent.State.ENDED, LiveEvent.State.REPLAY_READY):
            fields["started_at"] = timezone.now() - datetime.timedelta(minutes=30)
        if state in (LiveEvent.State.ENDED, LiveEvent.State.REPLAY_READY):
            fields["ended_at"] = timezone.now()
        LiveEvent.objects.filter(pk=event.pk).update(**fields)
        event.refresh_from_db()
    return event


@dataclass
class LiveWorld:
    """A town with two branches (A invited, B not), their venues and people, and an event."""

    tree: dict
    branch_a: PartyOrg
    branch_b: PartyOrg
    venue_a: Venue
    venue_b: Venue
    main_venue: Venue
    organiser: User  # town staff of town A
    ops: User
    operator_a: User
    operator_b: User
    member_a: User
    member_b: User
    resident: User
    event: LiveEvent


def make_world(*, audience: str = LiveEvent.Audience.INVITED, state: str | None = None) -> LiveWorld:
    tree = make_tree()
    committee = make_party_org(kind=PartyOrg.Kind.COMMITTEE, area=tree["town_a"], name="甲镇党委")
    branch_a = make_party_org(parent=committee, area=tree["village_a"], name="甲村第一党支部")
    branch_b = make_party_org(area=tree["village_b"], name="乙社区第一党支部")
    venue_a = make_venue(party_org=branch_a, name="甲村党群服务中心分会场")
    venue_b = make_venue(party_org=branch_b, name="乙社区党群服务中心分会场")
    main_venue = make_venue(party_org=committee, name="甲镇党委主会场", kind=Venue.Kind.MAIN)
    organiser = make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"])
    event = make_event(organiser=organiser, venues=[venue_a], audience=audience, state=state, main_venue=main_venue)
    return LiveWorld(
        tree=tree,
        branch_a=branch_a,
        branch_b=branch_b,
        venue_a=venue_a,
        venue_b=venue_b,
        main_venue=main_venue,
        organiser=organiser,
        ops=make_user_with_role(Role.OPS_ADMIN),
        operator_a=make_user_with_role(Role.VENUE_OPERATOR, party_org=branch_a),
        operator_b=make_user_with_role(Role.VENUE_OPERATOR, party_org=branch_b),
        member_a=make_user_with_role(Role.MEMBER, party_org=branch_a),
        member_b=make_user_with_role(Role.MEMBER, party_org=branch_b),
        resident=make_user_with_role(Role.RESIDENT, area=tree["grid_a"]),
        event=event,
    )
