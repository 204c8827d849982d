"""A building's plan (楼栋平面模型) as plain data: which rooms its unit/floor/household model makes.

Pure functions, no database: the household generation service, the plan view, the Excel import and
the tests all use them. Floors are numbered as the building labels them: skipped numbers (4, 13, 14
in many towers) are not floors, so a 33-floor tower that skips 4 and 13 is labelled 1…35. The
lowest `shop_floors` floors hold shops, not households.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_UNITS = 30
MAX_FLOORS = 99
MAX_PER_FLOOR = 30


@dataclass(frozen=True)
class UnitShape:
    floor_count: int
    households_per_floor: int


@dataclass(frozen=True)
class Layout:
    unit_count: int
    floor_count: int
    households_per_floor: int
    # unit number → its own floor count and households per floor, where it differs.
    unit_overrides: dict[int, UnitShape] = field(default_factory=dict)
    shop_floors: int = 0
    skipped_floors: frozenset[int] = frozenset()

    @classmethod
    def from_values(
        cls,
        *,
        unit_count: int,
        floor_count: int,
        households_per_floor: int,
        unit_overrides: dict | None = None,
        shop_floors: int = 0,
        skipped_floors: list[int] | None = None,
    ) -> Layout:
        """From the JSON a Building stores: {"2": {"floor_count": 18, "households_per_floor": 3}}."""
        overrides = {}
        for key, shape in (unit_overrides or {}).items():
            overrides[int(key)] = UnitShape(
                floor_count=int(shape.get("floor_count", floor_count)),
                households_per_floor=int(shape.get("households_per_floor", households_per_floor)),
            )
        return cls(
            unit_count=unit_count,
            floor_count=floor_count,
            households_per_floor=households_per_floor,
            unit_overrides=overrides,
            shop_floors=shop_floors,
            skipped_floors=frozenset(int(f) for f in (skipped_floors or [])),
        )

    def shape(self, unit: int) -> UnitShape:
        return self.unit_overrides.get(unit, UnitShape(self.floor_count, self.households_per_floor))

    def floor_labels(self, floor_count: int | None = None) -> list[int]:
        """The labels of the floors from the ground up, skipping the skipped numbers."""
        count = self.floor_count if floor_count is None else floor_count
        labels: list[int] = []
        label = 0
        while len(labels) < count:
            label += 1
            if label not in self.skipped_floors:
                labels.append(label)
        return labels

    def all_floor_labels(self) -> list[int]:
        """Every floor label of the building (the tallest unit's), ground up."""
        tallest = max([self.floor_count, *(s.floor_count for s in self.unit_overrides.values())])
        return self.floor_labels(tallest)

    def shop_floor_labels(self) -> list[int]:
        return self.all_floor_labels()[: self.shop_floors]

    def rooms(self) -> Iterator[tuple[int, int, int]]:
        """(unit, floor label, room on the floor) of every household the model makes."""
        for unit in range(1, self.unit_count + 1):
            shape = self.shape(unit)
            for index, floor in enumerate(self.floor_labels(shape.floor_count)):
                if index < self.shop_floors:
                    continue
                for room in range(1, shape.households_per_floor + 1):
                    yield unit, floor, room

    def errors(self) -> list[str]:
        """What is wrong with the model, in plain English keys the forms translate (empty if fine)."""
        problems = []
        if not 1 <= self.unit_count <= MAX_UNITS:
            problems.append("unit_count")
        if not 1 <= self.floor_count <= MAX_FLOORS:
            problems.append("floor_count")
        if not 1 <= self.households_per_floor <= MAX_PER_FLOOR:
            problems.append("households_per_floor")
        for unit, shape in self.unit_overrides.items():
            if not 1 <= unit <= self.unit_count or not 1 <= shape.floor_count <= MAX_FLOORS:
                problems.append("unit_overrides")
                break
            if not 1 <= shape.households_per_floor <= MAX_PER_FLOOR:
                problems.append("unit_overrides")
                break
        if not 0 <= self.shop_floors < min([self.floor_count, *(s.floor_count for s in self.unit_overrides.values())]):
            problems.append("shop_floors")
        if any(f < 1 or f > 200 for f in self.skipped_floors):
            problems.append("skipped_floors")
        return problems


def room_number(floor: int, room: int) -> str:
    """501 for floor 5 room 1; 1203 for floor 12 room 3 (the usual 室号)."""
    return f"{floor}{room:02d}"


def household_label(building_number: str, unit: int, floor: int, room: int) -> str:
    """3-2-501: building 3, unit 2, room 501."""
    return f"{building_number}-{unit}-{room_number(floor, room)}"
