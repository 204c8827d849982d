"""The problem reports' entries on 我的 (core.navigation): report, follow, handle, dispatch, review."""

from django.utils.translation import gettext_lazy as _

from core.access import is_city_wide
from core.navigation import Entry, register
from governance.reports.access import can_review, department_ids_of

register(
    Entry(
        key="reports.new",
        section="community",
        label=_("Report a problem"),
        hint=_("Take a photo, say where it is, follow how it is handled"),
        url_name="governance:reports:new",
        order=5,
    )
)
register(
    Entry(
        key="reports.list",
        section="community",
        label=_("My reports"),
        hint=_("Problems you reported and how they are handled"),
        url_name="governance:reports:list",
        order=6,
    )
)
register(
    Entry(
        key="reports.department",
        section="work",
        label=_("My department's reports"),
        hint=_("Reports dispatched to your department, with their deadlines"),
        url_name="governance:reports:department",
        order=20,
        allowed=lambda user: bool(department_ids_of(user)),
    )
)
register(
    Entry(
        key="reports.centre",
        section="work",
        label=_("Operations centre queue"),
        hint=_("Reports waiting for dispatch, returned, overdue, asking for more time"),
        url_name="governance:reports:centre",
        order=20,
        allowed=is_city_wide,
    )
)
register(
    Entry(
        key="reports.rules",
        section="admin",
        label=_("Dispatch rules and categories"),
        hint=_("Which department gets which problem, and its deadline"),
        url_name="governance:reports:rules",
        order=40,
        allowed=is_city_wide,
    )
)
register(
    Entry(
        key="reports.review",
        section="work",
        label=_("Report statistics"),
        hint=_("Completion and satisfaction per department and area, with Excel export"),
        url_name="governance:reports:review",
        order=70,
        allowed=can_review,
    )
)
