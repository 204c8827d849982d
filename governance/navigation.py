"""The governance app's entries on 我的 (core.navigation). Grids, visits, reports and the map add theirs here."""

from django.utils.translation import gettext_lazy as _

from core.access import areas_visible_to, has_role, is_city_wide
from core.models import Area, Role
from core.navigation import Entry, register
from governance.access import can_import, worker_grid_ids


def _has_grids(user) -> bool:
    return areas_visible_to(user).filter(level=Area.Level.GRID).exists()


register(
    Entry(
        key="governance.grids",
        section="work",
        label=_("My grids"),
        hint=_("Buildings, households and residents"),
        url_name="governance:grid_list",
        order=10,
        allowed=_has_grids,
    )
)
register(
    Entry(
        key="governance.visits_mine",
        section="work",
        label=_("My visits"),
        hint=_("Residents due for a visit this week or overdue; record a visit"),
        url_name="governance:visits_mine",
        order=11,
        allowed=lambda user: bool(worker_grid_ids(user)),
    )
)
register(
    Entry(
        key="governance.visits_overview",
        section="work",
        label=_("Overdue visits"),
        hint=_("Per town, community and grid, down to the residents"),
        url_name="governance:visits_overview",
        order=12,
        allowed=lambda user: is_city_wide(user) or has_role(user, Role.COMMUNITY_STAFF, Role.TOWN_STAFF),
    )
)
register(
    Entry(
        key="governance.import",
        section="work",
        label=_("Import from Excel"),
        hint=_("Buildings, households and residents from a spreadsheet"),
        url_name="governance:import_start",
        order=13,
        allowed=can_import,
    )
)
register(
    Entry(
        key="governance.export",
        section="work",
        label=_("Export to Excel"),
        hint=_("What you may see, masked unless you give a reason"),
        url_name="governance:export",
        order=14,
        allowed=_has_grids,
    )
)
