"""Site notifications: saved first, pushed over the channel layer after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from core.models import Notification, User

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _push(messages: list[tuple[int, dict]]) -> None:
    """Best effort: the database already holds every notification, so a dead layer loses nothing."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        for user_id, payload in messages:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "notification.push", "payload": payload})
    except Exception:  # the layer is a signal; Redis being down must not break the request
        logger.warning("notification push failed; clients will catch up on reconnect", exc_info=True)


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
