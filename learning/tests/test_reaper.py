"""The reaper every task worker runs (core/worker.py): a conversion whose worker died ends as failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.worker import reap_abandoned_work
from learning.models import MediaAsset
from learning.tasks import media_asset_process_task

pytestmark = pytest.mark.django_db


def running_asset(*, silent_for: timedelta) -> MediaAsset:
    asset = MediaAsset.objects.create(
        title="党课", status=MediaAsset.Status.TRANSCODING, attempt=2, heartbeat_at=timezone.now() - silent_for
    )
    DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [asset.pk, 2], "kwargs": {}},
        task_path=media_asset_process_task.module_path,
        backend_name="default",
        run_after=timezone.now(),
        queue_name="default",
    )
    return asset


def test_a_silent_conversion_is_failed_with_its_task_row_and_a_live_one_is_left_alone():
    dead = running_asset(silent_for=timedelta(minutes=10))
    alive = running_asset(silent_for=timedelta(seconds=5))

    assert reap_abandoned_work()["media conversions"] == 1

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, dead.error_code) == (MediaAsset.Status.FAILED, "stalled")
    assert alive.status == MediaAsset.Status.TRANSCODING
    statuses = {r.args_kwargs["args"][0]: r.status for r in DBTaskResult.objects.all()}
    assert statuses == {dead.pk: "FAILED", alive.pk: "RUNNING"}
    # A shorter threshold (a worker's --stalled-after) takes the other one too.
    assert reap_abandoned_work(stalled_after=timedelta(seconds=1))["media conversions"] == 1
