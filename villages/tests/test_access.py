"""Role × scope matrix for village economy, and the lock with its correction trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from core.models import Role
from core.tests.factories import UserFactory, make_user_with_role
from party.models import PartyRole
from party.tests.factories import make_keeper
from villages import access
from villages.models import Correction, VillageYear
from villages.services.economy import village_year_lock, village_year_save, village_year_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    return {
        "ops": make_user_with_role(Role.OPS_ADMIN),
        "org_department": make_keeper(PartyRole.Kind.ORG_DEPARTMENT),
        "town_a_staff": make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"]),
        "village_a_staff": make_user_with_role(Role.COMMUNITY_STAFF, area=tree["village_a"]),
        "grid_worker": make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"]),
        "member": make_user_with_role(Role.RESIDENT, area=tree["grid_a"]),
        "nobody": UserFactory(),
    }


# (sees, enters, reviews) for village_a and village_b
MATRIX = {
    "ops": ({"village_a", "village_b"}, {"village_a", "village_b"}, {"village_a", "village_b"}),
    "org_department": ({"village_a", "village_b"}, set(), set()),
    "town_a_staff": ({"village_a"}, {"village_a"}, {"village_a"}),
    "village_a_staff": ({"village_a"}, {"village_a"}, set()),
    "grid_worker": (set(), set(), set()),
    "member": (set(), set(), set()),
    "nobody": (set(), set(), set()),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_village_matrix(who, people, tree):
    user = people[who]
    sees, enters, reviews = MATRIX[who]
    for key in ("village_a", "village_b"):
        village = tree[key]
        VillageYear.objects.get_or_create(village=village, year=2025)
        if key in sees:
            assert access.access_village_by_id(user, village.pk) == village
        else:
            with pytest.raises(Http404):
                access.access_village_by_id(user, village.pk)
        if key in enters:
            assert access.access_village_year(user, village.pk, 2025, for_change=True).village == village
        else:
            with pytest.raises(Http404):
                access.access_village_year(user, village.pk, 2025, for_change=True)
        if key in reviews:
            assert access.access_village_year(user, village.pk, 2025, for_review=True).village == village
        else:
            with pytest.raises(Http404):
                access.access_village_year(user, village.pk, 2025, for_review=True)
    # A town or a grid is not a village, whoever asks.
    with pytest.raises(Http404):
        access.access_village_by_id(user, tree["town_a"].pk)
    with pytest.raises(Http404):
        access.access_village_year(user, tree["village_a"].pk, 1999)


def test_lock_then_corrections_leave_a_trail(people, tree):
    village_staff, town_staff = people["village_a_staff"], people["town_a_staff"]
    vy = village_year_save(
        by=village_staff,
        village=tree["village_a"],
        year=2025,
        data={"operating_income": Decimal("52000"), "subsidy_income": Decimal("30000"), "expenditure": "41000.5"},
    )
    assert vy.total_income == Decimal("82000.00") and vy.state == VillageYear.State.DRAFT
    village_year_submit(by=village_staff, village_year=vy)
    village_year_lock(by=town_staff, village_year=vy)
    vy.refresh_from_db()
    assert vy.is_locked and vy.locked_by == town_staff
    # After locking nothing changes without a reason …
    with pytest.raises(ValidationError):
        village_year_save(by=town_staff, village=tree["village_a"], year=2025, data={"operating_income": "60000"})
    vy.refresh_from_db()
    assert vy.operating_income == Decimal("52000.00") and not Correction.objects.exists()
    # … and a correction with one keeps what it was, what it became, why and who.
    village_year_save(
        by=town_staff,
        village=tree["village_a"],
        year=2025,
        data={"operating_income": "60000", "subsidy_income": "30000"},
        reason="补录12月租金收入",
    )
    vy.refresh_from_db()
    correction = Correction.objects.get()
    assert vy.operating_income == Decimal("60000.00") and vy.is_locked
    assert (correction.old_value, correction.new_value, correction.by) == ("52000.00", "60000.00", town_staff)
    assert correction.reason == "补录12月租金收入"
    with pytest.raises(ValidationError):
        village_year_lock(by=town_staff, village_year=vy)
