"""A member's secret podcast-feed key: create, regenerate (old URLs stop working), revoke."""

from __future__ import annotations

from django.db import transaction

from core.models import User
from core.services.audit import audit_record
from learning.models import FeedToken


def feed_token_enable(*, user: User) -> FeedToken:
    """The member's feed key, made on first use; a revoked key comes back under a new secret."""
    with transaction.atomic():
        token, created = FeedToken.objects.select_for_update().get_or_create(user=user)
        if not created and not token.active:
            token.active = True
            token.generation += 1
            token.save(update_fields=["active", "generation", "updated_at"])
    return token


def feed_token_regenerate(*, user: User) -> FeedToken:
    with transaction.atomic():
        token, _created = FeedToken.objects.select_for_update().get_or_create(user=user)
        token.generation += 1
        token.active = True
        token.save(update_fields=["active", "generation", "updated_at"])
        audit_record(actor=user, action="learning.feed.regenerate", obj=token)
    return token


def feed_token_revoke(*, user: User) -> None:
    with transaction.atomic():
        updated = FeedToken.objects.filter(user=user, active=True).update(active=False)
        if updated:
            audit_record(actor=user, action="learning.feed.revoke", detail={"user": user.pk})
