"""Notices (通知) sent by staff to everyone placed in an area of the tree."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from core.access import can_change_area, has_role, is_city_wide
from core.models import Area, Notification, Role, User
from core.services.audit import audit_record
from core.services.notifications import notification_send_many

NOTICE_SENDER_ROLES = (Role.OPS_ADMIN, Role.TOWN_STAFF, Role.COMMUNITY_STAFF)


def notice_may_send(user: User) -> bool:
    return is_city_wide(user) or has_role(user, *NOTICE_SENDER_ROLES)


def notice_recipients(area: Area):
    """Everyone with a role in the area's subtree, or in a party organisation located there."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(memberships__area__path__startswith=area.path)
            | Q(memberships__party_org__area__path__startswith=area.path)
        )
        .distinct()
    )


def notice_broadcast(*, by: User, area: Area, title: str, body: str, url: str = "") -> list[Notification]:
    # Notices go to places the sender keeps; the operations centre addresses the whole city.
    if not (notice_may_send(by) and (is_city_wide(by) or can_change_area(by, area))):
        raise PermissionDenied
    rows = notification_send_many(
        recipients=list(notice_recipients(area).only("pk")), kind="core.notice", title=title, body=body, url=url
    )
    audit_record(actor=by, action="core.notice.broadcast", obj=area, detail={"title": title, "recipients": len(rows)})
    return rows
