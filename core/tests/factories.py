"""Factories for the organisation trees and people. Other apps' factories build on these."""

from __future__ import annotations

import factory

from core.models import Area, Department, PartyOrg, Role, User
from core.services.orgs import membership_grant
from core.services.trees import area_create, party_org_create

DEFAULT_PASSWORD = "Test-pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def persist_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save(update_fields=["password"])


_counter = iter(range(1, 10**9))


def make_area(level: int, parent: Area | None = None, name: str | None = None) -> Area:
    n = next(_counter)
    return area_create(name=name or f"区域{n}", code=f"A{n}", level=level, parent=parent)


def make_tree() -> dict[str, Area]:
    """A small tree with two of everything, so tests can check one branch against the other."""
    city = make_area(Area.Level.CITY, name="测试市")
    town_a = make_area(Area.Level.TOWN, city, "甲镇")
    town_b = make_area(Area.Level.TOWN, city, "乙街道")
    village_a = make_area(Area.Level.VILLAGE, town_a, "甲村")
    village_b = make_area(Area.Level.VILLAGE, town_b, "乙社区")
    grid_a = make_area(Area.Level.GRID, village_a, "甲村第一网格")
    grid_a2 = make_area(Area.Level.GRID, village_a, "甲村第二网格")
    grid_b = make_area(Area.Level.GRID, village_b, "乙社区第一网格")
    return {
        "city": city,
        "town_a": town_a,
        "town_b": town_b,
        "village_a": village_a,
        "village_b": village_b,
        "grid_a": grid_a,
        "grid_a2": grid_a2,
        "grid_b": grid_b,
    }


def make_department(city: Area, name: str | None = None) -> Department:
    n = next(_counter)
    return Department.objects.create(name=name or f"部门{n}", code=f"D{n}", city=city)


def make_party_org(
    kind: str = PartyOrg.Kind.BRANCH, parent: PartyOrg | None = None, area: Area | None = None, name: str | None = None
) -> PartyOrg:
    n = next(_counter)
    return party_org_create(name=name or f"党组织{n}", code=f"P{n}", kind=kind, parent=parent, area=area)


def make_user_with_role(role: str, **scope) -> User:
    user = UserFactory()
    membership_grant(user=user, role=role, **scope)
    return user


__all__ = [
    "DEFAULT_PASSWORD",
    "Role",
    "UserFactory",
    "make_area",
    "make_department",
    "make_party_org",
    "make_tree",
    "make_user_with_role",
]
