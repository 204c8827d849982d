"""Factories for governance tests: buildings through the service (so households are generated), residents."""

from __future__ import annotations

import itertools

from django.utils import timezone

from core.crypto import blind_index
from core.demo.generate import id_check_digit
from governance.models import Building, CareTag, Household, Relation, Resident
from governance.services.buildings import building_create
from governance.services.residents import ID_INDEX_PURPOSE, PHONE_INDEX_PURPOSE, resident_refresh_visit_plan

_numbers = itertools.count(1)


def make_building(grid, **overrides) -> Building:
    n = next(_numbers)
    values = {
        "name": f"测试小区{n}号楼",
        "number": str(n),
        "address": f"测试路{n}号",
        "unit_count": 2,
        "floor_count": 3,
        "households_per_floor": 2,
    }
    values.update(overrides)
    return building_create(grid=grid, **values)


def household_of(building: Building, label_suffix: str = "1-101") -> Household:
    unit, room_number = label_suffix.split("-")
    floor, room = int(room_number[:-2]), int(room_number[-2:])
    return building.households.get(unit=int(unit), floor=floor, room=room)


def valid_id_number(birth_year: int, serial: int) -> str:
    first17 = f"210681{birth_year}0101{serial % 1000:03d}"
    return first17 + id_check_digit(first17)


def make_resident(household: Household, *, tags: list[str] = (), **fields) -> Resident:
    """A resident written directly (no audit), with its hashes and visit plan like the service's."""
    n = next(_numbers)
    values = {
        "name": f"居民{n}号",
        "birth_year": 1960,
        "relation": Relation.HEAD,
        "phone": "",
        "id_number": "",
    }
    values.update(fields)
    resident = Resident(grid=household.building.grid, household=household, **values)
    if resident.id_number:
        resident.id_number_hash = blind_index(resident.id_number, purpose=ID_INDEX_PURPOSE)
    if resident.phone:
        resident.phone_hash = blind_index(resident.phone, purpose=PHONE_INDEX_PURPOSE)
    resident.save()
    if tags:
        resident.care_tags.set(CareTag.objects.filter(code__in=tags))
        resident_refresh_visit_plan(resident=resident, today=timezone.localdate())
    return resident
