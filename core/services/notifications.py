"""Site notifications: saved first, pushed over the channel layer after commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.layers import layer_push
from core.models import Notification, User


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _push(messages: list[tuple[int, dict]]) -> None:
    """Best effort: the database already holds every notification, so a dead layer loses nothing."""
    for user_id, payload in messages:
        message = {"type": "notification.push", "payload": payload}
        if not layer_push(user_group(user_id), message, what="notification push"):
            return  # the layer is down: the rest would wait for it in vain


def _payload(n: Notification, unread: int) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": n.title,
        "body": n.body[:300],
        "url": n.url,
        "created_at": n.created_at.isoformat(),
        "unread": unread,
    }


def notification_send_many(
    *, recipients: Iterable[User], kind: str, title: str, body: str = "", url: str = ""
) -> list[Notification]:
    with transaction.atomic():
        rows = Notification.objects.bulk_create(
            [Notification(recipient=u, kind=kind, title=title, body=body, url=url) for u in recipients],
            batch_size=1000,
        )
        # Unread counts after this batch, in one query, for the badge each client shows.
        counts = unread_counts({n.recipient_id for n in rows})
        messages = [(n.recipient_id, _payload(n, counts.get(n.recipient_id, 0))) for n in rows]
        transaction.on_commit(lambda: _push(messages))
    return rows


def notification_send(*, recipient: User, kind: str, title: str, body: str = "", url: str = "") -> Notification:
    return notification_send_many(recipients=[recipient], kind=kind, title=title, body=body, url=url)[0]


def unread_counts(user_ids: set[int]) -> dict[int, int]:
    from django.db.models import Count

    rows = (
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
    )
    return {r["recipient_id"]: r["n"] for r in rows}


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
