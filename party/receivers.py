"""Organisational life follows what members and venues do on the platform (connected in
apps.ready): a live lesson that ends becomes a party lecture of the branches whose venues checked
in, a completed course one of the branch whose member completed it — so the organisational-life
pages read meetings and never link anything themselves.

A receiver must not fail the request that sent the signal nor the receivers after it: a failure is
logged here, and `manage.py party_life_link` (run by the daily reconcile) links whatever was missed.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from core.demo.registry import seeding
from learning.signals import lesson_completed
from party.services.life import life_link_courses, life_link_live_events
from streaming.signals import participation_changed

logger = logging.getLogger(__name__)


@receiver(participation_changed, dispatch_uid="party.participation_changed")
def on_participation_changed(sender, *, event_id: int, what: str, **kwargs) -> None:
    # The demo links three years of lessons in one step of its own.
    if what not in ("state", "check_in") or seeding():
        return
    try:
        life_link_live_events(event_ids=[event_id])
    except Exception:
        logger.exception("linking live event %s into organisational life failed", event_id)


@receiver(lesson_completed, dispatch_uid="party.lesson_completed")
def on_lesson_completed(sender, *, user_id: int, course_id: int, **kwargs) -> None:
    if seeding():
        return
    try:
        life_link_courses(user_ids=[user_id], course_ids=[course_id])
    except Exception:
        logger.exception("linking course %s of user %s into organisational life failed", course_id, user_id)
