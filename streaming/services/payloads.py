"""What each kind of stream item carries. Texts are the user's own words or names, never UI strings:
every screen renders them in its own language (and as text, never as HTML)."""

from __future__ import annotations

from typing import Any

from streaming.models import Announcement, ChatMessage, LiveEvent, Question, VenueAttendance


def chat_payload(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "author": message.author_name,
        "venue": message.venue_id,
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


def question_payload(question: Question) -> dict[str, Any]:
    return {
        "id": question.pk,
        "author": question.author_name,
        "venue": question.venue_id,
        "text": question.text,
        "state": question.state,
        "seconds": question.seconds,
        "at": question.created_at.isoformat(),
    }


def announcement_payload(announcement: Announcement) -> dict[str, Any]:
    return {"id": announcement.pk, "text": announcement.text, "at": announcement.created_at.isoformat()}


def state_payload(event: LiveEvent) -> dict[str, Any]:
    return {
        "state": event.state,
        "started_at": event.started_at.isoformat() if event.started_at else None,
        "ended_at": event.ended_at.isoformat() if event.ended_at else None,
    }


def venue_payload(attendance: VenueAttendance, *, online: bool) -> dict[str, Any]:
    return {
        "id": attendance.venue_id,
        "name": attendance.venue.name,
        "online": online,
        "checked_in": attendance.checked_in_at is not None,
        "checked_in_at": attendance.checked_in_at.isoformat() if attendance.checked_in_at else None,
        "headcount": attendance.headcount,
        "health": attendance.health,
        "last_heartbeat": attendance.last_heartbeat_at.isoformat() if attendance.last_heartbeat_at else None,
    }
