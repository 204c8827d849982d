"""Buildings and the households their model generates.

A building's households follow its model (units × floors × households per floor, with per-unit
overrides, shop floors and skipped floor numbers). Changing the model later never loses data: a
household the new model no longer has is deleted only when nothing was recorded about it (no
residents ever, no status or notes); otherwise it is kept, marked `outside_model`, and reported
as a conflict for a person to resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.models import Area, User
from core.services.audit import audit_record
from governance.addresses import address_key
from governance.layout import MAX_FLOORS, MAX_PER_FLOOR, MAX_UNITS, household_label
from governance.models import Building, Household, Resident
from governance.signals import announce_grids_changed

MODEL_FIELDS = ("unit_count", "floor_count", "households_per_floor", "unit_overrides", "shop_floors", "skipped_floors")


@dataclass
class SyncResult:
    created: int = 0
    removed: int = 0
    relabelled: int = 0
    # Households outside the model that were kept because they hold residents or records.
    conflicts: list[Household] = field(default_factory=list)


def building_sync_households(*, building: Building) -> SyncResult:
    """Make the building's households match its model (see the module docstring). Idempotent."""
    layout = building.layout
    expected = set(layout.rooms())
    existing = {(h.unit, h.floor, h.room): h for h in building.households.all()}
    result = SyncResult()
    missing = [
        Household(building=building, unit=u, floor=f, room=r, label=household_label(building.number, u, f, r))
        for (u, f, r) in sorted(expected - existing.keys())
    ]
    Household.objects.bulk_create(missing, batch_size=1000)
    result.created = len(missing)

    outside = [h for key, h in existing.items() if key not in expected]
    with_residents = set(
        Resident.objects.filter(household__in=outside).values_list("household_id", flat=True).distinct()
    )
    removable = [h.pk for h in outside if h.pk not in with_residents and not h.has_data]
    if removable:
        Household.objects.filter(pk__in=removable).delete()
    result.removed = len(removable)
    result.conflicts = [h for h in outside if h.pk not in removable]

    to_update = []
    for key, h in existing.items():
        label = household_label(building.number, *key)
        inside = key in expected
        if h.pk in removable:
            continue
        if h.label != label or h.outside_model == inside:
            h.label, h.outside_model = label, not inside
            to_update.append(h)
    Household.objects.bulk_update(to_update, ["label", "outside_model"], batch_size=1000)
    result.relabelled = len(to_update)
    return result


def layout_error(name: str) -> str:
    """The message for a problem key of `Layout.errors()`, in the active language."""
    messages = {
        "unit_count": _("Between 1 and %(n)d units.") % {"n": MAX_UNITS},
        "floor_count": _("Between 1 and %(n)d floors.") % {"n": MAX_FLOORS},
        "households_per_floor": _("Between 1 and %(n)d households per floor.") % {"n": MAX_PER_FLOOR},
        "unit_overrides": _(
            "Each differing unit needs a unit number of the building, its floors and households per floor."
        ),
        "shop_floors": _("Shop floors must leave at least one floor of homes in every unit."),
        "skipped_floors": _("Skipped floor numbers lie between 1 and 200."),
    }
    return messages[name]


def _clean_model(building: Building) -> None:
    building.address_key = address_key(building.address)
    try:
        problems = building.layout.errors()
    except (TypeError, ValueError, AttributeError):
        problems = ["unit_overrides"]
    if problems:
        raise ValidationError({name: layout_error(name) for name in problems})
    building.full_clean()


@transaction.atomic
def building_save(
    *,
    by: User,
    grid: Area,
    data: dict,
    building: Building | None = None,
    request: HttpRequest | None = None,
) -> tuple[Building, SyncResult]:
    """Create or change a building and bring its households in line with its model."""
    creating = building is None
    building = building or Building(grid=grid)
    grid_before = building.grid_id
    changed = sorted(k for k, v in data.items() if getattr(building, k, None) != v)
    for key, value in data.items():
        setattr(building, key, value)
    building.grid = grid
    _clean_model(building)
    building.save()
    result = building_sync_households(building=building)
    announce_grids_changed([grid.pk, grid_before])
    audit_record(
        actor=by,
        action="governance.building.create" if creating else "governance.building.update",
        obj=building,
        request=request,
        detail={
            "fields": changed,
            "created": result.created,
            "removed": result.removed,
            "conflicts": len(result.conflicts),
        },
    )
    return building, result


def building_create(
    *,
    grid: Area,
    name: str,
    number: str,
    address: str,
    unit_count: int,
    floor_count: int,
    households_per_floor: int,
    unit_overrides: dict | None = None,
    shop_floors: int = 0,
    skipped_floors: list[int] | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    by: User | None = None,
) -> Building:
    building, _ = building_save(
        by=by,
        grid=grid,
        data={
            "name": name,
            "number": number,
            "address": address,
            "unit_count": unit_count,
            "floor_count": floor_count,
            "households_per_floor": households_per_floor,
            "unit_overrides": unit_overrides or {},
            "shop_floors": shop_floors,
            "skipped_floors": sorted(skipped_floors or []),
            "latitude": latitude,
            "longitude": longitude,
        },
    )
    return building
