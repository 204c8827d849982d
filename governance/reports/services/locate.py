"""Where a report is: the grid found from its point, and distances for "same problem?"."""

from __future__ import annotations

import math
from decimal import Decimal

from core.models import Area
from governance.geo.index import grid_at

EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), good to a metre at these distances."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def bbox(lat: float, lng: float, metres: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    dlat = metres / 111_320
    dlng = metres / (111_320 * max(0.01, math.cos(math.radians(lat))))
    q = Decimal("0.000001")
    return (
        Decimal(lat - dlat).quantize(q),
        Decimal(lat + dlat).quantize(q),
        Decimal(lng - dlng).quantize(q),
        Decimal(lng + dlng).quantize(q),
    )


def grid_for_point(*, latitude: float, longitude: float) -> Area | None:
    """The grid whose boundary holds the point (governance.geo's index), or None outside every grid."""
    return grid_at(latitude=latitude, longitude=longitude)
