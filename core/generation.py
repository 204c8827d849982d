"""Named change counters (core.Generation): how one process tells the others that something it
keeps in memory (the point → grid index, …) must be rebuilt.

`generation_bump(name)` runs inside the transaction that changed the data, so the new value
becomes visible to other processes exactly when the data does; a reader that sees a value it has
not built from rebuilds. Values are random, never reused by a rollback (see core.models.Generation).
"""

from __future__ import annotations

import secrets

from core.models import Generation


def generation_read(name: str) -> int:
    value = Generation.objects.filter(name=name).values_list("value", flat=True).first()
    return value or 0


def generation_bump(name: str) -> int:
    value = secrets.randbits(62) + 1  # never 0, the value of "no row yet"
    if not Generation.objects.filter(name=name).update(value=value):
        Generation.objects.update_or_create(name=name, defaults={"value": value})
    return value
