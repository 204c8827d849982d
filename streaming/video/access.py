"""Who may put video into an event: its hosts — the organiser and the operations centre
(streaming.access.can_host_event, the same rule as the host console).

The only way from a user-supplied event id to a row in this app. Missing and not-a-host answer
the same (Http404; consumers close with 4403), so event ids cannot be probed.
"""

from __future__ import annotations

from django.http import Http404

from core.models import User
from streaming.access import can_host_event
from streaming.models import LiveEvent


def access_event_for_publishing(user: User, event_id: int | str) -> LiveEvent:
    try:
        number = int(event_id)
    except (TypeError, ValueError):
        raise Http404 from None
    event = LiveEvent.objects.filter(pk=number).first() if number > 0 else None
    if event is None or not can_host_event(user, event):
        raise Http404
    return event
