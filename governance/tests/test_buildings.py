"""Households generated from the building model; changing the model keeps what holds data."""

import pytest
from django.core.exceptions import ValidationError

from governance.layout import Layout
from governance.models import Household
from governance.services.buildings import building_save
from governance.tests.factories import household_of, make_building, make_resident


def test_layout_skips_floor_numbers_and_shop_floors():
    layout = Layout.from_values(unit_count=2, floor_count=5, households_per_floor=2, shop_floors=1, skipped_floors=[4])
    assert layout.floor_labels() == [1, 2, 3, 5, 6]
    rooms = list(layout.rooms())
    # Floor 1 is shops; floors 2, 3, 5, 6 × 2 units × 2 rooms.
    assert len(rooms) == 16
    assert {f for _, f, _ in rooms} == {2, 3, 5, 6}


def test_unit_overrides_change_one_unit():
    layout = Layout.from_values(
        unit_count=3,
        floor_count=6,
        households_per_floor=2,
        unit_overrides={"3": {"floor_count": 4, "households_per_floor": 3}},
    )
    rooms = list(layout.rooms())
    assert sum(1 for u, _, _ in rooms if u == 3) == 12
    assert sum(1 for u, _, _ in rooms if u == 1) == 12
    assert layout.errors() == []
    assert (
        "unit_overrides"
        in Layout.from_values(
            unit_count=2, floor_count=6, households_per_floor=2, unit_overrides={"5": {"floor_count": 4}}
        ).errors()
    )


def test_building_generates_labelled_households(tree):
    building = make_building(tree["grid_a"], number="3", unit_count=2, floor_count=6, households_per_floor=2)
    labels = set(building.households.values_list("label", flat=True))
    assert len(labels) == 24
    assert {"3-1-101", "3-2-602", "3-2-501"} <= labels
    assert not building.households.filter(outside_model=True).exists()


def test_shrinking_the_model_keeps_households_with_residents_or_records(tree):
    building = make_building(tree["grid_a"], number="7", unit_count=2, floor_count=6, households_per_floor=2)
    occupied = household_of(building, "2-602")
    make_resident(occupied)
    noted = household_of(building, "2-601")
    noted.notes = "业主在外地，钥匙在物业"
    noted.save()
    data = {"unit_count": 1, "floor_count": 5}
    _, result = building_save(by=None, grid=tree["grid_a"], data=data, building=building)
    # Unit 2 (12 rooms) and floor 6 of unit 1 (2 rooms) leave the model; two of them hold data.
    assert result.removed == 12
    assert {h.label for h in result.conflicts} == {"7-2-602", "7-2-601"}
    assert Household.objects.filter(building=building).count() == 10 + 2
    occupied.refresh_from_db()
    assert occupied.outside_model
    # Growing it back brings the kept ones inside again, and adds the rest.
    _, result = building_save(by=None, grid=tree["grid_a"], data={"unit_count": 2, "floor_count": 6}, building=building)
    assert result.created == 12 and result.conflicts == []
    occupied.refresh_from_db()
    assert not occupied.outside_model
    assert building.households.count() == 24


def test_renumbering_relabels_and_resyncing_is_idempotent(tree):
    building = make_building(tree["grid_a"], number="8")
    _, result = building_save(by=None, grid=tree["grid_a"], data={"number": "9"}, building=building)
    assert result.relabelled == building.households.count()
    assert set(building.households.values_list("label", flat=True)) >= {"9-1-101", "9-2-302"}
    _, again = building_save(by=None, grid=tree["grid_a"], data={}, building=building)
    assert (again.created, again.removed, again.relabelled) == (0, 0, 0)


def test_bad_model_is_refused_with_a_message(tree):
    with pytest.raises(ValidationError) as info:
        make_building(tree["grid_a"], unit_count=2, floor_count=3, households_per_floor=2, shop_floors=3)
    assert "shop_floors" in info.value.message_dict
