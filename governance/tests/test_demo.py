"""The governance demo steps at a small scale: consistent buildings, households, residents and visits."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from shapely.geometry import Point, shape

from core.demo.generate import id_number_is_valid
from core.models import Area, User
from governance.models import Building, Household, Relation, Resident, Visit

SCALE = 0.02
MOBILE = re.compile(r"^1[3-9]\d{9}$")


# The seeded tests share one demo (made once per module); they run on one worker.
pytestmark = pytest.mark.xdist_group("governance-demo")


@pytest.fixture
def seeded(demo_seeded, db):
    """The module's demo; changes a test makes are rolled back after it."""


def test_buildings_and_generated_households(seeded):
    grids = Area.objects.filter(level=Area.Level.GRID)
    buildings = list(Building.objects.select_related("grid"))
    assert len(buildings) == round(2054 * SCALE)
    assert {b.grid_id for b in buildings} == set(grids.values_list("pk", flat=True))
    for b in buildings:
        expected = {(u, f, r) for u, f, r in b.layout.rooms()}
        assert set(b.households.values_list("unit", "floor", "room")) == expected
        grid = b.grid
        if grid.boundary:  # drawn by the map's demo step: the building stands inside its grid
            assert shape(grid.boundary).contains(Point(float(b.longitude), float(b.latitude))), b.name
        else:
            assert abs(float(b.latitude) - float(grid.latitude)) < 0.05
            assert abs(float(b.longitude) - float(grid.longitude)) < 0.05
    assert any(b.grid.boundary for b in buildings)
    assert set(Household.objects.values_list("status", flat=True)) == set(Household.Status.values)


def test_residents_are_valid_tagged_and_children_have_guardians(seeded):
    today = timezone.localdate()
    residents = list(Resident.objects.select_related("household__building", "guardian").prefetch_related("care_tags"))
    assert residents
    ids = [r.id_number for r in residents]
    assert len(set(ids)) == len(ids) and all(id_number_is_valid(i) and i.startswith("210681") for i in ids)
    assert len({r.id_number_hash for r in residents}) == len(residents)
    tags_seen = set()
    for r in residents:
        assert int(r.id_number[6:10]) == r.birth_year
        assert r.phone == "" or MOBILE.match(r.phone)
        assert r.household.building.grid_id == r.grid_id
        assert r.household.status != Household.Status.VACANT
        codes = {t.code for t in r.care_tags.all()}
        tags_seen |= codes
        if "left_behind_child" in codes:
            assert r.age < 18
        if "elderly_alone" in codes:
            assert r.age >= 65 and r.visit_interval_days == 7
        if r.needs_guardian:
            assert r.guardian is not None and r.guardian.household_id == r.household_id and not r.guardian.is_minor
        assert (r.visit_interval_days is not None) == any(t.visit_interval_days for t in r.care_tags.all())
    assert {"elderly_alone", "left_behind_child"} <= tags_seen
    assert Resident.objects.filter(relation=Relation.HEAD).exists()
    demo_resident = User.objects.get(username="demo_resident")
    assert Resident.objects.filter(account=demo_resident).count() == 1
    gridworker = User.objects.get(username="demo_gridworker").memberships.get()
    assert Resident.objects.filter(grid=gridworker.area).count() >= 3
    assert today.year - min(r.birth_year for r in residents) <= 100


def test_a_year_of_visits_with_some_overdue(seeded):
    today = timezone.localdate()
    planned = Resident.objects.filter(next_visit_due__isnull=False)
    assert planned.exists()
    visits = Visit.objects.all()
    assert visits.count() > planned.count()
    assert visits.filter(visited_on__gt=today).count() == 0
    assert (today - visits.order_by("visited_on").first().visited_on).days <= 366
    # The kept plan agrees with the visits: next due is one interval after the last visit.
    for r in planned.exclude(last_visited_on=None)[:50]:
        last = r.visits.order_by("-visited_on").first()
        assert last.visited_on == r.last_visited_on
        assert (r.next_visit_due - r.last_visited_on).days == r.visit_interval_days


def test_second_run_adds_nothing(seeded):
    counts = [m.objects.count() for m in (Building, Household, Resident, Visit)]
    call_command("seed_demo", scale=SCALE, verbosity=0)
    assert [m.objects.count() for m in (Building, Household, Resident, Visit)] == counts
