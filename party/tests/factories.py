"""Factories for party records, on top of core's trees and people."""

from __future__ import annotations

import datetime
import itertools

from core.models import PartyOrg
from core.tests.factories import UserFactory, make_party_org
from party.models import MemberRecord, PartyRole
from party.services.roles import party_role_grant

_phones = itertools.count(13900000000)


def make_record(branch: PartyOrg, *, user=None, name: str = "张建国", **fields) -> MemberRecord:
    values = {
        "gender": "m",
        "birth_year": 1980,
        "status": MemberRecord.Status.FULL,
        "joined_on": datetime.date(2005, 7, 1),
        "full_member_on": datetime.date(2006, 7, 1),
        "phone": str(next(_phones)),
        **fields,
    }
    return MemberRecord.objects.create(branch=branch, user=user, name=name, **values)


def make_keeper(kind: str = PartyRole.Kind.SECRETARY, org: PartyOrg | None = None):
    user = UserFactory()
    party_role_grant(user=user, kind=kind, party_org=org)
    return user


def make_party_tree(tree) -> dict[str, PartyOrg]:
    """Town committee A with a village general branch and two branches; town committee B with one."""
    city = make_party_org(PartyOrg.Kind.COMMITTEE, area=tree["city"], name="市委")
    town_a = make_party_org(PartyOrg.Kind.COMMITTEE, city, tree["town_a"], "甲镇党委")
    village_a = make_party_org(PartyOrg.Kind.GENERAL_BRANCH, town_a, tree["village_a"], "甲村党总支")
    branch_a1 = make_party_org(PartyOrg.Kind.BRANCH, village_a, tree["village_a"], "甲村第一党支部")
    branch_a2 = make_party_org(PartyOrg.Kind.BRANCH, village_a, tree["village_a"], "甲村第二党支部")
    town_b = make_party_org(PartyOrg.Kind.COMMITTEE, city, tree["town_b"], "乙街道党工委")
    branch_b = make_party_org(PartyOrg.Kind.BRANCH, town_b, tree["village_b"], "乙社区党支部")
    riders = make_party_org(PartyOrg.Kind.BRANCH, city, tree["city"], "新就业群体党支部")
    return {
        "city": city,
        "town_a": town_a,
        "village_a": village_a,
        "branch_a1": branch_a1,
        "branch_a2": branch_a2,
        "town_b": town_b,
        "branch_b": branch_b,
        "riders": riders,
    }


__all__ = ["UserFactory", "make_keeper", "make_party_tree", "make_record"]
