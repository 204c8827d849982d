from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from core.access import memberships_of
from core.selectors import unread_notification_count

router = Router(tags=["account"])


class RoleOut(Schema):
    role: str
    label: str
    scope: str | None


class MeOut(Schema):
    authenticated: bool
    username: str | None = None
    name: str | None = None
    roles: list[RoleOut] = []
    unread_notifications: int = 0


@router.get("/me", response=MeOut, summary="The signed-in person, their roles and unread count")
def me(request: HttpRequest):
    user = request.user
    if not user.is_authenticated:
        return MeOut(authenticated=False)
    roles = [
        RoleOut(
            role=m.role, label=str(m.get_role_display()), scope=str(m.area or m.department or m.party_org or "") or None
        )
        for m in memberships_of(user)
    ]
    return MeOut(
        authenticated=True,
        username=user.username,
        name=user.get_full_name(),
        roles=roles,
        unread_notifications=unread_notification_count(user),
    )
