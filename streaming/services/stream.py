"""The per-event stream: numbered items saved first, pushed through the channel layer after commit.

`stream_append` must run inside the transaction that makes the change it announces. It bumps
`LiveEvent.last_seq` (an UPDATE, which holds the event row's lock until commit, so concurrent
writers get consecutive numbers in commit order), stores the item's JSON text, and registers one
`group_send` for after the commit. A process receives each item once (streaming.hub) and writes
the same pre-encoded text to all its local sockets.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import F

from core.layers import layer_push
from streaming.models import LiveEvent, StreamItem

ITEMS_MESSAGE = "live.items"


def event_group(event_id: int) -> str:
    return f"live.{event_id}"


def encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def stream_append(*, event_id: int, kind: str, payload: dict[str, Any]) -> StreamItem:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stream_append must run inside the transaction that makes the change")
    LiveEvent.objects.filter(pk=event_id).update(last_seq=F("last_seq") + 1)
    seq = LiveEvent.objects.filter(pk=event_id).values_list("last_seq", flat=True).get()
    data = encode({"type": kind, "seq": seq, **payload})
    item = StreamItem.objects.create(event_id=event_id, seq=seq, kind=kind, data=data)
    transaction.on_commit(lambda: broadcast(event_id, [(seq, data)]))
    return item


def broadcast(event_id: int, items: list[tuple[int, str]]) -> None:
    """Best effort: every item is in the database, and hubs and clients fetch what they miss."""
    layer_push(event_group(event_id), {"type": ITEMS_MESSAGE, "items": items}, what=f"live push of event {event_id}")


def items_after(event_id: int, seq: int, *, upto: int | None = None, limit: int = 1000) -> list[tuple[int, str]]:
    qs = StreamItem.objects.filter(event_id=event_id, seq__gt=seq)
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    return list(qs.order_by("seq").values_list("seq", "data")[:limit])


def current_seq(event_id: int) -> int:
    return LiveEvent.objects.filter(pk=event_id).values_list("last_seq", flat=True).first() or 0
