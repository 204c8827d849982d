"""Governance demo data. `core.demo.registry.discover()` imports this module; each part of the
governance module keeps its steps in a sibling module, imported here so its `@demo_step`s register."""

from governance.demo import (
    boundaries,  # noqa: E402, F401  (grids on the map: boundaries, worker types)
    grids,  # noqa: F401  buildings, households, residents, visits (orders 410–439)
)
