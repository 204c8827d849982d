"""The scheduled reconcile: every dashboard's rollups rebuilt from the records once a day.

`manage.py serve` runs `rollups_reconcile --daily` every minute with the other minute jobs (in
production, cron or a systemd timer does); from settings.ROLLUPS_RECONCILE_HOUR the first run of
the day claims the day and rebuilds, every other run that day — in this process or another one
sharing the database — finds the claim and does nothing.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboards import registry
from dashboards.models import RollupReconcileDay
from dashboards.services.rollups import rollup_rebuild
from party.services.life import org_life_sync

# A claim left unfinished this long belongs to a run that died: another run takes it over.
STALE_AFTER = datetime.timedelta(hours=2)


def _claim(day: datetime.date, now: datetime.datetime) -> RollupReconcileDay | None:
    try:
        with transaction.atomic():
            # The unique day is the guard: of two runs at once, one insert fails.
            return RollupReconcileDay.objects.create(day=day, started_at=now)
    except IntegrityError:
        pass
    # One conditional UPDATE: of two runs taking over a dead claim, only one matches the old row.
    taken = RollupReconcileDay.objects.filter(
        day=day, finished_at__isnull=True, started_at__lt=now - STALE_AFTER
    ).update(started_at=now)
    return RollupReconcileDay.objects.get(day=day) if taken else None


def rollups_reconcile_daily(*, at: datetime.datetime | None = None) -> RollupReconcileDay | None:
    """Rebuild every dashboard's rollups if today's reconcile is due and nobody has claimed it.

    Returns the day's row when this call ran the reconcile, else None (before the hour, or already
    done or running)."""
    at = timezone.localtime(at or timezone.now())
    if at.hour < settings.ROLLUPS_RECONCILE_HOUR:
        return None
    claim = _claim(at.date(), at)
    if claim is None:
        return None
    # Organisational life is linked in by receivers as lessons end and courses are completed; link
    # what a failed receiver missed first, so the party dashboard is rebuilt from complete records.
    org_life_sync()
    corrected = sum(rollup_rebuild(dashboard=d).corrected for d in registry.all_dashboards())
    claim.finished_at, claim.corrected = timezone.now(), corrected
    claim.save(update_fields=["finished_at", "corrected"])
    return claim
