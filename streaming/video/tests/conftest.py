from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from core.tests.factories import UserFactory
from streaming.models import LiveEvent


@pytest.fixture
def live_dirs(settings, tmp_path):
    """This test's own live output and run directories (the socket in a short path: 108 bytes at most)."""
    short = Path(tempfile.mkdtemp(prefix="lvu-"))
    settings.LIVE_MEDIA_ROOT = tmp_path / "live"
    settings.LIVE_RUN_DIR = short / "run"
    settings.LIVE_RELAY_SOCKET = str(short / "relay.sock")
    yield tmp_path
    shutil.rmtree(short, ignore_errors=True)


def make_event(state: str = LiveEvent.State.LIVE, **fields) -> LiveEvent:
    now = timezone.now()
    fields.setdefault("organiser", UserFactory())
    return LiveEvent.objects.create(
        title=fields.pop("title", "乡村振兴专题党课"),
        scheduled_start=now - timedelta(minutes=5),
        scheduled_end=now + timedelta(hours=2),
        state=state,
        started_at=now if state != LiveEvent.State.SCHEDULED else None,
        **fields,
    )
